#pragma once

// Shared by the XGBoost backend tests (xgboost_backend_test.cc,
// xgboost_load_errors_test.cc): small models trained once per test binary with
// XGBoost's C API, and specs and loads of them through the backend.
#include <gtest/gtest.h>
#include <xgboost/c_api.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "ferry/backends/backend.h"
#include "testing/test_util.h"

namespace ferry::backends::xgboost::test_models {

namespace fs = std::filesystem;

inline constexpr int64_t kFeatures = 6;

// Test set-up only: XGBoost failures abort the binary.
inline void Must(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "%s failed: %s\n", what, XGBGetLastError());
    std::abort();
  }
}

// Rows of normal noise; every 7th value is NaN when `with_nan`.
inline std::vector<float> MakeRows(int64_t rows, uint32_t seed, bool with_nan) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(static_cast<size_t>(rows * kFeatures));
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = (with_nan && i % 7 == 3) ? std::nanf("") : normal(gen);
  }
  return x;
}

// Trains a small model on rows whose labels depend on features 0 and 1 and
// saves it as <dir>/<stem>.json and <dir>/<stem>.ubj.
inline void TrainAndSave(const fs::path& dir, const std::string& stem, const std::string& objective,
                         bool with_feature_names = false) {
  const int64_t rows = 400;
  std::vector<float> x = MakeRows(rows, 7, /*with_nan=*/true);
  std::vector<float> y(rows);
  for (int64_t i = 0; i < rows; ++i) {
    float a = std::isnan(x[i * kFeatures]) ? 0 : x[i * kFeatures];
    float b = std::isnan(x[i * kFeatures + 1]) ? 0 : x[i * kFeatures + 1];
    if (objective.starts_with("binary")) {
      y[i] = a + b > 0 ? 1 : 0;
    } else if (objective.starts_with("multi")) {
      y[i] = a < -0.5f ? 0 : (a < 0.5f ? 1 : 2);
    } else {
      y[i] = 2 * a - b;
    }
  }
  DMatrixHandle data = nullptr;
  Must(XGDMatrixCreateFromMat(x.data(), rows, kFeatures, NAN, &data), "XGDMatrixCreateFromMat");
  Must(XGDMatrixSetFloatInfo(data, "label", y.data(), rows), "XGDMatrixSetFloatInfo");
  BoosterHandle booster = nullptr;
  Must(XGBoosterCreate(&data, 1, &booster), "XGBoosterCreate");
  Must(XGBoosterSetParam(booster, "objective", objective.c_str()), "objective");
  Must(XGBoosterSetParam(booster, "max_depth", "3"), "max_depth");
  Must(XGBoosterSetParam(booster, "nthread", "1"), "nthread");
  if (objective.starts_with("multi")) Must(XGBoosterSetParam(booster, "num_class", "3"), "k");
  if (with_feature_names) {
    const char* names[kFeatures] = {"age", "income", "height", "weight", "score", "tenure"};
    Must(XGBoosterSetStrFeatureInfo(booster, "feature_name", names, kFeatures), "names");
  }
  for (int i = 0; i < 8; ++i) Must(XGBoosterUpdateOneIter(booster, i, data), "update");
  Must(XGBoosterSaveModel(booster, (dir / (stem + ".json")).c_str()), "save json");
  Must(XGBoosterSaveModel(booster, (dir / (stem + ".ubj")).c_str()), "save ubj");
  XGBoosterFree(booster);
  XGDMatrixFree(data);
}

// Models shared by all tests, trained once; removed at exit.
inline const fs::path& ModelDir() {
  static const testing::TempDir dir;
  static const bool trained = [] {
    TrainAndSave(dir.path(), "binary", "binary:logistic", /*with_feature_names=*/true);
    TrainAndSave(dir.path(), "multi", "multi:softprob");
    TrainAndSave(dir.path(), "softmax", "multi:softmax");
    TrainAndSave(dir.path(), "regression", "reg:squarederror");
    return true;
  }();
  (void)trained;
  return dir.path();
}

inline ModelSpec Spec(const std::string& file, Task task, Shape output_shape,
                      int64_t features = kFeatures, DataType input_type = DataType::kFp32) {
  ModelSpec spec;
  spec.artifact = ModelDir() / file;
  spec.task = task;
  spec.signature.inputs = {{"features", input_type, Shape{-1, features}, {}}};
  spec.signature.outputs = {{"prediction", DataType::kFp32, std::move(output_shape), {}}};
  return spec;
}

inline ModelSpec BinarySpec(const std::string& file = "binary.json") {
  return Spec(file, Task::kBinaryClassification, Shape{-1});
}

inline const Backend& Xgb() {
  const Backend* backend = FindBackend("xgboost");
  if (backend == nullptr) {
    std::fprintf(stderr, "the xgboost backend is not registered\n");
    std::abort();
  }
  return *backend;
}

inline Status LoadStatus(const ModelSpec& spec, LoadOptions options = {}) {
  auto model = Xgb().Load(spec, options);
  return model.ok() ? Status::Ok() : model.status();
}

inline std::unique_ptr<Model> MustLoad(const ModelSpec& spec, LoadOptions options = {}) {
  auto model = Xgb().Load(spec, options);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? std::move(model).value() : nullptr;
}

}  // namespace ferry::backends::xgboost::test_models

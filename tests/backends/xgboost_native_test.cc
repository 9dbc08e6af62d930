// Ferry's native tree evaluator (forest.h) against XGBoost's own predictor:
// the same bits for every supported objective, with missing values, deep
// trees and values exactly on split thresholds; and the choice between them.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <xgboost/c_api.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "ferry/backends/backend.h"
#include "ferry/backends/xgboost/booster.h"
#include "ferry/backends/xgboost/forest.h"
#include "ferry/backends/xgboost/forest_from_json.h"
#include "ferry/backends/xgboost/predictor_choice.h"
#include "ferry/backends/xgboost/xgboost_model.h"
#include "ferry/base/files.h"
#include "testing/test_util.h"

namespace ferry::backends::xgboost {
namespace {

namespace fs = std::filesystem;
using TreePredictor = LoadOptions::TreePredictor;

constexpr int64_t kFeatures = 8;

void Must(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "%s failed: %s\n", what, XGBGetLastError());
    std::abort();
  }
}

// Normal noise; about one value in nine is NaN when `nan_every` is 9.
std::vector<float> Rows(int64_t rows, uint32_t seed, int nan_every) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(static_cast<size_t>(rows * kFeatures));
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = (nan_every > 0 && gen() % static_cast<uint32_t>(nan_every) == 0) ? std::nanf("")
                                                                            : normal(gen);
  }
  return x;
}

float Label(const std::string& objective, const float* row) {
  auto v = [&](int i) { return std::isnan(row[i]) ? 0.3f : row[i]; };
  const float s = v(0) + 0.5f * v(1) * v(2) - v(3) + 0.25f * v(4) * v(4);
  if (objective.starts_with("binary") || objective == "reg:logistic") return s > 0 ? 1.0f : 0.0f;
  if (objective.starts_with("multi")) return s < -0.5f ? 0.0f : (s < 0.7f ? 1.0f : 2.0f);
  if (objective == "count:poisson") return std::floor(std::exp(0.5f * s));
  if (objective == "reg:gamma") return std::exp(0.3f * s) + 0.1f;
  return s;
}

struct ModelCase {
  std::string name;
  std::string objective;
  int depth;
  int rounds;
  std::vector<std::pair<std::string, std::string>> params;  // extra booster parameters
};

void PrintTo(const ModelCase& c, std::ostream* os) { *os << c.name; }

// Trains through the C API and saves <dir>/<name>.json.
fs::path Train(const fs::path& dir, const ModelCase& c) {
  const int64_t rows = 1500;
  std::vector<float> x = Rows(rows, 11, 9);
  std::vector<float> y(rows);
  for (int64_t i = 0; i < rows; ++i) y[i] = Label(c.objective, &x[i * kFeatures]);
  DMatrixHandle data = nullptr;
  Must(XGDMatrixCreateFromMat(x.data(), rows, kFeatures, NAN, &data), "XGDMatrixCreateFromMat");
  Must(XGDMatrixSetFloatInfo(data, "label", y.data(), rows), "label");
  BoosterHandle booster = nullptr;
  Must(XGBoosterCreate(&data, 1, &booster), "XGBoosterCreate");
  Must(XGBoosterSetParam(booster, "objective", c.objective.c_str()), "objective");
  Must(XGBoosterSetParam(booster, "max_depth", std::to_string(c.depth).c_str()), "max_depth");
  Must(XGBoosterSetParam(booster, "nthread", "1"), "nthread");
  Must(XGBoosterSetParam(booster, "min_child_weight", "0"), "min_child_weight");
  if (c.objective.starts_with("multi")) Must(XGBoosterSetParam(booster, "num_class", "3"), "k");
  for (const auto& [k, v] : c.params) Must(XGBoosterSetParam(booster, k.c_str(), v.c_str()), "p");
  for (int i = 0; i < c.rounds; ++i) Must(XGBoosterUpdateOneIter(booster, i, data), "update");
  fs::path path = dir / (c.name + ".json");
  Must(XGBoosterSaveModel(booster, path.c_str()), "save");
  XGBoosterFree(booster);
  XGDMatrixFree(data);
  return path;
}

// Every number of every "<key>":[...] array in the model's JSON text.
std::vector<float> ArrayValues(const std::string& json, const std::string& key) {
  std::vector<float> out;
  const std::string needle = "\"" + key + "\":[";
  for (size_t at = json.find(needle); at != std::string::npos; at = json.find(needle, at)) {
    at += needle.size();
    while (at < json.size() && json[at] != ']') {
      float v = 0;
      auto [ptr, ec] = std::from_chars(json.data() + at, json.data() + json.size(), v);
      EXPECT_EQ(ec, std::errc()) << json.substr(at, 20);
      out.push_back(v);
      at = static_cast<size_t>(ptr - json.data());
      if (json[at] == ',') ++at;
    }
  }
  return out;
}

// Random rows with NaNs, plus rows with one feature exactly on a split
// threshold (and one float either side), taken from the model itself.
std::vector<float> TestRows(const fs::path& model) {
  std::vector<float> x = Rows(300, 5, 7);
  auto text = ReadFile(model);
  EXPECT_TRUE(text.ok());
  std::vector<float> conditions = ArrayValues(*text, "split_conditions");
  std::vector<float> features = ArrayValues(*text, "split_indices");
  EXPECT_EQ(conditions.size(), features.size());
  std::vector<float> base = Rows(1, 3, 0);
  for (size_t i = 0; i < conditions.size() && i < 3000; ++i) {
    const size_t f = static_cast<size_t>(features[i]);
    for (float v : {conditions[i], std::nextafter(conditions[i], -INFINITY),
                    std::nextafter(conditions[i], INFINITY)}) {
      std::vector<float> row = base;
      row[f] = v;
      x.insert(x.end(), row.begin(), row.end());
    }
  }
  return x;
}

ModelSpec SpecFor(const fs::path& path, const std::string& objective, DataType input) {
  ModelSpec spec;
  spec.artifact = path;
  Shape out{-1};
  spec.task = Task::kRegression;
  if (objective.starts_with("binary")) spec.task = Task::kBinaryClassification;
  if (objective.starts_with("multi")) {
    spec.task = Task::kMulticlassClassification;
    out = Shape{-1, 3};
  }
  spec.signature.inputs = {{"x", input, Shape{-1, kFeatures}, {}}};
  spec.signature.outputs = {{"y", DataType::kFp32, out, {}}};
  return spec;
}

Result<std::unique_ptr<Model>> Load(const ModelSpec& spec, TreePredictor predictor,
                                    int threads = 1) {
  LoadOptions options;
  options.threads_per_session = threads;
  options.tree_predictor = predictor;
  return FindBackend("xgboost")->Load(spec, options);
}

template <typename T>
std::vector<float> Predict(const Model& model, const std::vector<T>& x) {
  auto session = model.NewSession();
  EXPECT_TRUE(session.ok());
  DataType type = sizeof(T) == 4 ? DataType::kFp32 : DataType::kFp64;
  TensorView view(type, Shape{static_cast<int64_t>(x.size()) / kFeatures, kFeatures}, x.data());
  auto out = (*session)->Run(std::span<const TensorView>(&view, 1));
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  if (!out.ok()) return {};
  auto values = (*out)[0].Data<float>();
  return {values.begin(), values.end()};
}

class NativeMatchesXgboost : public ::testing::TestWithParam<ModelCase> {};

TEST_P(NativeMatchesXgboost, BitForBit) {
  const ModelCase& c = GetParam();
  testing::TempDir dir;
  const fs::path path = Train(dir.path(), c);
  for (DataType input : {DataType::kFp32, DataType::kFp64}) {
    const ModelSpec spec = SpecFor(path, c.objective, input);
    auto native = Load(spec, TreePredictor::kNative);
    ASSERT_TRUE(native.ok()) << native.status().ToString();
    EXPECT_EQ(dynamic_cast<const XgboostModel&>(**native).predictor(), "native");
    auto xgb = Load(spec, TreePredictor::kFramework);
    ASSERT_TRUE(xgb.ok()) << xgb.status().ToString();
    EXPECT_EQ(dynamic_cast<const XgboostModel&>(**xgb).predictor(), "xgboost");

    std::vector<float> x = TestRows(path);
    std::vector<float> a, b;
    if (input == DataType::kFp32) {
      a = Predict(**native, x);
      b = Predict(**xgb, x);
    } else {
      std::vector<double> x64(x.begin(), x.end());
      for (size_t i = 0; i < x64.size(); i += 13) x64[i] += 1e-9;  // not exact floats
      a = Predict(**native, x64);
      b = Predict(**xgb, x64);
    }
    ASSERT_EQ(a.size(), b.size());
    ASSERT_FALSE(a.empty());
    size_t differing = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) ++differing;
    }
    EXPECT_EQ(differing, 0u) << c.name << " " << DataTypeName(input) << ": " << a.size()
                             << " values";
    // Every block size and tail: the first rows alone.
    for (size_t rows : {size_t{1}, size_t{7}, size_t{9}, size_t{129}}) {
      std::vector<float> head(x.begin(), x.begin() + static_cast<int64_t>(rows * kFeatures));
      std::vector<float> got = Predict(**native, head);
      ASSERT_EQ(got.size(), rows * (a.size() / (x.size() / kFeatures)));
      EXPECT_EQ(std::memcmp(got.data(), Predict(**xgb, head).data(), got.size() * sizeof(float)),
                0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Objectives, NativeMatchesXgboost,
    ::testing::Values(
        ModelCase{"binary_d2", "binary:logistic", 2, 30, {}},
        ModelCase{"binary_d6", "binary:logistic", 6, 40, {{"base_score", "0.3"}}},
        ModelCase{"binary_d8_hist", "binary:logistic", 8, 20, {{"tree_method", "hist"}}},
        ModelCase{"regression_d6", "reg:squarederror", 6, 30, {{"base_score", "1.7"}}},
        ModelCase{"regression_d8_lossguide",
                  "reg:squarederror",
                  8,
                  15,
                  {{"tree_method", "hist"}, {"grow_policy", "lossguide"}, {"max_leaves", "40"}}},
        ModelCase{"multi_d5", "multi:softprob", 5, 20, {}},
        ModelCase{"multi_forest",
                  "multi:softprob",
                  4,
                  5,
                  {{"num_parallel_tree", "3"}, {"subsample", "0.8"}}},
        ModelCase{"logitraw", "binary:logitraw", 4, 20, {}},
        ModelCase{"hinge", "binary:hinge", 3, 20, {}},
        ModelCase{"logistic_regression", "reg:logistic", 4, 20, {}},
        ModelCase{"poisson", "count:poisson", 5, 20, {}},
        ModelCase{"gamma", "reg:gamma", 4, 20, {}},
        ModelCase{"absolute", "reg:absoluteerror", 5, 20, {}}),
    [](const ::testing::TestParamInfo<ModelCase>& info) { return info.param.name; });

TEST(NativePredictorTest, AutoUsesNativeAndFallsBackForDart) {
  testing::TempDir dir;
  const fs::path gbtree = Train(dir.path(), {"g", "binary:logistic", 3, 5, {}});
  auto model = Load(SpecFor(gbtree, "binary:logistic", DataType::kFp32), TreePredictor::kAuto);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(dynamic_cast<const XgboostModel&>(**model).predictor(), "native");

  const fs::path dart = Train(dir.path(), {"d", "binary:logistic", 3, 5, {{"booster", "dart"}}});
  const ModelSpec spec = SpecFor(dart, "binary:logistic", DataType::kFp32);
  model = Load(spec, TreePredictor::kAuto);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const auto& xm = dynamic_cast<const XgboostModel&>(**model);
  EXPECT_EQ(xm.predictor(), "xgboost");
  EXPECT_EQ(xm.native_fallback_reason(), "native predictor: booster 'dart' is not supported");
  auto forced = Load(spec, TreePredictor::kNative);
  EXPECT_EQ(forced.status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(forced.status().message(), "d.json: native predictor: booster 'dart' is not supported");

  // Several framework threads per session: XGBoost's predictor, unless forced.
  model = Load(SpecFor(gbtree, "binary:logistic", DataType::kFp32), TreePredictor::kAuto, 2);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(dynamic_cast<const XgboostModel&>(**model).predictor(), "xgboost");
  model = Load(SpecFor(gbtree, "binary:logistic", DataType::kFp32), TreePredictor::kNative, 2);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(dynamic_cast<const XgboostModel&>(**model).predictor(), "native");
}

TEST(NativePredictorTest, EnvironmentOverridesAuto) {
  testing::TempDir dir;
  const ModelSpec spec = SpecFor(Train(dir.path(), {"g", "reg:squarederror", 3, 5, {}}),
                                 "reg:squarederror", DataType::kFp32);
  auto predictor_with = [&](const char* value, TreePredictor requested) -> std::string {
    setenv("FERRY_XGBOOST_PREDICTOR", value, 1);
    auto model = Load(spec, requested);
    unsetenv("FERRY_XGBOOST_PREDICTOR");
    if (!model.ok()) return model.status().message();
    return std::string(dynamic_cast<const XgboostModel&>(**model).predictor());
  };
  EXPECT_EQ(predictor_with("xgboost", TreePredictor::kAuto), "xgboost");
  EXPECT_EQ(predictor_with("native", TreePredictor::kAuto), "native");
  EXPECT_EQ(predictor_with("auto", TreePredictor::kAuto), "native");
  EXPECT_EQ(predictor_with("xgboost", TreePredictor::kNative), "native");  // code wins
  EXPECT_EQ(predictor_with("fast", TreePredictor::kAuto),
            "FERRY_XGBOOST_PREDICTOR is 'fast'; expected native, xgboost or auto");
}

// FERRY_FOREST_KERNEL picks the kernel at load (the same bits whichever),
// and a bad or unsupported value fails the load with the reason.
TEST(NativePredictorTest, ForestKernelEnvironment) {
  testing::TempDir dir;
  const fs::path path = Train(dir.path(), {"k", "binary:logistic", 6, 20, {}});
  const ModelSpec spec = SpecFor(path, "binary:logistic", DataType::kFp32);
  auto xgb = Load(spec, TreePredictor::kFramework);
  ASSERT_TRUE(xgb.ok()) << xgb.status().ToString();
  const std::vector<float> x = TestRows(path);
  const std::vector<float> expected = Predict(**xgb, x);
  auto booster = Booster::LoadFile(path);
  ASSERT_TRUE(booster.ok());
  LoadOptions options;
  options.tree_predictor = TreePredictor::kNative;
  for (const char* name : {"scalar", "avx2", "avx512", "auto", ""}) {
    SCOPED_TRACE(name);
    setenv(kForestKernelEnv, name, 1);
    auto model = Load(spec, TreePredictor::kNative);
    auto choice = ChoosePredictor(*booster, options, kFeatures, "k.json");
    unsetenv(kForestKernelEnv);
    auto kernel = ParseForestKernel(name);
    if (kernel.ok() && !ForestKernelSupported(*kernel).ok()) {  // this CPU lacks it
      EXPECT_EQ(model.status().code(), StatusCode::kFailedPrecondition);
      EXPECT_EQ(model.status().message(), "FERRY_FOREST_KERNEL is '" + std::string(name) +
                                              "' but " + ForestKernelSupported(*kernel).message());
      continue;
    }
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    ASSERT_TRUE(choice.ok() && choice->forest.has_value());
    EXPECT_EQ(choice->forest->kernel(), kernel.ok() ? *kernel : DefaultForestKernel());
    const std::vector<float> got = Predict(**model, x);
    ASSERT_EQ(got.size(), expected.size());
    EXPECT_EQ(std::memcmp(got.data(), expected.data(), got.size() * sizeof(float)), 0);
  }
  setenv(kForestKernelEnv, "avx1024", 1);
  auto model = Load(spec, TreePredictor::kAuto);
  unsetenv(kForestKernelEnv);
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model.status().message(),
            "FERRY_FOREST_KERNEL is 'avx1024'; expected scalar, avx2, avx512 or auto");
}

// A hand-made tree: root splits feature 1 at 0.5 (missing goes left), its
// right child splits feature 0 at -1 (missing goes right).
std::vector<TreeNodes> SmallTree() {
  TreeNodes t;
  t.left = {1, -1, 3, -1, -1};
  t.right = {2, -1, 4, -1, -1};
  t.feature = {1, 0, 0, 0, 0};
  t.condition = {0.5f, 10.0f, -1.0f, 20.0f, 30.0f};
  t.default_left = {1, 0, 0, 0, 0};
  return {t};
}

TEST(ForestTest, FollowsThresholdsAndDefaultDirections) {
  ForestParams params{.num_features = 2, .num_groups = 1, .base_margin = 0.5f};
  auto forest = Forest::Create(params, SmallTree());
  ASSERT_TRUE(forest.ok()) << forest.status().ToString();
  const float nan = std::nanf("");
  std::vector<float> x = {0, 0.4f, 0, 0.5f, nan, nan, -1.0f, 2, -1.5f, 2, nan, 0.6f};
  std::vector<float> out(6);
  forest->Predict(x.data(), 6, out.data());
  EXPECT_EQ(out, (std::vector<float>{10.5f, 30.5f, 10.5f, 30.5f, 20.5f, 30.5f}));
}

TEST(ForestTest, RefusesWhatItCannotEvaluateExactly) {
  ForestParams params{.num_features = 2};
  std::vector<TreeNodes> trees = SmallTree();
  trees[0].right[2] = 3;
  trees[0].left[2] = 4;
  EXPECT_EQ(Forest::Create(params, trees).status().message(),
            "native predictor: tree 0 node 2 has children 4, 3 (expected two adjacent nodes)");
  trees = SmallTree();
  trees[0].feature[2] = 2;
  EXPECT_EQ(Forest::Create(params, trees).status().message(),
            "native predictor: tree 0 node 2 splits on feature 2 of 2");
  trees = SmallTree();
  trees[0].group = 1;
  EXPECT_EQ(Forest::Create(params, trees).status().code(), StatusCode::kUnimplemented);
  trees = SmallTree();
  trees[0].left[2] = 1;  // node 2's right child is node 2 itself: a cycle
  trees[0].right[2] = 2;
  EXPECT_EQ(Forest::Create(params, trees).status().code(), StatusCode::kUnimplemented);
  trees = SmallTree();
  trees[0].condition.pop_back();
  EXPECT_EQ(Forest::Create(params, trees).status().code(), StatusCode::kInvalidArgument);

  // A chain deeper than kMaxNativeDepth: splits at nodes 0, 2, 4, ...; leaves at 1, 3, 5, ...
  const int32_t levels = kMaxNativeDepth + 1;
  const size_t n = 2 * levels + 1;
  TreeNodes chain;
  chain.left.assign(n, -1);
  chain.right.assign(n, -1);
  chain.feature.assign(n, 0);
  chain.condition.assign(n, 1.0f);
  chain.default_left.assign(n, 0);
  for (int32_t i = 0; i < levels; ++i) {
    chain.left[static_cast<size_t>(2 * i)] = 2 * i + 1;
    chain.right[static_cast<size_t>(2 * i)] = 2 * i + 2;
  }
  EXPECT_EQ(Forest::Create(params, {chain}).status().message(),
            "native predictor: tree 0 is deeper than 12 levels");
}

TEST(ForestFromJsonTest, RefusesUnsupportedModelsWithTheReason) {
  EXPECT_EQ(ForestFromModelJson("{}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ForestFromModelJson("not json").status().code(), StatusCode::kInvalidArgument);
  const std::string model =
      R"({"learner":{"gradient_booster":{"model":{"tree_info":[0],"trees":[{"default_left":[0],)"
      R"("id":0,"left_children":[-1],"right_children":[-1],"split_conditions":[1.5E0],)"
      R"("split_indices":[0],"split_type":[0]}]},"name":"gbtree"},"learner_model_param":)"
      R"({"base_score":"5E-1","num_class":"0","num_feature":"3","num_target":"1"},)"
      R"("objective":{"name":"OBJ"}},"version":[1,7,4]})";
  auto with = [&](const std::string& objective) {
    std::string m = model;
    m.replace(m.find("OBJ"), 3, objective);
    return ForestFromModelJson(m);
  };
  auto ok = with("reg:squarederror");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  std::vector<float> x = {1, 2, 3};
  float out = 0;
  ok->Predict(x.data(), 1, &out);
  EXPECT_EQ(out, 2.0f);  // 0.5 + 1.5
  EXPECT_EQ(with("rank:pairwise").status().message(),
            "native predictor: objective 'rank:pairwise' is not supported");
  std::string categorical = model;
  categorical.replace(categorical.find("\"split_type\":[0]"), 16, "\"split_type\":[1]");
  categorical.replace(categorical.find("OBJ"), 3, "reg:squarederror");
  EXPECT_EQ(ForestFromModelJson(categorical).status().message(),
            "native predictor: tree 0 has categorical splits");
}

}  // namespace
}  // namespace ferry::backends::xgboost

#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "ferry/bundle/bundle.h"
#include "ferry/bundle/create.h"
#include "ferry/serving/inference_service.h"
#include "testing/test_util.h"

// Real bundles and real rows for serving tests: the breast-cancer example
// (XGBoost, 30 FP32 features) built with `ferry bundle create`'s code.
namespace ferry::serving::testing {

// Creates a bundle of examples/breast-cancer/model.json at `dir` (must not
// exist). Aborts the test binary on failure (set-up only).
void MakeExampleBundle(const std::filesystem::path& dir);

// The first `n` rows of examples/breast-cancer/data.csv (30 features each).
std::vector<float> ExampleRows(int64_t n);

// A request for model `model` holding `rows` (flat, 30 per row).
std::unique_ptr<InferRequest> MakeRequest(const std::string& model, const std::vector<float>& rows);

// Predictions of the bundle at `dir` for `rows`, straight from the backend.
std::vector<float> DirectPredictions(const std::filesystem::path& dir,
                                     const std::vector<float>& rows);

// Recursively copies a bundle folder.
void CopyBundle(const std::filesystem::path& from, const std::filesystem::path& to);

namespace internal {
[[noreturn]] inline void Die(const std::string& what) {
  std::cerr << "test set-up failed: " << what << "\n";
  std::abort();
}
}  // namespace internal

inline void MakeExampleBundle(const std::filesystem::path& dir) {
  bundle::CreateOptions o;
  o.model_file = ferry::testing::SourceDir() / "examples/breast-cancer/model.json";
  o.output_dir = dir;
  o.name = "breast-cancer";
  auto b = bundle::CreateBundle(o);
  if (!b.ok()) internal::Die(b.status().ToString());
}

inline std::vector<float> ExampleRows(int64_t n) {
  std::ifstream in(ferry::testing::SourceDir() / "examples/breast-cancer/data.csv");
  std::string line;
  std::getline(in, line);  // header
  std::vector<float> out;
  for (int64_t r = 0; r < n && std::getline(in, line); ++r) {
    std::stringstream ss(line);
    std::string cell;
    std::getline(ss, cell, ',');  // id
    for (int c = 0; c < 30; ++c) {
      std::getline(ss, cell, ',');
      out.push_back(std::stof(cell));
    }
  }
  if (out.size() != static_cast<size_t>(n) * 30) internal::Die("not enough rows in data.csv");
  return out;
}

inline std::unique_ptr<InferRequest> MakeRequest(const std::string& model,
                                                 const std::vector<float>& rows) {
  auto r = std::make_unique<InferRequest>();
  r->model = model;
  r->input_name = "features";
  r->input = Tensor(DataType::kFp32, Shape{static_cast<int64_t>(rows.size() / 30), 30});
  std::copy(rows.begin(), rows.end(), r->input.MutableData<float>().begin());
  r->received = std::chrono::steady_clock::now();
  return r;
}

inline std::vector<float> DirectPredictions(const std::filesystem::path& dir,
                                            const std::vector<float>& rows) {
  auto b = bundle::OpenBundle(dir);
  if (!b.ok()) internal::Die(b.status().ToString());
  auto model = bundle::LoadModel(*b);
  if (!model.ok()) internal::Die(model.status().ToString());
  auto session = (*model)->NewSession();
  if (!session.ok()) internal::Die(session.status().ToString());
  TensorView view(DataType::kFp32, Shape{static_cast<int64_t>(rows.size() / 30), 30}, rows.data());
  auto out = (*session)->Run(std::span<const TensorView>(&view, 1));
  if (!out.ok()) internal::Die(out.status().ToString());
  auto data = (*out)[0].Data<float>();
  return std::vector<float>(data.begin(), data.end());
}

inline void CopyBundle(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::create_directories(to.parent_path());
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

}  // namespace ferry::serving::testing

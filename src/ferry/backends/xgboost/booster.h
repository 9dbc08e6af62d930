#pragma once

#include <xgboost/c_api.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/backends/xgboost/learner_facts.h"
#include "ferry/base/result.h"

// RAII owners of XGBoost C API handles, and the one place that turns XGBoost
// error codes into Status values.
namespace ferry::backends::xgboost {

// The first line of XGBoost's last error on the calling thread
// (XGBGetLastError), without its "[hh:mm:ss] file:line: " prefix.
std::string LastXgboostError();

// Owns one BoosterHandle; frees it on destruction. Move-only.
//
// Thread safety: predicting through handle() with XGBoosterPredictFromDense
// is safe from many threads at once (XGBoost keeps per-thread output
// buffers), provided each thread uses its own proxy DMatrix. Every other
// member function reconfigures the learner or writes XGBoost state, so call
// them only while one thread owns the Booster (during loading).
class Booster {
 public:
  // Reads `artifact`, checks its bytes (model_bytes_check.h) and loads it
  // from memory, so the bytes XGBoost parses are the bytes Ferry checked.
  // The extension picks the format and must agree with the content.
  // Errors name the file:
  //   InvalidArgument  the extension is not ".json" or ".ubj"
  //   NotFound         the file cannot be opened
  //   DataLoss         the bytes are corrupt or truncated, or XGBoost refuses
  //                    them (its error text is included)
  // `load_threads` > 0 caps the OpenMP threads XGBoost's parser uses (it
  // loads trees in a parallel loop); 0 keeps XGBoost's default.
  static Result<Booster> LoadFile(const std::filesystem::path& artifact, int load_threads = 0);

  Booster(Booster&& other) noexcept;
  Booster& operator=(Booster&& other) noexcept;
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;
  ~Booster();

  BoosterHandle handle() const { return handle_; }

  Status SetParam(const char* name, const std::string& value);
  Result<int64_t> NumFeatures() const;
  Result<LearnerFacts> Facts() const;
  // Empty when the model records no feature names.
  Result<std::vector<std::string>> FeatureNames() const;
  // The model in XGBoost's JSON format (XGBoosterSaveModelToBuffer), whatever
  // format it was loaded from.
  Result<std::string> ModelJson() const;

 private:
  explicit Booster(BoosterHandle handle) : handle_(handle) {}

  BoosterHandle handle_ = nullptr;
};

// Owns one proxy DMatrix (XGProxyDMatrixCreate), the reusable carrier of the
// input for in-place prediction. Move-only; use from one thread at a time.
class ProxyDMatrix {
 public:
  static Result<ProxyDMatrix> Create();

  ProxyDMatrix(ProxyDMatrix&& other) noexcept;
  ProxyDMatrix& operator=(ProxyDMatrix&& other) noexcept;
  ProxyDMatrix(const ProxyDMatrix&) = delete;
  ProxyDMatrix& operator=(const ProxyDMatrix&) = delete;
  ~ProxyDMatrix();

  DMatrixHandle handle() const { return handle_; }

 private:
  explicit ProxyDMatrix(DMatrixHandle handle) : handle_(handle) {}

  DMatrixHandle handle_ = nullptr;
};

}  // namespace ferry::backends::xgboost

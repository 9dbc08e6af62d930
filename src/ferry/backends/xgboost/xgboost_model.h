#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/backends/backend.h"
#include "ferry/backends/xgboost/booster.h"
#include "ferry/backends/xgboost/forest.h"
#include "ferry/backends/xgboost/predictor_choice.h"
#include "ferry/backends/xgboost/signature_check.h"

namespace ferry::backends::xgboost {

// Immutable state shared by a model and its sessions. A session holds a
// reference (shared_ptr), so the booster stays alive while any session does,
// even if the XgboostModel is destroyed first.
struct LoadedModel {
  Booster booster;
  std::string file;        // artifact file name, for messages
  std::string input_name;  // signature input name, for messages
  int64_t num_features = 0;
  int64_t output_width = 1;           // values per row: 1, or num_class for multiclass
  bool output_has_width_dim = false;  // output shape [n, w] rather than [n]
  // Set when Ferry's native predictor scores (forest.h); else XGBoost does.
  std::optional<Forest> forest;
};

// A loaded XGBoost model, checked against its ModelSpec.
//
// Thread safety: immutable after Create; signature(), task(), facts() and
// NewSession() may be called from any thread, and its Sessions used
// concurrently (one Session per thread). With the native predictor, sessions
// read the immutable Forest. Otherwise all sessions predict through the
// one BoosterHandle: XGBoost's in-place prediction keeps its output buffers
// per thread, and each session has its own proxy DMatrix.
class XgboostModel final : public Model {
 public:
  // Takes a booster already checked against `spec` (CheckSpecAgainstModel)
  // and with its nthread set, and the predictor choice (predictor_choice.h),
  // and runs one warm-up prediction through XGBoost so that it finishes
  // configuring the learner before any concurrent use. InvalidArgument if
  // XGBoost cannot predict with the model.
  static Result<std::unique_ptr<XgboostModel>> Create(const ModelSpec& spec, Booster booster,
                                                      const ModelShape& shape,
                                                      PredictorChoice predictor);

  const Signature& signature() const override { return signature_; }
  Task task() const override { return task_; }
  Result<std::unique_ptr<Session>> NewSession() const override;

  // What XGBoost reported after loading (objective, num_class, nthread...).
  const LearnerFacts& facts() const { return facts_; }
  // "native" or "xgboost": who scores this model's sessions.
  std::string_view predictor() const { return loaded_->forest ? "native" : "xgboost"; }
  // Why kAuto chose XGBoost's predictor; empty otherwise.
  const std::string& native_fallback_reason() const { return fallback_reason_; }

 private:
  XgboostModel(const ModelSpec& spec, std::shared_ptr<const LoadedModel> loaded,
               LearnerFacts facts);

  Signature signature_;
  Task task_;
  LearnerFacts facts_;
  std::shared_ptr<const LoadedModel> loaded_;
  std::string fallback_reason_;
};

// One caller's handle on an XgboostModel: a proxy DMatrix, an array-interface
// buffer and the output tensor, all reused across Run calls.
//
// Thread safety: NOT thread-safe; one Session per thread. A Session keeps
// the model's booster alive (see LoadedModel).
class XgboostSession final : public Session {
 public:
  static Result<std::unique_ptr<XgboostSession>> Create(std::shared_ptr<const LoadedModel> model);

  // Predicts for one input view of shape [n, num_features], datatype FP32 or
  // FP64 (either one, whichever the signature declares). NaN
  // entries are missing values, exactly as in XGBoost. Returns one FP32
  // tensor: [n] or [n, 1] for binary classification and regression (as the
  // signature says), [n, num_class] for multiclass probabilities.
  // n == 0 returns an empty tensor without calling XGBoost. The model's
  // native predictor, when it has one, gives the same bits as XGBoost.
  //
  // Errors: InvalidArgument for a wrong input count, datatype or shape, e.g.
  // "input 'features': expected shape [-1, 30], got [2, 29]"; Internal if
  // XGBoost fails.
  //
  // Allocation: none in Ferry's code while the batch size stays the same;
  // a new batch size costs one small allocation for the output Shape (the
  // output buffer itself only grows, it is never reallocated within its
  // capacity), and the first FP64 call with the native predictor allocates
  // its conversion buffer. XGBoost itself allocates on every call; the
  // native predictor never does.
  Result<std::span<const Tensor>> Run(std::span<const TensorView> inputs) override;

 private:
  XgboostSession(std::shared_ptr<const LoadedModel> model, ProxyDMatrix proxy);
  void ResizeOutput(int64_t rows);
  // Run's native path: `input` is checked and holds rows > 0 rows.
  Result<std::span<const Tensor>> RunNative(const Forest& forest, const TensorView& input,
                                            int64_t rows);

  std::shared_ptr<const LoadedModel> model_;
  ProxyDMatrix proxy_;
  std::vector<Tensor> outputs_;      // exactly one
  std::vector<float> fp64_scratch_;  // native predictor, FP64 input: one block as floats
  int64_t output_rows_ = 0;
  // {"data":[<ptr>,true],"shape":[<n>,<f>],"typestr":"<f4","version":3}
  char array_interface_[192] = {};
};

}  // namespace ferry::backends::xgboost

#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/backends/backend.h"

namespace ferry::backends::xgboost {

// Serves XGBoost models (framework "xgboost") through XGBoost's C API,
// version 1.7. Registered at start-up; get it with FindBackend("xgboost").
//
// Artifacts are XGBoost's own model files, ".json" or ".ubj"; the extension
// names the format. Before XGBoost parses a file, Ferry checks its bytes
// (model_bytes_check.h), because XGBoost 1.7 crashes on some truncated UBJ
// files and on deeply nested documents. So a corrupt, truncated or garbage
// file is an error Status, never a crash.
//
// Objectives and tasks: binary:logistic / logitraw / hinge serve
// binary_classification; multi:softprob serves multiclass_classification;
// reg:*, count:*, survival:*, rank:* serve regression. multi:softmax is
// refused (it predicts a class index).
//
// Thread safety: stateless; every member may be called from any thread.
class XgboostBackend final : public Backend {
 public:
  std::string_view framework() const override { return "xgboost"; }

  // Loads spec.artifact and checks spec against it (signature_check.h).
  // The booster's "nthread" is set to options.threads_per_session (>= 1).
  // options.tree_predictor picks the evaluator (predictor_choice.h): by
  // default Ferry's native one (forest.h; bit-identical to XGBoost's) for
  // gbtree models with numerical splits and a supported objective when
  // threads_per_session is 1, else XGBoost's C API. FERRY_XGBOOST_PREDICTOR
  // (native, xgboost, auto) overrides kAuto.
  // Errors name the file: InvalidArgument (extension, signature or task
  // mismatch, bad options or FERRY_XGBOOST_PREDICTOR), NotFound (cannot
  // open), DataLoss (corrupt or truncated, with XGBoost's error text when
  // XGBoost refused it), Unimplemented (kNative for a model it cannot
  // evaluate, with the reason).
  Result<std::unique_ptr<Model>> Load(const ModelSpec& spec,
                                      const LoadOptions& options) const override;

  // Reads task (from the objective; empty for multi:softmax), num_features,
  // num_classes (multi:* objectives only), feature_names (empty when the
  // file has none) and objective. Same errors as Load for the file itself.
  Result<ModelInfo> Inspect(const std::filesystem::path& artifact) const override;

  // {".json", ".ubj"}
  std::vector<std::string> artifact_extensions() const override;
};

}  // namespace ferry::backends::xgboost

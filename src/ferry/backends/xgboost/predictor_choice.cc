#include "ferry/backends/xgboost/predictor_choice.h"

#include <cstdlib>
#include <optional>
#include <string_view>
#include <utility>

#include "ferry/backends/xgboost/forest_from_json.h"

namespace ferry::backends::xgboost {

namespace {

using TreePredictor = LoadOptions::TreePredictor;

Result<TreePredictor> FromEnvironment(TreePredictor requested) {
  if (requested != TreePredictor::kAuto) return requested;
  const char* value = std::getenv(kPredictorEnv);
  if (value == nullptr) return requested;
  std::string_view v(value);
  if (v.empty() || v == "auto") return TreePredictor::kAuto;
  if (v == "native") return TreePredictor::kNative;
  if (v == "xgboost") return TreePredictor::kFramework;
  return InvalidArgument(std::string(kPredictorEnv) + " is '" + std::string(v) +
                         "'; expected native, xgboost or auto");
}

// The kernel kForestKernelEnv forces, if any.
Result<std::optional<ForestKernel>> KernelFromEnvironment() {
  const char* value = std::getenv(kForestKernelEnv);
  if (value == nullptr) return std::optional<ForestKernel>();
  std::string_view v(value);
  if (v.empty() || v == "auto") return std::optional<ForestKernel>();
  Result<ForestKernel> kernel = ParseForestKernel(v);
  if (!kernel.ok()) {
    return InvalidArgument(std::string(kForestKernelEnv) + " is '" + std::string(v) +
                           "'; expected scalar, avx2, avx512 or auto");
  }
  if (Status supported = ForestKernelSupported(*kernel); !supported.ok()) {
    return Status(supported.code(), std::string(kForestKernelEnv) + " is '" + std::string(v) +
                                        "' but " + supported.message());
  }
  return std::optional<ForestKernel>(*kernel);
}

Result<Forest> BuildForest(const Booster& booster, int64_t num_features) {
  FERRY_ASSIGN_OR_RETURN(std::string json, booster.ModelJson());
  FERRY_ASSIGN_OR_RETURN(Forest forest, ForestFromModelJson(json));
  if (forest.params().num_features != num_features) {
    return Unimplemented("native predictor: the trees record " +
                         std::to_string(forest.params().num_features) +
                         " features but XGBoost reports " + std::to_string(num_features));
  }
  return forest;
}

}  // namespace

Result<PredictorChoice> ChoosePredictor(const Booster& booster, const LoadOptions& options,
                                        int64_t num_features, const std::string& file) {
  FERRY_ASSIGN_OR_RETURN(TreePredictor mode, FromEnvironment(options.tree_predictor));
  FERRY_ASSIGN_OR_RETURN(std::optional<ForestKernel> kernel, KernelFromEnvironment());
  PredictorChoice choice;
  if (mode == TreePredictor::kFramework) return choice;
  if (mode == TreePredictor::kAuto && options.threads_per_session != 1) {
    choice.fallback_reason = "threads_per_session is " +
                             std::to_string(options.threads_per_session) +
                             " (the native predictor runs on the calling thread)";
    return choice;
  }
  Result<Forest> forest = BuildForest(booster, num_features);
  if (forest.ok()) {
    if (kernel.has_value()) {
      if (Status set = forest->SetKernel(*kernel); !set.ok()) {
        return Status(set.code(),
                      file + ": " + std::string(kForestKernelEnv) + ": " + set.message());
      }
    }
    choice.forest.emplace(std::move(forest).value());
    return choice;
  }
  if (mode == TreePredictor::kNative) {
    return Status(forest.status().code(), file + ": " + forest.status().message());
  }
  choice.fallback_reason = forest.status().message();
  return choice;
}

}  // namespace ferry::backends::xgboost

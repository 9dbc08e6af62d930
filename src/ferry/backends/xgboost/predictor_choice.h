#pragma once

#include <optional>
#include <string>

#include "ferry/backends/backend.h"
#include "ferry/backends/xgboost/booster.h"
#include "ferry/backends/xgboost/forest.h"
#include "ferry/base/result.h"

// Which predictor an XGBoost model uses, decided once at Load.
namespace ferry::backends::xgboost {

// The environment variable that overrides LoadOptions::TreePredictor::kAuto,
// for A/B comparisons: "native", "xgboost" or "auto" (or unset).
inline constexpr char kPredictorEnv[] = "FERRY_XGBOOST_PREDICTOR";

// The environment variable that forces the native predictor's kernel
// (forest.h: ForestKernel), for A/B comparisons: "scalar", "avx2", "avx512"
// or "auto" (or unset: DefaultForestKernel()).
inline constexpr char kForestKernelEnv[] = "FERRY_FOREST_KERNEL";

// What was chosen, and why the native predictor was not when it was not.
struct PredictorChoice {
  std::optional<Forest> forest;  // set: the native predictor scores
  std::string fallback_reason;   // why not, when kAuto fell back to XGBoost
};

// Resolves `requested` (kAuto first through kPredictorEnv) for a loaded
// booster of `num_features` features:
//   kFramework -> XGBoost's predictor.
//   kNative    -> the Forest, or the reason it cannot be built as the error
//                 (Unimplemented "<file>: native predictor: ...").
//   kAuto      -> the Forest when it can be built and threads_per_session
//                 is 1, else XGBoost's predictor with fallback_reason set.
// The Forest scores with the kernel kForestKernelEnv names, if set.
// InvalidArgument for a bad kPredictorEnv or kForestKernelEnv value, naming
// it; FailedPrecondition when kForestKernelEnv names a kernel this CPU (or
// this model) cannot run. Both are checked whichever predictor is chosen.
Result<PredictorChoice> ChoosePredictor(const Booster& booster, const LoadOptions& options,
                                        int64_t num_features, const std::string& file);

}  // namespace ferry::backends::xgboost

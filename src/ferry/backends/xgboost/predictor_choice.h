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
// InvalidArgument for a bad kPredictorEnv value, naming it.
Result<PredictorChoice> ChoosePredictor(const Booster& booster, const LoadOptions& options,
                                        int64_t num_features, const std::string& file);

}  // namespace ferry::backends::xgboost

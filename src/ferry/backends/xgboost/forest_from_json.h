#pragma once

#include <string_view>

#include "ferry/backends/xgboost/forest.h"
#include "ferry/base/result.h"

namespace ferry::backends::xgboost {

// Builds the native predictor from an XGBoost 1.7 model in JSON (what
// XGBoosterSaveModelToBuffer writes with {"format":"json"}, whatever format
// the booster was loaded from). Numbers are read from their text as floats
// (std::from_chars), so thresholds and leaf values are XGBoost's exactly.
//
// Supported: booster "gbtree" with numerical splits; objectives
//   binary:logistic, reg:logistic                          (sigmoid)
//   reg:squarederror, reg:linear, reg:squaredlogerror, reg:pseudohubererror,
//   reg:absoluteerror, binary:logitraw                     (identity)
//   count:poisson, reg:gamma, reg:tweedie, survival:cox    (exp)
//   binary:hinge                                           (0/1)
//   multi:softprob                                         (softmax)
// with base_score turned into a margin as each objective's ProbToMargin
// does. Anything else (dart, gblinear, categorical splits, other
// objectives, multi-target trees, trees Forest::Create refuses) is
// Unimplemented with the reason, and the caller keeps XGBoost's predictor.
// InvalidArgument when the JSON is not an XGBoost model. Thread-safe.
Result<Forest> ForestFromModelJson(std::string_view model_json);

}  // namespace ferry::backends::xgboost

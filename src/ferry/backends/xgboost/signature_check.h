#pragma once

#include <cstdint>
#include <string_view>

#include "ferry/backends/backend.h"
#include "ferry/backends/xgboost/learner_facts.h"

namespace ferry::backends::xgboost {

// What the model file says, as far as the signature is concerned.
struct ModelShape {
  int64_t num_features = 0;
  LearnerFacts facts;
};

// Checks that `spec` (task and signature) agrees with the loaded model
// `file` (a file name, used in messages):
//  - the objective serves spec.task (multi:softmax is always refused);
//  - exactly one input, shape [-1, num_features], datatype FP32 or FP64;
//  - exactly one FP32 output: [-1] or [-1, 1] for binary classification and
//    regression (single-target models only), [-1, num_class] for multiclass.
// InvalidArgument naming what the signature says and what the model has,
// e.g. "signature input 'features' has 29 features but model.json expects 30".
Status CheckSpecAgainstModel(const ModelSpec& spec, const ModelShape& model, std::string_view file);

}  // namespace ferry::backends::xgboost

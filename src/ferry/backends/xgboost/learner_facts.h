#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/base/result.h"
#include "ferry/tensor/task.h"

// What Ferry needs to know about a loaded XGBoost learner, read from the
// JSON that XGBoosterSaveJsonConfig returns, and how an XGBoost objective
// maps to a Ferry Task. Pure functions; thread-safe.
namespace ferry::backends::xgboost {

struct LearnerFacts {
  std::string objective;   // learner.objective.name, e.g. "binary:logistic"
  int64_t num_class = 0;   // learner.learner_model_param.num_class; 0 unless multi:*
  int64_t num_target = 1;  // learner.learner_model_param.num_target
  int64_t nthread = 0;     // learner.generic_param.nthread; 0 = XGBoost's default
};

// Parses XGBoosterSaveJsonConfig output (XGBoost 1.7 stores these numbers
// as strings, e.g. "num_class":"3"). InvalidArgument naming the missing or
// malformed field otherwise.
Result<LearnerFacts> ParseLearnerConfig(std::string_view config_json);

// The Task whose outputs the objective produces:
//   binary:logistic, binary:logitraw, binary:hinge -> kBinaryClassification
//   multi:softprob                                  -> kMulticlassClassification
//   multi:softmax                                   -> nullopt (it predicts a
//       class index, not per-class probabilities; see IsClassIndexObjective)
//   anything else (reg:*, count:*, survival:*, rank:*) -> kRegression
std::optional<Task> TaskOfObjective(std::string_view objective);

// True for multi:softmax, which Ferry refuses to serve.
bool IsClassIndexObjective(std::string_view objective);

}  // namespace ferry::backends::xgboost

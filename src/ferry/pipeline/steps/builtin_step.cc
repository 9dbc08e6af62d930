#include "ferry/pipeline/steps/builtin_step.h"

#include <utility>
#include <vector>

namespace ferry::pipeline {

Status RunBuiltin(const BuiltinContext& ctx) {
  static const std::vector<std::pair<std::string_view, BuiltinFn>> kTable = {
      {"ferry/evaluate", &RunEvaluateStep},          {"ferry/promote", &RunPromoteStep},
      {"ferry/register", &RunRegisterStep},          {"ferry/split", &RunSplitStep},
      {"ferry/train-xgboost", &RunTrainXgboostStep}, {"ferry/validate-data", &RunValidateDataStep},
  };
  for (const auto& [name, fn] : kTable) {
    if (name == ctx.uses) return fn(ctx);
  }
  return NotFound("unknown built-in step '" + ctx.uses + "'");
}

}  // namespace ferry::pipeline

#include "ferry/pipeline/builtins.h"

#include <algorithm>

namespace ferry::pipeline {

// The `with` keys and outputs are Ferry's public interface (docs/pipelines.md).
const std::vector<BuiltinInfo>& Builtins() {
  static const std::vector<BuiltinInfo> kBuiltins = {
      {"ferry/evaluate",
       {"model", "data"},
       {"label", "against", "min", "max_drop", "max_relative_drop", "threshold", "key"},
       {"evaluation"}},
      {"ferry/promote", {"reference"}, {"alias", "evaluation", "reason"}, {"promotion"}},
      {"ferry/register",
       {"bundle"},
       {"model", "description", "evaluation", "data", "tags"},
       {"reference"}},
      {"ferry/split", {"data", "key"}, {"ratios", "seed"}, {"train", "validation", "test"}},
      {"ferry/train-xgboost",
       {"data", "label"},
       {"name", "validation", "features", "exclude", "objective", "rounds", "max_depth", "eta",
        "early_stopping_rounds", "seed", "subsample", "colsample_bytree", "min_child_weight",
        "lambda", "alpha", "threads", "description"},
       {"bundle", "metrics"}},
      {"ferry/validate-data",
       {"data"},
       {"reference", "schema", "baseline", "label", "exclude", "fail_on", "psi_threshold",
        "missing_rate_jump"},
       {"report", "schema"}},
  };
  return kBuiltins;
}

const BuiltinInfo* FindBuiltin(std::string_view name) {
  for (const BuiltinInfo& b : Builtins()) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

const std::vector<std::string_view>& KnownBuiltins() {
  static const std::vector<std::string_view> kNames = [] {
    std::vector<std::string_view> names;
    for (const BuiltinInfo& b : Builtins()) names.push_back(b.name);
    return names;
  }();
  return kNames;
}

bool IsKnownBuiltin(std::string_view name) { return FindBuiltin(name) != nullptr; }

}  // namespace ferry::pipeline

#include "ferry/pipeline/builtins.h"

#include <algorithm>

namespace ferry::pipeline {

const std::vector<std::string_view>& KnownBuiltins() {
  static const std::vector<std::string_view> kBuiltins = {
      "ferry/evaluate", "ferry/promote",       "ferry/register",
      "ferry/split",    "ferry/train-xgboost", "ferry/validate-data"};
  return kBuiltins;
}

bool IsKnownBuiltin(std::string_view name) {
  const auto& b = KnownBuiltins();
  return std::find(b.begin(), b.end(), name) != b.end();
}

bool IsBuiltinAvailable(std::string_view) { return false; }

}  // namespace ferry::pipeline

#pragma once

#include <string_view>
#include <vector>

namespace ferry::pipeline {

// The built-in steps a pipeline may name in `uses:` (the ML life cycle).
// None is implemented in this version: validation accepts these names,
// and running a step that uses one fails that step with
// "built-in step X is not available in this version".
const std::vector<std::string_view>& KnownBuiltins();
bool IsKnownBuiltin(std::string_view name);
// False for every built-in today; true once a built-in has an implementation.
bool IsBuiltinAvailable(std::string_view name);

}  // namespace ferry::pipeline

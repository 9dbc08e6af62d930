#pragma once

#include <string>
#include <string_view>

#include "ferry/base/result.h"
#include "ferry/pipeline/spec.h"

namespace ferry::pipeline {

// A Value as JSON: scalars as strings, lists as arrays, maps as objects (keys
// in their order). Positions are not kept.
std::string ValueToJson(const Value& value);
// The inverse of ValueToJson (any JSON: numbers and booleans become their
// text, null becomes ""). InvalidArgument for text that is not JSON.
Result<Value> ValueFromJson(std::string_view json);

}  // namespace ferry::pipeline

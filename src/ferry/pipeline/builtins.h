#pragma once

#include <string_view>
#include <vector>

namespace ferry::pipeline {

// What a pipeline file may say about a built-in step (`uses: ferry/…`): the
// keys its `with:` takes and the output files it writes. The behaviour lives
// in src/ferry/pipeline/steps/ (module pipeline_steps); this table is what
// `ferry pipeline validate` checks a file against.
struct BuiltinInfo {
  std::string_view name;                   // e.g. "ferry/split"
  std::vector<std::string_view> required;  // `with` keys that must be given
  std::vector<std::string_view> optional;  // `with` keys that may be given
  std::vector<std::string_view> outputs;   // files written to the step's outputs/
};

// Every built-in, sorted by name.
const std::vector<BuiltinInfo>& Builtins();
// nullptr for an unknown name.
const BuiltinInfo* FindBuiltin(std::string_view name);

// The names of Builtins(), in order.
const std::vector<std::string_view>& KnownBuiltins();
bool IsKnownBuiltin(std::string_view name);

}  // namespace ferry::pipeline

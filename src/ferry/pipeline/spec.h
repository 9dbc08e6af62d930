#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::pipeline {

// A position in the pipeline file, 1-based; line 0 means "no position".
struct SourcePos {
  int line = 0;
  int column = 0;
};

// One problem found in a pipeline file. Printed as "FILE:LINE:COL: message".
struct Diagnostic {
  SourcePos pos;
  std::string message;
};
std::string FormatDiagnostic(std::string_view file, const Diagnostic& d);

// A value under `with:` or `env:` as written: a scalar, a list or a map,
// with the position of each scalar (for messages about the expressions in it).
struct ValueEntry;
struct Value {
  enum class Kind { kScalar, kList, kMap };
  Kind kind = Kind::kScalar;
  std::string scalar;
  std::vector<ValueEntry> entries;  // map: key → value; list: "" → value
  SourcePos pos;
  // Column of the scalar's first character (after an opening quote) when
  // the scalar sits on one line without escapes, so that an expression inside
  // it can be placed exactly; 0 otherwise (then `pos` is used).
  int content_column = 0;

  // The position of byte `offset` of a scalar.
  SourcePos At(size_t offset) const;
};
struct ValueEntry {
  std::string first;  // the key ("" in a list)
  Value second;
};

struct ParamSpec {
  std::string name;
  std::optional<std::string> default_value;  // nullopt: must be given with --param
  SourcePos pos;
};

struct StepSpec {
  std::string name;
  SourcePos pos;     // the step's mapping
  std::string uses;  // a built-in, e.g. ferry/train-xgboost …
  std::string run;   // … or a shell command (exactly one of the two)
  Value body;        // the uses/run scalar itself (position, exactness)
  std::vector<std::pair<std::string, Value>> with;
  std::vector<std::pair<std::string, SourcePos>> needs;
  std::optional<Value> when;
  int retries = 0;
  std::optional<int64_t> timeout_ms;
  std::vector<std::pair<std::string, Value>> env;  // scalars
  bool cache = true;
  std::string image;  // container image of the step when compiled for Argo ("" = --image)
  bool outputs_declared = false;
  std::vector<std::string> outputs;  // declared output names
  SourcePos outputs_pos;
};

// A parsed pipeline (apiVersion ferry/v1, kind Pipeline).
struct PipelineSpec {
  std::string name;
  std::vector<ParamSpec> params;
  std::string schedule;  // empty: none
  SourcePos schedule_pos;
  std::vector<StepSpec> steps;

  const StepSpec* FindStep(std::string_view name) const;
  const ParamSpec* FindParam(std::string_view name) const;
};

struct ParsedPipeline {
  PipelineSpec spec;
  std::vector<Diagnostic> problems;  // structural: YAML syntax, keys, types
};

// Parses the YAML text of a pipeline. Never fails as a whole: every problem
// found is appended to `problems` (unknown or duplicate keys, wrong types,
// bad durations, uses/run both or neither…) and parsing goes on where it
// can. Semantic checks (references, needs, cycles) are in validate.h.
ParsedPipeline ParsePipeline(std::string_view text);

}  // namespace ferry::pipeline

#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>

#include "ferry/base/status.h"
#include "ferry/pipeline/spec.h"

namespace ferry::pipeline {

// Everything a built-in step (`uses: ferry/…`) gets when it runs. The same
// context is built by the local executor (which runs the step as
// `ferry pipeline builtin` in its own process group) and by
// `ferry pipeline step` inside an Argo task.
struct BuiltinContext {
  std::string uses;  // e.g. "ferry/split"
  // The step's `with:` as a map whose scalars have every ${{ … }} replaced by
  // its value (file paths for outputs). Keys were checked against
  // BuiltinInfo by validation; values are checked by the step (WithArgs).
  Value with;
  std::filesystem::path outputs;  // the step's outputs folder; exists
  std::filesystem::path workdir;  // relative paths in `with` are relative to this
  std::string registry_uri;       // sqlite:///… or postgresql://…; "" = none configured
  std::string actor;              // who is acting, for the registry's audit log
  std::string pipeline;           // lineage: the pipeline's name …
  std::string run_id;             // … the run …
  std::string step;               // … and the step
  std::ostream* log = nullptr;    // human-readable progress lines (the step's stdout)
};

// A built-in's implementation. Writes every output named in its
// BuiltinInfo to ctx.outputs/<name>; an error fails the step with the
// status's message (shown by `ferry pipeline show`).
using BuiltinFn = Status (*)(const BuiltinContext& ctx);

// Runs ctx.uses. NotFound for an unknown built-in.
Status RunBuiltin(const BuiltinContext& ctx);

// The implementations (one file each under steps/).
Status RunValidateDataStep(const BuiltinContext& ctx);  // ferry/validate-data
Status RunSplitStep(const BuiltinContext& ctx);         // ferry/split
Status RunTrainXgboostStep(const BuiltinContext& ctx);  // ferry/train-xgboost
Status RunEvaluateStep(const BuiltinContext& ctx);      // ferry/evaluate
Status RunRegisterStep(const BuiltinContext& ctx);      // ferry/register
Status RunPromoteStep(const BuiltinContext& ctx);       // ferry/promote

}  // namespace ferry::pipeline

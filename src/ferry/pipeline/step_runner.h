#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/pipeline/steps/builtin_step.h"

namespace ferry::pipeline {

// Running ONE step of a pipeline against a run folder, outside the local
// executor: what each Argo task does (`ferry pipeline step`). No run
// database is touched; the run id is the folder's name. Timeouts and
// retries are left to the caller (Argo).

struct StepRunRequest {
  std::string file;                 // the pipeline file's name, for messages
  std::string text;                 // its YAML
  std::string step;                 // the step's name as written in the file
  std::filesystem::path run_dir;    // the run folder (created when missing)
  std::vector<std::string> params;  // "k=v" overrides of the defaults
  std::filesystem::path workdir;    // where `run` steps execute; base of relative paths
  std::string registry_uri;         // FERRY_REGISTRY of the step; "" = not set
  std::string actor;                // for built-ins that write to the registry
  std::ostream* log = nullptr;      // built-ins' progress lines (may be null)
};

struct StepRunOutcome {
  bool skipped = false;
  std::string message;  // skipped: why ("when condition is false: …")
  int exit_code = 0;    // `run` steps: the command's (128+N when killed by signal N)
};

// Runs a built-in in this process. The pipeline module does not link the
// built-ins (pipeline_steps depends on it), so the caller passes
// RunBuiltin; `env` is the step's environment, to be set in the process
// before the built-in runs (as the local executor's child process has it).
using BuiltinRunner = std::function<Status(
    const BuiltinContext& ctx, const std::vector<std::pair<std::string, std::string>>& env)>;

// Loads and validates the pipeline, resolves the params, and runs step
// `step` against `run_dir` the way the local executor does:
//  - a needed step that was skipped (a `skipped` file in its step folder)
//    skips this one ("not run: needed step 'X' was skipped");
//  - a false `when` skips it ("when condition is false: …");
//  - a skipped step writes <run_dir>/steps/<step>/skipped with the reason;
//  - `run` steps: /bin/sh -c COMMAND in `workdir` with the environment of
//    PrepareStep added to this process's, stdin /dev/null, stdout/stderr
//    inherited; waits for it. A non-zero exit is an outcome, not an error;
//  - `uses` steps: `builtin` in this process with the resolved `with`;
//  - after success, every output of the step (OutputsOf) must exist.
// Errors: InvalidArgument for an invalid pipeline (every problem as
// FILE:LINE:COL lines), an unknown step or bad params; a failed built-in's
// status (with the step named); FailedPrecondition "the step did not write
// its output 'NAME' (PATH)"; Internal when /bin/sh cannot be started.
Result<StepRunOutcome> RunPipelineStep(const StepRunRequest& request, const BuiltinRunner& builtin);

}  // namespace ferry::pipeline

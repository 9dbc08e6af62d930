#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/pipeline/resolve.h"
#include "ferry/pipeline/spec.h"

namespace ferry::pipeline {

// Who runs a step and against what, besides the run's RunContext.
struct StepLaunch {
  std::string pipeline;      // the pipeline's name
  std::string run_id;        // the run's id
  std::string registry_uri;  // passed to built-ins as FERRY_REGISTRY ("" = not set)
  // The `ferry` executable that runs built-in steps (`ferry pipeline builtin`).
  std::filesystem::path ferry_binary;
};

// A step resolved for one run: what to execute and with which environment.
struct PreparedStep {
  std::string command;  // for /bin/sh -c
  std::vector<std::pair<std::string, std::string>> env;
  std::filesystem::path outputs;  // the step's outputs folder (created)
};

// Resolves step `step` of a run. `run` steps: the text with every ${{ … }}
// replaced. Built-in steps: the resolved `with` is written to
// <run>/steps/<step>/with.json and the command is
// `<ferry_binary> pipeline builtin USES --with-json FILE --outputs DIR`.
// The environment holds the step's `env`, FERRY_RUN_ID, FERRY_STEP,
// FERRY_PIPELINE, FERRY_RUN_DIR, FERRY_OUTPUTS, FERRY_OUTPUT_<NAME> per
// output, FERRY_PARAM_<NAME> per param and FERRY_REGISTRY when known.
// Errors: InvalidArgument "<field>: <problem>" (field is run, env.KEY or
// with.KEY) for an expression that does not resolve; the file system's.
Result<PreparedStep> PrepareStep(const RunContext& ctx, const StepSpec& step,
                                 const StepLaunch& launch);

// The step's `with` as a map whose scalars have their expressions replaced.
Result<Value> ResolveWith(const RunContext& ctx, const StepSpec& step);

// FERRY_PARAM_/FERRY_OUTPUT_ suffix of a name: upper case, '-' and '.' → '_'.
std::string EnvName(const std::string& name);

// `text` in single quotes for /bin/sh.
std::string ShellQuote(const std::string& text);

// This process's executable (/proc/self/exe).
std::filesystem::path SelfExecutable();

}  // namespace ferry::pipeline

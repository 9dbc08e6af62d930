#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/pipeline/expressions.h"

namespace ferry::pipeline {

// What expressions resolve against during a run.
struct RunContext {
  std::map<std::string, std::string> params;  // every param with its value
  std::filesystem::path folder;               // the run's folder
  std::filesystem::path workdir;              // where `run` steps execute
};

// <folder>/steps/<step>
std::filesystem::path StepFolder(const std::filesystem::path& run_folder, const std::string& step);
// <folder>/steps/<step>/outputs/<name>
std::filesystem::path OutputPath(const std::filesystem::path& run_folder, const std::string& step,
                                 const std::string& name);

// The value of one reference inside step `step`: a param's value, or the
// path of an output file. NotFound for an unknown param.
Result<std::string> ResolveRef(const RunContext& ctx, const std::string& step,
                               const Reference& ref);
// `text` with every ${{ … }} replaced.
Result<std::string> ResolveText(const RunContext& ctx, const std::string& step,
                                const std::string& text);

// The parameter values of a run: the file's defaults overridden by
// `overrides` ("k=v" strings). InvalidArgument for a malformed override, an
// unknown name ("unknown param 'x'; the pipeline has: a, b") or a param
// without default that is not given.
struct PipelineSpec;
Result<std::map<std::string, std::string>> ResolveParams(const PipelineSpec& spec,
                                                         const std::vector<std::string>& overrides);

}  // namespace ferry::pipeline

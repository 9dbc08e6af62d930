// `ferry pipeline compile` (to Argo Workflows) and `ferry pipeline step`
// (one step of a pipeline, what each Argo task runs).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "ferry/base/files.h"
#include "ferry/cli/commands.h"
#include "ferry/cli/pipeline_commands.h"
#include "ferry/pipeline/argo.h"
#include "ferry/pipeline/step_runner.h"
#include "ferry/pipeline/steps/builtin_step.h"
#include "ferry/pipeline/validate.h"

namespace ferry::cli {
namespace {

int Fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  return kExitFailure;
}

Result<std::string> ReadPipeline(const std::string& file) {
  Result<std::string> text = ReadFile(file, size_t{16} << 20);
  if (!text.ok()) return NotFound("cannot read pipeline file " + file);
  return text;
}

// Runs a built-in in this process, with the step's environment set first
// (this process runs nothing else).
Status RunBuiltinHere(const pipeline::BuiltinContext& ctx,
                      const std::vector<std::pair<std::string, std::string>>& env) {
  for (const auto& [key, value] : env) {
    if (setenv(key.c_str(), value.c_str(), 1) != 0) {
      return InvalidArgument("cannot set environment variable '" + key + "'");
    }
  }
  Status s = pipeline::RunBuiltin(ctx);
  std::cout.flush();
  return s;
}

}  // namespace

int PipelineCompile(const PipelineCompileArgs& args) {
  if (args.target != "argo") {
    return Fail(InvalidArgument("--target: unknown target '" + args.target + "'; supported: argo"));
  }
  Result<std::string> text = ReadPipeline(args.file);
  if (!text.ok()) return Fail(text.status());
  pipeline::LoadedPipeline p = pipeline::LoadPipelineText(*text);
  if (!p.ok()) {
    std::fprintf(stderr, "%s\n", pipeline::FormatProblems(args.file, p.problems).c_str());
    std::fprintf(stderr, "error: %s: %zu problem%s found\n", args.file.c_str(), p.problems.size(),
                 p.problems.size() == 1 ? "" : "s");
    return kExitFailure;
  }
  pipeline::ArgoOptions options;
  options.image = args.image;
  options.volume_claim = args.volume_claim;
  options.registry_uri = args.registry;
  options.service_account = args.service_account;
  options.namespace_name = args.namespace_name;
  Result<std::string> manifest = pipeline::CompileArgo(p.spec, *text, options);
  if (!manifest.ok()) return Fail(manifest.status().WithContext(args.file));
  if (args.output == "-") {
    std::fwrite(manifest->data(), 1, manifest->size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : Fail(Internal("cannot write to stdout"));
  }
  Status written = WriteFileAtomic(args.output, *manifest);
  if (!written.ok()) return Fail(written.WithContext("--output"));
  std::printf("%s: %s with %zu task%s written to %s\n", args.file.c_str(),
              p.spec.schedule.empty() ? "Workflow" : "CronWorkflow", p.spec.steps.size(),
              p.spec.steps.size() == 1 ? "" : "s", args.output.c_str());
  return kExitOk;
}

int PipelineStep(const PipelineCommonArgs& common, const PipelineStepArgs& args) {
  Result<std::string> text = ReadPipeline(args.file);
  if (!text.ok()) return Fail(text.status());
  pipeline::StepRunRequest request;
  request.file = args.file;
  request.text = std::move(*text);
  request.step = args.step;
  request.run_dir = args.run_dir;
  request.params = args.params;
  std::error_code ec;
  request.workdir = std::filesystem::current_path(ec);
  if (ec) return Fail(Internal("cannot read the current folder: " + ec.message()));
  request.registry_uri = PipelineRegistryUri(common.registry);
  request.actor = PipelineActor();
  request.log = &std::cout;
  std::fflush(stdout);
  Result<pipeline::StepRunOutcome> outcome = pipeline::RunPipelineStep(request, RunBuiltinHere);
  std::cout.flush();
  if (!outcome.ok()) return Fail(outcome.status());
  if (outcome->skipped) {
    std::printf("skipped: %s\n", outcome->message.c_str());
    return kExitOk;
  }
  if (outcome->exit_code != 0) {
    std::fprintf(stderr, "error: step '%s' failed: exit code %d\n", args.step.c_str(),
                 outcome->exit_code);
    return outcome->exit_code;
  }
  std::printf("step '%s' succeeded\n", args.step.c_str());
  return kExitOk;
}

}  // namespace ferry::cli

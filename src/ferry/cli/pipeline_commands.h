#pragma once

#include <cstdint>
#include <string>
#include <vector>

// `ferry pipeline …` as plain functions. Each returns the process exit code
// (commands.h; a cancelled run exits 130) and prints errors to stderr as
// "error: <message>". Commands that touch runs take the registry database
// like `ferry models`: --registry, else FERRY_REGISTRY, else
// sqlite:///$FERRY_HOME/registry.db; run folders live in $FERRY_HOME/runs/.
namespace ferry::cli {

inline constexpr int kExitCancelled = 130;

struct PipelineCommonArgs {
  std::string registry;
  bool json = false;
};

int PipelineValidate(const std::string& file);

struct PipelineRunArgs {
  std::string file;
  std::vector<std::string> params;  // k=v
  int parallelism = 4;
  int64_t retry_backoff_ms = 1000;
  std::string run_id;  // "" = a new one
};
int PipelineRun(const PipelineCommonArgs& common, const PipelineRunArgs& args);
int PipelineResume(const PipelineCommonArgs& common, const std::string& run_id,
                   int64_t retry_backoff_ms);
int PipelineRuns(const PipelineCommonArgs& common, int64_t limit);
int PipelineShow(const PipelineCommonArgs& common, const std::string& run_id);
int PipelineExplain(const PipelineCommonArgs& common, const std::string& run_id,
                    const std::string& step);

// `ferry scheduler --pipeline FILE…`: starts runs of the files' `schedule:`
// when due until SIGINT/SIGTERM (or one pass with `once`).
struct SchedulerArgs {
  std::vector<std::string> pipelines;
  int64_t starting_deadline_s = 3600;
  bool once = false;
  std::string at;  // act as if the time were this (YYYY-MM-DDTHH:MM:SSZ); "" = now
};
int SchedulerCommand(const PipelineCommonArgs& common, const SchedulerArgs& args);

// `ferry pipeline builtin USES --with-json FILE --outputs DIR`: runs one
// built-in step in this process (the local executor's way of running a
// `uses:` step). FERRY_PIPELINE, FERRY_RUN_ID and FERRY_STEP give lineage.
int PipelineBuiltin(const PipelineCommonArgs& common, const std::string& uses,
                    const std::string& with_json, const std::string& outputs);

// `ferry pipeline compile FILE --target argo …`: validates the file (the
// same report as `validate`, exit 1) and writes an Argo Workflow, or a
// CronWorkflow when the pipeline has a schedule (pipeline/argo.h).
struct PipelineCompileArgs {
  std::string file;
  std::string target;        // only "argo"
  std::string output = "-";  // a file, or "-" for stdout
  std::string image = "ferry:latest";
  std::string volume_claim = "ferry-runs";
  std::string registry;  // FERRY_REGISTRY of every task ("" = not set)
  std::string service_account;
  std::string namespace_name;
};
int PipelineCompile(const PipelineCompileArgs& args);

// `ferry pipeline step --file FILE --step NAME --run-dir DIR [--param k=v]…`:
// runs one step against a run folder, what one Argo task does
// (pipeline/step_runner.h). Exit 0 when it succeeded or was skipped
// ("skipped: …" on stdout), the command's exit code when a `run` step
// failed, 1 for any other error.
struct PipelineStepArgs {
  std::string file;
  std::string step;
  std::string run_dir;
  std::vector<std::string> params;  // k=v
};
int PipelineStep(const PipelineCommonArgs& common, const PipelineStepArgs& args);

// The registry URI of --registry, else $FERRY_REGISTRY, else
// sqlite:///$FERRY_HOME/registry.db.
std::string PipelineRegistryUri(const std::string& flag);
// Who acts: $FERRY_ACTOR, else $USER, else "unknown".
std::string PipelineActor();

}  // namespace ferry::cli

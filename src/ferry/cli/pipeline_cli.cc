// CLI11 wiring of `ferry pipeline …` (the work is in pipeline_commands.cc).
#include <CLI/CLI.hpp>

#include "ferry/cli/command_groups.h"
#include "ferry/cli/pipeline_commands.h"

namespace ferry::cli {
namespace {

PipelineCommonArgs& Common() {
  static PipelineCommonArgs common;
  return common;
}

CLI::App* WithRegistry(CLI::App* cmd, bool json) {
  cmd->add_option("--registry", Common().registry,
                  "Registry database holding the runs: sqlite:///path/registry.db or "
                  "postgresql://… (default $FERRY_REGISTRY, else "
                  "sqlite:///$FERRY_HOME/registry.db)");
  if (json) cmd->add_flag("--json", Common().json, "Print JSON");
  return cmd;
}

}  // namespace

void AddPipelineCommands(CLI::App& app, int& rc) {
  CLI::App* pipeline = app.add_subcommand(
      "pipeline",
      "Workflow pipelines: YAML DAGs of steps run locally with caching, retries and resume "
      "(see docs/pipelines.md)");
  pipeline->require_subcommand(1);

  static std::string validate_file;
  CLI::App* v = pipeline->add_subcommand(
      "validate",
      "Check a pipeline file and report every problem as FILE:LINE:COL: message (exit 1 when "
      "there is one)");
  v->add_option("file", validate_file, "Pipeline YAML file")->required();
  v->callback([&rc] { rc = PipelineValidate(validate_file); });

  static PipelineRunArgs run;
  CLI::App* r = WithRegistry(
      pipeline->add_subcommand(
          "run",
          "Run a pipeline locally: each step in its own process group, in parallel where the "
          "DAG allows; outputs under $FERRY_HOME/runs/<run-id>/. Exit 0 when the run "
          "succeeds, 1 when it fails, 130 when cancelled (Ctrl-C)"),
      false);
  r->add_option("file", run.file, "Pipeline YAML file")->required();
  r->add_option("--param", run.params, "Set a parameter: NAME=VALUE (repeatable)");
  r->add_option("--parallelism", run.parallelism, "Steps running at once (default 4)")
      ->check(CLI::Range(1, 256));
  r->add_option("--retry-backoff-ms", run.retry_backoff_ms,
                "Wait before a step's first retry, doubled at each further retry, capped at "
                "60 s (default 1000)")
      ->check(CLI::Range(int64_t{0}, int64_t{3600000}));
  r->add_option("--run-id", run.run_id,
                "Id of the new run (default: YYYYMMDD-HHMMSS-xxxxxx); used by the scheduler and "
                "the REST trigger, which answer with the id before the run starts");
  r->callback([&rc] { rc = PipelineRun(Common(), run); });

  static std::string resume_run;
  static int64_t resume_backoff_ms = 1000;
  CLI::App* re = WithRegistry(
      pipeline->add_subcommand("resume",
                               "Continue a run whose executor was killed: finished steps are "
                               "kept, steps that were running are rerun"),
      false);
  re->add_option("run", resume_run, "Run id")->required();
  re->add_option("--retry-backoff-ms", resume_backoff_ms,
                 "Wait before a step's first retry (default 1000)")
      ->check(CLI::Range(int64_t{0}, int64_t{3600000}));
  re->callback([&rc] { rc = PipelineResume(Common(), resume_run, resume_backoff_ms); });

  static int64_t runs_limit = 50;
  CLI::App* ls = WithRegistry(pipeline->add_subcommand("runs", "List runs, newest first"), true);
  ls->add_option("--limit", runs_limit, "Show at most N runs (0 = all; default 50)")
      ->check(CLI::NonNegativeNumber);
  ls->callback([&rc] { rc = PipelineRuns(Common(), runs_limit); });

  static std::string show_run;
  CLI::App* sh = WithRegistry(
      pipeline->add_subcommand(
          "show", "Show a run and its steps: state, attempts, duration, exit code, cache mark"),
      true);
  sh->add_option("run", show_run, "Run id")->required();
  sh->callback([&rc] { rc = PipelineShow(Common(), show_run); });

  static std::string explain_run, explain_step;
  CLI::App* ex = WithRegistry(
      pipeline->add_subcommand("explain",
                               "Say why a step hit or missed the cache and, on a miss, what "
                               "changed against the step's previous run"),
      false);
  ex->add_option("run", explain_run, "Run id")->required();
  ex->add_option("step", explain_step, "Step name")->required();
  ex->callback([&rc] { rc = PipelineExplain(Common(), explain_run, explain_step); });

  static SchedulerArgs sched;
  CLI::App* sc = WithRegistry(
      app.add_subcommand(
          "scheduler",
          "Start pipeline runs when their `schedule:` (cron, UTC) is due, until Ctrl-C. Each "
          "slot starts at most once, even across restarts or with two schedulers on one "
          "database; after an outage the latest missed slot runs once if it is at most "
          "--starting-deadline old (see docs/pipelines.md)"),
      false);
  sc->add_option("--pipeline", sched.pipelines, "A pipeline file (repeatable)")->required();
  sc->add_option("--starting-deadline", sched.starting_deadline_s,
                 "Seconds after its time a slot may still start (default 3600)")
      ->check(CLI::Range(int64_t{0}, int64_t{366} * 86400));
  sc->add_flag("--once", sched.once, "One pass: start what is due now, then exit");
  sc->add_option("--at", sched.at,
                 "With --once: act as if the time were YYYY-MM-DDTHH:MM:SSZ (UTC), e.g. to "
                 "start a slot that was missed");
  sc->callback([&rc] { rc = SchedulerCommand(Common(), sched); });

  static std::string builtin_uses, builtin_with, builtin_outputs;
  CLI::App* bi = WithRegistry(
      pipeline->add_subcommand("builtin",
                               "Run one built-in step (ferry/split, ferry/train-xgboost, …) in "
                               "this process: how `ferry pipeline run` runs a `uses:` step"),
      false);
  bi->add_option("uses", builtin_uses, "The built-in, e.g. ferry/split")->required();
  bi->add_option("--with-json", builtin_with,
                 "JSON object of the step's `with:` values, expressions already resolved")
      ->required();
  bi->add_option("--outputs", builtin_outputs, "Folder the step writes its output files to")
      ->required();
  bi->callback(
      [&rc] { rc = PipelineBuiltin(Common(), builtin_uses, builtin_with, builtin_outputs); });

  static PipelineCompileArgs compile;
  CLI::App* co = pipeline->add_subcommand(
      "compile",
      "Validate a pipeline and compile it for a workflow engine: --target argo writes an Argo "
      "Workflow (a CronWorkflow when scheduled) whose tasks run `ferry pipeline step`");
  co->add_option("file", compile.file, "Pipeline YAML file")->required();
  co->add_option("--target", compile.target, "Workflow engine: argo")->required();
  co->add_option("--image", compile.image,
                 "Container image of every task, with `ferry` on PATH (default ferry:latest)");
  co->add_option("--output,-o", compile.output, "Write the manifest here (default -: stdout)");
  co->add_option("--volume-claim", compile.volume_claim,
                 "PersistentVolumeClaim holding the run folders, mounted at /ferry/runs "
                 "(default ferry-runs)");
  co->add_option("--registry", compile.registry,
                 "Registry URI given to every task as FERRY_REGISTRY (postgresql://… at scale)");
  co->add_option("--service-account", compile.service_account,
                 "Kubernetes service account the workflow's pods run as");
  co->add_option("--namespace", compile.namespace_name, "metadata.namespace of the manifest");
  co->callback([&rc] { rc = PipelineCompile(compile); });

  static PipelineStepArgs step;
  CLI::App* st = WithRegistry(
      pipeline->add_subcommand(
          "step",
          "Run one step of a pipeline against a run folder (what each Argo task runs): `when`, "
          "the command or built-in, output checks; no run database is touched"),
      false);
  st->add_option("--file", step.file, "Pipeline YAML file")->required();
  st->add_option("--step", step.step, "The step's name")->required();
  st->add_option("--run-dir", step.run_dir, "The run folder (steps/<step>/outputs/ inside)")
      ->required();
  st->add_option("--param", step.params, "Set a parameter: NAME=VALUE (repeatable)");
  st->callback([&rc] { rc = PipelineStep(Common(), step); });
}

}  // namespace ferry::cli

#include "ferry/cli/pipeline_commands.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <random>

#include "ferry/base/duration.h"
#include "ferry/base/files.h"
#include "ferry/base/json_writer.h"
#include "ferry/cli/commands.h"
#include "ferry/pipeline/cache_key.h"
#include "ferry/pipeline/executor.h"
#include "ferry/pipeline/launcher.h"
#include "ferry/pipeline/live_view.h"
#include "ferry/pipeline/resolve.h"
#include "ferry/pipeline/run_store.h"
#include "ferry/pipeline/validate.h"
#include "ferry/registry/registry.h"
#include "ferry/registry/sql_store.h"

namespace ferry::cli {

using namespace ferry::pipeline;  // NOLINT(google-build-using-namespace): the pipeline CLI

namespace {

namespace fs = std::filesystem;

int Fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  return kExitFailure;
}

struct Opened {
  registry::RegistryOptions options;
  std::string uri;
  std::unique_ptr<RunStore> store;
};

Result<Opened> OpenRuns(const PipelineCommonArgs& common) {
  Opened o;
  o.options = registry::RegistryOptionsFromEnv(common.registry);
  std::string uri = PipelineRegistryUri(common.registry);
  FERRY_ASSIGN_OR_RETURN(o.store, RunStore::Open(uri));
  o.uri = uri;
  return o;
}

Result<std::string> ReadPipelineFile(const std::string& file) {
  Result<std::string> text = ReadFile(file, size_t{16} << 20);
  if (!text.ok()) return NotFound("cannot read pipeline file " + file);
  return text;
}

}  // namespace

std::string PipelineRegistryUri(const std::string& flag) {
  registry::RegistryOptions options = registry::RegistryOptionsFromEnv(flag);
  if (!options.uri.empty()) return options.uri;
  return "sqlite://" + (options.home / "registry.db").string();
}

std::string PipelineActor() {
  for (const char* env : {"FERRY_ACTOR", "USER"}) {
    const char* v = std::getenv(env);
    if (v != nullptr && *v != '\0') return v;
  }
  return "unknown";
}

namespace {

int ExitFor(RunState s) {
  switch (s) {
    case RunState::kSucceeded:
      return kExitOk;
    case RunState::kCancelled:
      return kExitCancelled;
    default:
      return kExitFailure;
  }
}

int Execute(const Opened& opened, RunRecord& run, const PipelineSpec& spec, int parallelism,
            int64_t retry_backoff_ms) {
  RunStore& store = *opened.store;
  std::unique_ptr<RunObserver> view = MakeLiveView(stdout, isatty(STDOUT_FILENO) == 1);
  ExecutorOptions options;
  options.parallelism = parallelism;
  options.retry_backoff_ms = retry_backoff_ms;
  options.observer = view.get();
  options.registry_uri = opened.uri;
  Result<RunState> state = ExecuteRun(store, run, spec, options);
  if (!state.ok()) {
    return Fail(state.status().WithContext("pipeline run " + run.id +
                                           " stopped (resume it with `ferry pipeline resume " +
                                           run.id + "`)"));
  }
  Result<std::vector<StepRecord>> steps = store.ListSteps(run.id);
  int done = 0, cached = 0, total = 0;
  if (steps.ok()) {
    for (const StepRecord& s : *steps) {
      ++total;
      if (IsDone(s.state)) ++done;
      if (s.state == StepState::kCached) ++cached;
    }
  }
  std::printf("run %s %s: %d/%d steps done (%d cached)\n", run.id.c_str(),
              std::string(StateName(*state)).c_str(), done, total, cached);
  if (*state != RunState::kSucceeded) {
    std::fprintf(stderr, "error: pipeline run %s %s; see `ferry pipeline show %s`\n",
                 run.id.c_str(), std::string(StateName(*state)).c_str(), run.id.c_str());
  }
  return ExitFor(*state);
}

std::string Or(const std::string& s, const char* dash) { return s.empty() ? dash : s; }

}  // namespace

int PipelineValidate(const std::string& file) {
  Result<std::string> text = ReadPipelineFile(file);
  if (!text.ok()) return Fail(text.status());
  LoadedPipeline p = LoadPipelineText(*text);
  if (!p.ok()) {
    std::fprintf(stderr, "%s\n", FormatProblems(file, p.problems).c_str());
    std::fprintf(stderr, "error: %s: %zu problem%s found\n", file.c_str(), p.problems.size(),
                 p.problems.size() == 1 ? "" : "s");
    return kExitFailure;
  }
  const PipelineSpec& s = p.spec;
  std::printf("%s: pipeline '%s' is valid: %zu step%s, %zu param%s%s\n", file.c_str(),
              s.name.c_str(), s.steps.size(), s.steps.size() == 1 ? "" : "s", s.params.size(),
              s.params.size() == 1 ? "" : "s",
              s.schedule.empty() ? "" : (", schedule '" + s.schedule + "'").c_str());
  for (const StepSpec& step : s.steps) {
    std::string needs;
    for (const auto& [n, pos] : step.needs) needs += (needs.empty() ? "" : ", ") + n;
    std::printf("  %-20s %s%s\n", step.name.c_str(),
                step.uses.empty() ? "run" : ("uses " + step.uses).c_str(),
                needs.empty() ? "" : ("  needs " + needs).c_str());
  }
  return kExitOk;
}

int PipelineRun(const PipelineCommonArgs& common, const PipelineRunArgs& args) {
  Result<std::string> text = ReadPipelineFile(args.file);
  if (!text.ok()) return Fail(text.status());
  LoadedPipeline p = LoadPipelineText(*text);
  if (!p.ok()) {
    std::fprintf(stderr, "%s\n", FormatProblems(args.file, p.problems).c_str());
    return Fail(InvalidArgument(args.file + " is not a valid pipeline (" +
                                std::to_string(p.problems.size()) + " problems); nothing ran"));
  }
  Result<std::map<std::string, std::string>> params = ResolveParams(p.spec, args.params);
  if (!params.ok()) return Fail(params.status());
  Result<Opened> opened = OpenRuns(common);
  if (!opened.ok()) return Fail(opened.status());
  if (!args.run_id.empty() && !IsValidRunId(args.run_id)) {
    return Fail(InvalidArgument("--run-id '" + args.run_id +
                                "': expected [A-Za-z0-9._-]{1,64}, not starting with '.'"));
  }
  RunRecord run;
  run.id = args.run_id.empty() ? NewRunId() : args.run_id;
  run.pipeline = p.spec.name;
  run.file = args.file;
  run.spec = *text;
  std::error_code ec;
  run.workdir = fs::current_path(ec).string();
  run.folder = (opened->options.home / "runs" / run.id).string();
  run.parallelism = args.parallelism;
  run.created_at = registry::NowRfc3339();
  run.created_by = PipelineActor();
  run.params = *params;
  fs::create_directories(run.folder, ec);
  if (ec) return Fail(Internal("cannot create run folder " + run.folder + ": " + ec.message()));
  std::vector<StepRecord> steps;
  for (size_t i = 0; i < p.spec.steps.size(); ++i) {
    StepRecord s;
    s.name = p.spec.steps[i].name;
    s.position = static_cast<int64_t>(i);
    steps.push_back(std::move(s));
  }
  Status created = opened->store->CreateRun(run, steps);
  if (!created.ok()) return Fail(created);
  std::printf("run %s: pipeline %s, %zu steps, folder %s\n", run.id.c_str(), run.pipeline.c_str(),
              steps.size(), run.folder.c_str());
  std::fflush(stdout);
  return Execute(*opened, run, p.spec, args.parallelism, args.retry_backoff_ms);
}

int PipelineResume(const PipelineCommonArgs& common, const std::string& run_id,
                   int64_t retry_backoff_ms) {
  Result<Opened> opened = OpenRuns(common);
  if (!opened.ok()) return Fail(opened.status());
  Result<RunRecord> run = opened->store->GetRun(run_id);
  if (!run.ok()) return Fail(run.status());
  if (run->state != RunState::kRunning && run->state != RunState::kPending) {
    return Fail(FailedPrecondition("pipeline run " + run_id + " is " +
                                   std::string(StateName(run->state)) +
                                   "; only a run whose executor died while running can be "
                                   "resumed"));
  }
  ProcessIdentity self = SelfIdentity();
  if (run->executor.pid != 0 && run->executor.host != self.host) {
    return Fail(FailedPrecondition("pipeline run " + run_id + " is executed on host '" +
                                   run->executor.host + "'; resume it there"));
  }
  if (StillRunning(run->executor)) {
    return Fail(FailedPrecondition("pipeline run " + run_id +
                                   " is still being executed by "
                                   "process " +
                                   std::to_string(run->executor.pid) + "; not resuming"));
  }
  LoadedPipeline p = LoadPipelineText(run->spec);
  if (!p.ok()) {
    return Fail(DataLoss("pipeline run " + run_id + ": its recorded pipeline no longer parses: " +
                         FormatProblems(run->file, p.problems)));
  }
  std::printf("run %s: resuming pipeline %s (previous executor pid %lld is gone)\n", run_id.c_str(),
              run->pipeline.c_str(), static_cast<long long>(run->executor.pid));
  std::fflush(stdout);
  return Execute(*opened, *run, p.spec, static_cast<int>(run->parallelism), retry_backoff_ms);
}

int PipelineRuns(const PipelineCommonArgs& common, int64_t limit) {
  Result<Opened> opened = OpenRuns(common);
  if (!opened.ok()) return Fail(opened.status());
  Result<std::vector<RunRecord>> runs = opened->store->ListRuns(limit);
  if (!runs.ok()) return Fail(runs.status());
  if (common.json) {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("runs").BeginArray();
    for (const RunRecord& r : *runs) {
      w.BeginObject()
          .Key("id")
          .String(r.id)
          .Key("pipeline")
          .String(r.pipeline)
          .Key("state")
          .String(StateName(r.state))
          .Key("created_at")
          .String(r.created_at)
          .Key("finished_at")
          .String(r.finished_at)
          .EndObject();
    }
    w.EndArray().EndObject();
    std::printf("%s\n", out.c_str());
    return kExitOk;
  }
  std::printf("%-24s %-24s %-10s %s\n", "RUN", "PIPELINE", "STATE", "CREATED");
  for (const RunRecord& r : *runs) {
    std::printf("%-24s %-24s %-10s %s\n", r.id.c_str(), r.pipeline.c_str(),
                std::string(StateName(r.state)).c_str(), r.created_at.c_str());
  }
  return kExitOk;
}

int PipelineShow(const PipelineCommonArgs& common, const std::string& run_id) {
  Result<Opened> opened = OpenRuns(common);
  if (!opened.ok()) return Fail(opened.status());
  Result<RunRecord> run = opened->store->GetRun(run_id);
  if (!run.ok()) return Fail(run.status());
  Result<std::vector<StepRecord>> steps = opened->store->ListSteps(run_id);
  if (!steps.ok()) return Fail(steps.status());
  if (common.json) {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject()
        .Key("id")
        .String(run->id)
        .Key("pipeline")
        .String(run->pipeline)
        .Key("file")
        .String(run->file)
        .Key("state")
        .String(StateName(run->state))
        .Key("folder")
        .String(run->folder)
        .Key("executor_pid")
        .Int(run->executor.pid)
        .Key("created_at")
        .String(run->created_at)
        .Key("started_at")
        .String(run->started_at)
        .Key("finished_at")
        .String(run->finished_at)
        .Key("params")
        .BeginObject();
    for (const auto& [k, v] : run->params) w.Key(k).String(v);
    w.EndObject().Key("steps").BeginArray();
    for (const StepRecord& s : *steps) {
      w.BeginObject()
          .Key("name")
          .String(s.name)
          .Key("state")
          .String(StateName(s.state))
          .Key("attempts")
          .Int(s.attempts)
          .Key("duration_ms")
          .Int(s.duration_ms)
          .Key("exit_code");
      if (s.exit_code) {
        w.Int(*s.exit_code);
      } else {
        w.Null();
      }
      w.Key("cached")
          .Bool(s.state == StepState::kCached)
          .Key("cached_from")
          .String(s.cached_from)
          .Key("cache_key")
          .String(s.cache_key)
          .Key("message")
          .String(s.message);
      // Lineage: the files the step consumed (by content) and produced.
      Result<std::vector<CacheComponent>> inputs =
          opened->store->GetCacheComponents(run_id, s.name);
      Result<std::vector<OutputRecord>> outputs = opened->store->GetOutputs(run_id, s.name);
      if (!inputs.ok()) return Fail(inputs.status());
      if (!outputs.ok()) return Fail(outputs.status());
      w.Key("inputs").BeginArray();
      for (const CacheComponent& c : *inputs) {
        if (c.component.rfind("input:", 0) != 0 && c.component.rfind("file:", 0) != 0 &&
            c.component.rfind("needs:", 0) != 0) {
          continue;
        }
        w.BeginObject().Key("name").String(c.component).Key("sha256").String(c.digest);
        w.Key("path").String(c.detail).EndObject();
      }
      w.EndArray().Key("outputs").BeginArray();
      for (const OutputRecord& o : *outputs) {
        w.BeginObject().Key("name").String(o.name).Key("sha256").String(o.sha256);
        w.Key("bytes").Int(o.bytes).EndObject();
      }
      w.EndArray().EndObject();
    }
    w.EndArray().EndObject();
    std::printf("%s\n", out.c_str());
    return kExitOk;
  }
  std::printf("run %s  pipeline %s  %s\n", run->id.c_str(), run->pipeline.c_str(),
              std::string(StateName(run->state)).c_str());
  std::printf("file %s  folder %s\n", run->file.c_str(), run->folder.c_str());
  std::printf("created %s  finished %s\n", run->created_at.c_str(),
              Or(run->finished_at, "-").c_str());
  std::printf("%-20s %-10s %-8s %-9s %-5s %-6s %s\n", "STEP", "STATE", "ATTEMPTS", "DURATION",
              "EXIT", "CACHE", "MESSAGE");
  for (const StepRecord& s : *steps) {
    std::string duration =
        s.duration_ms > 0 || IsFinal(s.state) ? FormatDurationMs(s.duration_ms) : "-";
    std::string exit = s.exit_code ? std::to_string(*s.exit_code) : "-";
    std::string cache =
        s.state == StepState::kCached ? "hit" : (s.cache_key.empty() ? "-" : "miss");
    std::printf("%-20s %-10s %-8lld %-9s %-5s %-6s %s\n", s.name.c_str(),
                std::string(StateName(s.state)).c_str(), static_cast<long long>(s.attempts),
                duration.c_str(), exit.c_str(), cache.c_str(), s.message.c_str());
  }
  return kExitOk;
}

int PipelineExplain(const PipelineCommonArgs& common, const std::string& run_id,
                    const std::string& step) {
  Result<Opened> opened = OpenRuns(common);
  if (!opened.ok()) return Fail(opened.status());
  RunStore& store = *opened->store;
  Result<RunRecord> run = store.GetRun(run_id);
  if (!run.ok()) return Fail(run.status());
  Result<std::vector<StepRecord>> steps = store.ListSteps(run_id);
  if (!steps.ok()) return Fail(steps.status());
  const StepRecord* rec = nullptr;
  std::string names;
  for (const StepRecord& s : *steps) {
    if (s.name == step) rec = &s;
    names += (names.empty() ? "" : ", ") + s.name;
  }
  if (rec == nullptr) {
    return Fail(
        NotFound("pipeline run " + run_id + " has no step '" + step + "'; its steps: " + names));
  }
  LoadedPipeline p = LoadPipelineText(run->spec);
  const StepSpec* spec = p.spec.FindStep(step);
  if (spec != nullptr && !spec->cache) {
    std::printf("%s: not cached: the step has cache: false\n", step.c_str());
    return kExitOk;
  }
  if (rec->cache_key.empty()) {
    std::printf("%s: no cache key: the step ended %s before its key was computed%s\n", step.c_str(),
                std::string(StateName(rec->state)).c_str(),
                rec->message.empty() ? "" : (" (" + rec->message + ")").c_str());
    return kExitOk;
  }
  if (rec->state == StepState::kCached) {
    std::printf("%s: hit: reused the outputs of run %s (key %s)\n", step.c_str(),
                rec->cached_from.c_str(), rec->cache_key.c_str());
    return kExitOk;
  }
  std::printf("%s: miss (key %s)\n", step.c_str(), rec->cache_key.c_str());
  Result<std::optional<std::string>> prev =
      store.PreviousRunWithStep(run->pipeline, step, run->created_at);
  if (!prev.ok()) return Fail(prev.status());
  if (!*prev) {
    std::printf("  no earlier run of pipeline %s computed a key for step %s\n",
                run->pipeline.c_str(), step.c_str());
    return kExitOk;
  }
  Result<std::vector<CacheComponent>> before = store.GetCacheComponents(**prev, step);
  Result<std::vector<CacheComponent>> now = store.GetCacheComponents(run_id, step);
  if (!before.ok()) return Fail(before.status());
  if (!now.ok()) return Fail(now.status());
  std::vector<std::string> lines = DescribeCacheDifference(*before, *now);
  if (lines.empty()) {
    std::printf(
        "  same key as in run %s, whose step did not succeed or whose outputs are gone "
        "or changed since\n",
        (*prev)->c_str());
    return kExitOk;
  }
  std::printf("  against run %s:\n", (*prev)->c_str());
  for (const std::string& l : lines) std::printf("  - %s\n", l.c_str());
  return kExitOk;
}

}  // namespace ferry::cli

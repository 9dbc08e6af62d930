#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/pipeline/process.h"
#include "ferry/pipeline/state.h"
#include "ferry/registry/sql_database.h"

namespace ferry::pipeline {

// A pipeline run as persisted (table pipeline_runs).
struct RunRecord {
  std::string id;
  std::string pipeline;  // the pipeline's name
  std::string file;      // the file it was started from (for display)
  std::string spec;      // the YAML text as run (resume uses it, not the file)
  std::string workdir;   // the folder `run` steps execute in
  std::string folder;    // FERRY_HOME/runs/<id>
  int64_t parallelism = 1;
  RunState state = RunState::kPending;
  ProcessIdentity executor;  // the process driving the run (pid 0: none yet)
  std::string created_at, started_at, finished_at;
  std::string created_by;
  std::map<std::string, std::string> params;  // resolved parameter values
};

// One step of a run (table pipeline_steps).
struct StepRecord {
  std::string name;
  int64_t position = 0;  // index in the file
  StepState state = StepState::kPending;
  int64_t attempts = 0;
  std::optional<int64_t> exit_code;  // of the last attempt; -SIGNAL when killed
  ProcessIdentity process;           // the last attempt's process group leader
  std::string started_at, finished_at;
  int64_t duration_ms = 0;
  std::string cache_key;    // empty: not computed (cache: false, or not reached)
  std::string cached_from;  // run id whose outputs a cache hit reused
  std::string message;      // why it failed / was skipped
};

// One part of a step's cache key (see cache_key.h).
struct CacheComponent {
  std::string component;  // "run", "with.data", "input:params.data", …
  std::string digest;     // sha256 hex
  std::string detail;     // for inputs: the file's path (not part of the key)
};

struct OutputRecord {
  std::string name;
  std::string sha256;
  int64_t bytes = 0;
};

// Runs and steps in the registry database (same SQLite file or PostgreSQL
// database as `ferry models`; migration 2 of src/ferry/registry/migrations.cc).
// Each call is one transaction: a transition has survived the process when
// the call returns (fsynced only for schedule claims; see Write). Not
// thread-safe: one owner.
class RunStore {
 public:
  // Opens `uri` (sqlite:///path.db or postgresql://…) with the registry's
  // drivers and brings the schema up to date. Errors as the registry's.
  static Result<std::unique_ptr<RunStore>> Open(const std::string& uri);
  explicit RunStore(std::unique_ptr<registry::SqlDatabase> db);

  // Inserts the run, its params and its steps (all pending) at once.
  // AlreadyExists if the id is taken.
  Status CreateRun(const RunRecord& run, const std::vector<StepRecord>& steps);
  // Writes state, executor and times of an existing run.
  Status UpdateRun(const RunRecord& run);
  // Like UpdateRun, but only if the run's recorded executor is still
  // `previous` (compare-and-set): false when another process took it over
  // first, so two `resume`s of one run cannot both drive it.
  Result<bool> ClaimRun(const RunRecord& run, const ProcessIdentity& previous);
  // Writes every mutable field of one step.
  Status UpdateStep(const std::string& run_id, const StepRecord& step);
  // Replaces the step's cache key components.
  Status SetCacheComponents(const std::string& run_id, const std::string& step,
                            const std::vector<CacheComponent>& components);
  // Replaces the step's recorded output files.
  Status SetOutputs(const std::string& run_id, const std::string& step,
                    const std::vector<OutputRecord>& outputs);

  // NotFound: "no pipeline run 'X'".
  Result<RunRecord> GetRun(const std::string& id);
  // Newest first; limit 0 = all.
  Result<std::vector<RunRecord>> ListRuns(int64_t limit);
  // In file order.
  Result<std::vector<StepRecord>> ListSteps(const std::string& run_id);
  Result<std::vector<CacheComponent>> GetCacheComponents(const std::string& run_id,
                                                         const std::string& step);
  Result<std::vector<OutputRecord>> GetOutputs(const std::string& run_id, const std::string& step);

  // Steps (run id, step name) that succeeded or were cached with this cache
  // key, newest run first, other than `exclude_run`.
  Result<std::vector<std::pair<std::string, std::string>>> FindByCacheKey(
      const std::string& key, const std::string& exclude_run);
  // The newest run of `pipeline` created before `before` (RFC 3339) that has
  // cache components recorded for step `step`; nullopt if none.
  Result<std::optional<std::string>> PreviousRunWithStep(const std::string& pipeline,
                                                         const std::string& step,
                                                         const std::string& before);

  // Schedules (migration 3): the last cron slot (Unix seconds) a pipeline
  // was started for; nullopt when the pipeline was never seen.
  Result<std::optional<int64_t>> GetScheduleSlot(const std::string& pipeline);
  // Records `slot` (and the run started for it, "" for none) if the stored
  // slot is still `previous` (nullopt: no row yet) — a compare-and-set, so
  // of two schedulers sharing a database only one starts a run per slot.
  // False when another process moved the slot first.
  Result<bool> ClaimScheduleSlot(const std::string& pipeline, const std::string& cron,
                                 std::optional<int64_t> previous, int64_t slot,
                                 const std::string& run_id);

 private:
  // One write transaction around `body`; fsynced only when `durable`.
  Status Write(const std::function<Status()>& body, bool durable = false);

  std::unique_ptr<registry::SqlDatabase> db_;
};

}  // namespace ferry::pipeline

#include "ferry/pipeline/run_store.h"

#include "ferry/registry/migrations.h"
#include "ferry/registry/sql_store.h"

namespace ferry::pipeline {
namespace {

using registry::SqlRow;
using registry::SqlValue;

std::string Text(const SqlRow& row, size_t i) { return row[i] ? *row[i] : std::string(); }
int64_t Int(const SqlRow& row, size_t i) { return row[i] ? std::stoll(*row[i]) : 0; }

constexpr const char* kRunColumns =
    "id, pipeline, file, spec, workdir, folder, parallelism, state, executor_host, "
    "executor_boot, executor_pid, executor_start, created_at, started_at, finished_at, "
    "created_by";

Result<RunRecord> RunFromRow(const SqlRow& r) {
  RunRecord run;
  run.id = Text(r, 0);
  run.pipeline = Text(r, 1);
  run.file = Text(r, 2);
  run.spec = Text(r, 3);
  run.workdir = Text(r, 4);
  run.folder = Text(r, 5);
  run.parallelism = Int(r, 6);
  FERRY_ASSIGN_OR_RETURN(run.state, ParseRunState(Text(r, 7)));
  run.executor.host = Text(r, 8);
  run.executor.boot_id = Text(r, 9);
  run.executor.pid = Int(r, 10);
  run.executor.start_ticks = Int(r, 11);
  run.created_at = Text(r, 12);
  run.started_at = Text(r, 13);
  run.finished_at = Text(r, 14);
  run.created_by = Text(r, 15);
  return run;
}

}  // namespace

Result<std::unique_ptr<RunStore>> RunStore::Open(const std::string& uri) {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<registry::SqlDatabase> db, registry::OpenSqlDatabase(uri));
  FERRY_RETURN_IF_ERROR(registry::Migrate(*db).status());
  return std::make_unique<RunStore>(std::move(db));
}

RunStore::RunStore(std::unique_ptr<registry::SqlDatabase> db) : db_(std::move(db)) {}

Status RunStore::Write(const std::function<Status()>& body, bool durable) {
  // Run and step transitions survive the process being killed (the commit
  // is in the WAL, handed to the OS) but are not fsynced one by one: after a
  // power loss the last ones may be lost, and `resume` reruns those steps.
  // A schedule claim is fsynced: a slot must never start twice.
  FERRY_RETURN_IF_ERROR(durable ? db_->BeginWrite() : db_->BeginWriteDeferredSync());
  Status s = body();
  if (s.ok()) s = db_->Commit();
  if (!s.ok()) db_->Rollback();
  return s;
}

Status RunStore::CreateRun(const RunRecord& run, const std::vector<StepRecord>& steps) {
  return Write([&]() -> Status {
    Status s = db_->Query(std::string("INSERT INTO pipeline_runs (") + kRunColumns +
                              ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
                              "$13, $14, $15, $16)",
                          {run.id, run.pipeline, run.file, run.spec, run.workdir, run.folder,
                           run.parallelism, std::string(StateName(run.state)), run.executor.host,
                           run.executor.boot_id, run.executor.pid, run.executor.start_ticks,
                           run.created_at, run.started_at, run.finished_at, run.created_by})
                   .status();
    if (s.code() == StatusCode::kAlreadyExists) {
      return AlreadyExists("pipeline run '" + run.id + "' already exists");
    }
    FERRY_RETURN_IF_ERROR(s);
    for (const auto& [name, value] : run.params) {
      FERRY_RETURN_IF_ERROR(
          db_->Query("INSERT INTO pipeline_run_params (run_id, name, value) VALUES ($1, $2, $3)",
                     {run.id, name, value})
              .status());
    }
    for (const StepRecord& step : steps) {
      FERRY_RETURN_IF_ERROR(
          db_->Query("INSERT INTO pipeline_steps (run_id, name, position, state) "
                     "VALUES ($1, $2, $3, $4)",
                     {run.id, step.name, step.position, std::string(StateName(step.state))})
              .status());
    }
    return Status::Ok();
  });
}

Status RunStore::UpdateRun(const RunRecord& run) {
  return Write([&]() -> Status {
    return db_
        ->Query(
            "UPDATE pipeline_runs SET state = $2, executor_host = $3, executor_boot = $4, "
            "executor_pid = $5, executor_start = $6, started_at = $7, finished_at = $8 "
            "WHERE id = $1",
            {run.id, std::string(StateName(run.state)), run.executor.host, run.executor.boot_id,
             run.executor.pid, run.executor.start_ticks, run.started_at, run.finished_at})
        .status();
  });
}

Result<bool> RunStore::ClaimRun(const RunRecord& run, const ProcessIdentity& previous) {
  bool claimed = false;
  Status s = Write([&]() -> Status {
    FERRY_ASSIGN_OR_RETURN(
        auto rows,
        db_->Query("UPDATE pipeline_runs SET state = $2, executor_host = $3, executor_boot = $4, "
                   "executor_pid = $5, executor_start = $6, started_at = $7, finished_at = $8 "
                   "WHERE id = $1 AND executor_pid = $9 AND executor_start = $10 RETURNING id",
                   {run.id, std::string(StateName(run.state)), run.executor.host,
                    run.executor.boot_id, run.executor.pid, run.executor.start_ticks,
                    run.started_at, run.finished_at, previous.pid, previous.start_ticks}));
    claimed = !rows.empty();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return claimed;
}

Status RunStore::UpdateStep(const std::string& run_id, const StepRecord& step) {
  return Write([&]() -> Status {
    SqlValue exit_code;
    if (step.exit_code) exit_code = *step.exit_code;
    return db_
        ->Query(
            "UPDATE pipeline_steps SET state = $3, attempts = $4, exit_code = $5, pid = $6, "
            "pid_start = $7, started_at = $8, finished_at = $9, duration_ms = $10, "
            "cache_key = $11, cached_from = $12, message = $13 WHERE run_id = $1 AND name = $2",
            {run_id, step.name, std::string(StateName(step.state)), step.attempts, exit_code,
             step.process.pid, step.process.start_ticks, step.started_at, step.finished_at,
             step.duration_ms, step.cache_key, step.cached_from, step.message})
        .status();
  });
}

Status RunStore::SetCacheComponents(const std::string& run_id, const std::string& step,
                                    const std::vector<CacheComponent>& components) {
  return Write([&]() -> Status {
    FERRY_RETURN_IF_ERROR(
        db_->Query("DELETE FROM pipeline_step_inputs WHERE run_id = $1 AND step = $2",
                   {run_id, step})
            .status());
    for (const CacheComponent& c : components) {
      FERRY_RETURN_IF_ERROR(db_->Query("INSERT INTO pipeline_step_inputs (run_id, step, "
                                       "component, digest, detail) VALUES ($1, $2, $3, $4, $5)",
                                       {run_id, step, c.component, c.digest, c.detail})
                                .status());
    }
    return Status::Ok();
  });
}

Status RunStore::SetOutputs(const std::string& run_id, const std::string& step,
                            const std::vector<OutputRecord>& outputs) {
  return Write([&]() -> Status {
    FERRY_RETURN_IF_ERROR(
        db_->Query("DELETE FROM pipeline_step_outputs WHERE run_id = $1 AND step = $2",
                   {run_id, step})
            .status());
    for (const OutputRecord& o : outputs) {
      FERRY_RETURN_IF_ERROR(db_->Query("INSERT INTO pipeline_step_outputs (run_id, step, name, "
                                       "sha256, bytes) VALUES ($1, $2, $3, $4, $5)",
                                       {run_id, step, o.name, o.sha256, o.bytes})
                                .status());
    }
    return Status::Ok();
  });
}

Result<RunRecord> RunStore::GetRun(const std::string& id) {
  FERRY_ASSIGN_OR_RETURN(
      auto rows,
      db_->Query(std::string("SELECT ") + kRunColumns + " FROM pipeline_runs WHERE id = $1", {id}));
  if (rows.empty()) return NotFound("no pipeline run '" + id + "'");
  FERRY_ASSIGN_OR_RETURN(RunRecord run, RunFromRow(rows[0]));
  FERRY_ASSIGN_OR_RETURN(
      auto params,
      db_->Query("SELECT name, value FROM pipeline_run_params WHERE run_id = $1", {id}));
  for (const SqlRow& p : params) run.params[Text(p, 0)] = Text(p, 1);
  return run;
}

Result<std::vector<RunRecord>> RunStore::ListRuns(int64_t limit) {
  std::string sql = std::string("SELECT ") + kRunColumns +
                    " FROM pipeline_runs ORDER BY created_at DESC, id DESC";
  std::vector<SqlValue> params;
  if (limit > 0) {
    sql += " LIMIT $1";
    params.push_back(limit);
  }
  FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query(sql, params));
  std::vector<RunRecord> out;
  for (const SqlRow& r : rows) {
    FERRY_ASSIGN_OR_RETURN(RunRecord run, RunFromRow(r));
    out.push_back(std::move(run));
  }
  return out;
}

Result<std::vector<StepRecord>> RunStore::ListSteps(const std::string& run_id) {
  FERRY_ASSIGN_OR_RETURN(
      auto rows,
      db_->Query("SELECT name, position, state, attempts, exit_code, pid, pid_start, started_at, "
                 "finished_at, duration_ms, cache_key, cached_from, message FROM pipeline_steps "
                 "WHERE run_id = $1 ORDER BY position",
                 {run_id}));
  std::vector<StepRecord> out;
  for (const SqlRow& r : rows) {
    StepRecord s;
    s.name = Text(r, 0);
    s.position = Int(r, 1);
    FERRY_ASSIGN_OR_RETURN(s.state, ParseStepState(Text(r, 2)));
    s.attempts = Int(r, 3);
    if (r[4]) s.exit_code = std::stoll(*r[4]);
    s.process.pid = Int(r, 5);
    s.process.start_ticks = Int(r, 6);
    s.started_at = Text(r, 7);
    s.finished_at = Text(r, 8);
    s.duration_ms = Int(r, 9);
    s.cache_key = Text(r, 10);
    s.cached_from = Text(r, 11);
    s.message = Text(r, 12);
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<CacheComponent>> RunStore::GetCacheComponents(const std::string& run_id,
                                                                 const std::string& step) {
  FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT component, digest, detail FROM "
                                               "pipeline_step_inputs WHERE run_id = $1 AND "
                                               "step = $2 ORDER BY component",
                                               {run_id, step}));
  std::vector<CacheComponent> out;
  for (const SqlRow& r : rows) out.push_back({Text(r, 0), Text(r, 1), Text(r, 2)});
  return out;
}

Result<std::vector<OutputRecord>> RunStore::GetOutputs(const std::string& run_id,
                                                       const std::string& step) {
  FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT name, sha256, bytes FROM "
                                               "pipeline_step_outputs WHERE run_id = $1 AND "
                                               "step = $2 ORDER BY name",
                                               {run_id, step}));
  std::vector<OutputRecord> out;
  for (const SqlRow& r : rows) out.push_back({Text(r, 0), Text(r, 1), Int(r, 2)});
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> RunStore::FindByCacheKey(
    const std::string& key, const std::string& exclude_run) {
  FERRY_ASSIGN_OR_RETURN(
      auto rows,
      db_->Query("SELECT s.run_id, s.name FROM pipeline_steps s JOIN pipeline_runs r ON "
                 "r.id = s.run_id WHERE s.cache_key = $1 AND s.run_id <> $2 AND s.state IN "
                 "('succeeded', 'cached') ORDER BY r.created_at DESC, r.id DESC LIMIT 20",
                 {key, exclude_run}));
  std::vector<std::pair<std::string, std::string>> out;
  for (const SqlRow& r : rows) out.emplace_back(Text(r, 0), Text(r, 1));
  return out;
}

Result<std::optional<std::string>> RunStore::PreviousRunWithStep(const std::string& pipeline,
                                                                 const std::string& step,
                                                                 const std::string& before) {
  FERRY_ASSIGN_OR_RETURN(
      auto rows,
      db_->Query("SELECT r.id FROM pipeline_runs r WHERE r.pipeline = $1 AND r.created_at < $3 "
                 "AND EXISTS (SELECT 1 FROM pipeline_step_inputs i WHERE i.run_id = r.id AND "
                 "i.step = $2) ORDER BY r.created_at DESC, r.id DESC LIMIT 1",
                 {pipeline, step, before}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(Text(rows[0], 0));
}

Result<std::optional<int64_t>> RunStore::GetScheduleSlot(const std::string& pipeline) {
  FERRY_ASSIGN_OR_RETURN(
      auto rows,
      db_->Query("SELECT last_slot FROM pipeline_schedules WHERE pipeline = $1", {pipeline}));
  if (rows.empty() || !rows[0][0]) return std::optional<int64_t>();
  return std::optional<int64_t>(std::stoll(*rows[0][0]));
}

Result<bool> RunStore::ClaimScheduleSlot(const std::string& pipeline, const std::string& cron,
                                         std::optional<int64_t> previous, int64_t slot,
                                         const std::string& run_id) {
  bool claimed = false;
  Status s = Write(
      [&]() -> Status {
        std::vector<registry::SqlRow> rows;
        if (previous) {
          FERRY_ASSIGN_OR_RETURN(
              rows, db_->Query(
                        "UPDATE pipeline_schedules SET last_slot = $3, last_run = $4, cron = $5, "
                        "updated_at = $6 WHERE pipeline = $1 AND last_slot = $2 RETURNING pipeline",
                        {pipeline, *previous, slot, run_id, cron, registry::NowRfc3339()}));
        } else {
          FERRY_ASSIGN_OR_RETURN(
              rows,
              db_->Query("INSERT INTO pipeline_schedules (pipeline, cron, last_slot, last_run, "
                         "updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pipeline) DO "
                         "NOTHING RETURNING pipeline",
                         {pipeline, cron, slot, run_id, registry::NowRfc3339()}));
        }
        claimed = !rows.empty();
        return Status::Ok();
      },
      /*durable=*/true);
  if (!s.ok()) return s;
  return claimed;
}

}  // namespace ferry::pipeline

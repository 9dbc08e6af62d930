#include "ferry/registry/migrations.h"

#include <string>
#include <vector>

namespace ferry::registry {
namespace {

struct Migration {
  int version;
  const char* what;
  const char* common;    // both dialects
  const char* sqlite;    // dialect-specific tail
  const char* postgres;  // dialect-specific tail
};

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "models, versions, aliases, tags, evaluations, audit",
       R"sql(
CREATE TABLE models (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  last_version BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE versions (
  model TEXT NOT NULL REFERENCES models(name) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('registering', 'ready', 'failed')),
  bundle_digest TEXT NOT NULL,
  blob_sha256 TEXT NOT NULL,
  blob_bytes BIGINT NOT NULL,
  framework TEXT NOT NULL,
  task TEXT NOT NULL,
  signature TEXT NOT NULL,
  metrics TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  lineage_pipeline TEXT NOT NULL DEFAULT '',
  lineage_run TEXT NOT NULL DEFAULT '',
  lineage_data TEXT NOT NULL DEFAULT '',
  lineage_parent TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (model, version)
);
CREATE INDEX versions_blob ON versions (blob_sha256);
CREATE TABLE aliases (
  model TEXT NOT NULL,
  alias TEXT NOT NULL,
  version BIGINT NOT NULL,
  protected INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  PRIMARY KEY (model, alias),
  FOREIGN KEY (model, version) REFERENCES versions (model, version) ON DELETE CASCADE
);
CREATE TABLE tags (
  model TEXT NOT NULL REFERENCES models(name) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model, version, key)
);
CREATE TABLE evaluations (
  model TEXT NOT NULL,
  version BIGINT NOT NULL,
  passed INTEGER NOT NULL,
  details TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  FOREIGN KEY (model, version) REFERENCES versions (model, version) ON DELETE CASCADE
);
CREATE INDEX evaluations_version ON evaluations (model, version);
)sql",
       R"sql(
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, model TEXT NOT NULL,
  version BIGINT NOT NULL DEFAULT 0, alias TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_model ON audit (model, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql",
       R"sql(
CREATE TABLE audit (
  id BIGSERIAL PRIMARY KEY,
  at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, model TEXT NOT NULL,
  version BIGINT NOT NULL DEFAULT 0, alias TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_model ON audit (model, id);
CREATE FUNCTION ferry_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION ferry_audit_append_only();
)sql"},
      {2, "pipeline runs, steps, cache inputs and outputs (docs/pipelines.md)",
       R"sql(
CREATE TABLE pipeline_runs (
  id TEXT PRIMARY KEY,
  pipeline TEXT NOT NULL,
  file TEXT NOT NULL,
  spec TEXT NOT NULL,
  workdir TEXT NOT NULL,
  folder TEXT NOT NULL,
  parallelism BIGINT NOT NULL,
  state TEXT NOT NULL
    CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  executor_host TEXT NOT NULL DEFAULT '',
  executor_boot TEXT NOT NULL DEFAULT '',
  executor_pid BIGINT NOT NULL DEFAULT 0,
  executor_start BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  started_at TEXT NOT NULL DEFAULT '',
  finished_at TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL
);
CREATE INDEX pipeline_runs_pipeline ON pipeline_runs (pipeline, created_at);
CREATE TABLE pipeline_run_params (
  run_id TEXT NOT NULL REFERENCES pipeline_runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, name)
);
CREATE TABLE pipeline_steps (
  run_id TEXT NOT NULL REFERENCES pipeline_runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  position BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cached',
                                       'skipped', 'cancelled')),
  attempts BIGINT NOT NULL DEFAULT 0,
  exit_code BIGINT,
  pid BIGINT NOT NULL DEFAULT 0,
  pid_start BIGINT NOT NULL DEFAULT 0,
  started_at TEXT NOT NULL DEFAULT '',
  finished_at TEXT NOT NULL DEFAULT '',
  duration_ms BIGINT NOT NULL DEFAULT 0,
  cache_key TEXT NOT NULL DEFAULT '',
  cached_from TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, name)
);
CREATE INDEX pipeline_steps_cache ON pipeline_steps (cache_key);
CREATE TABLE pipeline_step_inputs (
  run_id TEXT NOT NULL,
  step TEXT NOT NULL,
  component TEXT NOT NULL,
  digest TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, step, component),
  FOREIGN KEY (run_id, step) REFERENCES pipeline_steps (run_id, name) ON DELETE CASCADE
);
CREATE TABLE pipeline_step_outputs (
  run_id TEXT NOT NULL,
  step TEXT NOT NULL,
  name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  PRIMARY KEY (run_id, step, name),
  FOREIGN KEY (run_id, step) REFERENCES pipeline_steps (run_id, name) ON DELETE CASCADE
);
)sql",
       "", ""},
      {3, "pipeline schedules: the last cron slot each pipeline was started for",
       R"sql(
CREATE TABLE pipeline_schedules (
  pipeline TEXT PRIMARY KEY,
  cron TEXT NOT NULL,
  last_slot BIGINT NOT NULL,
  last_run TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL
);
)sql",
       "", ""},
  };
  return kMigrations;
}

// Takes the migration lock inside an open write transaction.
Status LockForMigration(SqlDatabase& db) {
  if (db.dialect() == SqlDialect::kPostgres) {
    // An arbitrary constant that names "Ferry schema migration".
    return db.Query("SELECT pg_advisory_xact_lock(7256001)").status();
  }
  return Status::Ok();  // BEGIN IMMEDIATE already holds SQLite's write lock
}

Result<int> CurrentVersion(SqlDatabase& db) {
  FERRY_ASSIGN_OR_RETURN(auto rows, db.Query("SELECT MAX(version) FROM schema_version"));
  if (rows.empty() || !rows[0][0]) return 0;
  return std::stoi(*rows[0][0]);
}

Status Bootstrap(SqlDatabase& db) {
  FERRY_RETURN_IF_ERROR(db.BeginWrite());
  Status s = LockForMigration(db);
  if (s.ok()) {
    s = db.ExecScript("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  }
  if (s.ok()) return db.Commit();
  db.Rollback();
  return s;
}

}  // namespace

int LatestSchemaVersion() { return Migrations().back().version; }

Result<int> Migrate(SqlDatabase& db) {
  FERRY_RETURN_IF_ERROR(Bootstrap(db).WithContext("registry schema"));
  for (const Migration& m : Migrations()) {
    FERRY_RETURN_IF_ERROR(db.BeginWrite().WithContext("registry schema migration"));
    Status s = LockForMigration(db);
    Result<int> current = s.ok() ? CurrentVersion(db) : Result<int>(s);
    if (!current.ok()) {
      db.Rollback();
      return current.status().WithContext("registry schema");
    }
    if (*current > LatestSchemaVersion()) {
      db.Rollback();
      return FailedPrecondition("the registry database is at schema version " +
                                std::to_string(*current) + ", newer than this ferry knows (" +
                                std::to_string(LatestSchemaVersion()) + "); upgrade ferry");
    }
    if (*current >= m.version) {
      db.Rollback();
      continue;
    }
    std::string script =
        std::string(m.common) + (db.dialect() == SqlDialect::kSqlite ? m.sqlite : m.postgres);
    s = db.ExecScript(script);
    if (s.ok()) {
      s = db.Query("INSERT INTO schema_version (version) VALUES ($1)", {int64_t{m.version}})
              .status();
    }
    if (s.ok()) s = db.Commit();
    if (!s.ok()) {
      db.Rollback();
      return FailedPrecondition("registry schema migration " + std::to_string(m.version) + " (" +
                                m.what + ") failed: " + s.message() +
                                "; the database stays at schema version " +
                                std::to_string(*current));
    }
  }
  Result<std::vector<SqlRow>> rows = db.Query("SELECT MAX(version) FROM schema_version");
  if (!rows.ok()) return rows.status();
  return (*rows)[0][0] ? std::stoi(*(*rows)[0][0]) : 0;
}

}  // namespace ferry::registry

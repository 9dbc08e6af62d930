#pragma once

// Private to the SQL store: the class shared by sql_store.cc (reads) and
// sql_store_mutations.cc (writes). Not part of the registry's API.
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ferry/base/thread_annotations.h"
#include "ferry/registry/migrations.h"
#include "ferry/registry/reference.h"
#include "ferry/registry/sql_database.h"
#include "ferry/registry/sql_store.h"
#include "ferry/registry/store.h"

namespace ferry::registry::internal {

inline constexpr std::string_view kVersionColumns =
    "model, version, status, bundle_digest, blob_sha256, blob_bytes, framework, task, signature, "
    "metrics, description, lineage_pipeline, lineage_run, lineage_data, lineage_parent, "
    "created_at, created_by";

inline std::string Text(const SqlRow& row, size_t i) { return row[i].value_or(""); }
inline int64_t Int(const SqlRow& row, size_t i) { return row[i] ? std::stoll(*row[i]) : 0; }

inline VersionRecord ToVersion(const SqlRow& r) {
  VersionRecord v;
  v.model = Text(r, 0);
  v.version = Int(r, 1);
  v.status = ParseVersionStatus(Text(r, 2)).value_or(VersionStatus::kFailed);
  v.bundle_digest = Text(r, 3);
  v.blob_sha256 = Text(r, 4);
  v.blob_bytes = Int(r, 5);
  v.framework = Text(r, 6);
  v.task = Text(r, 7);
  v.signature_json = Text(r, 8);
  v.metrics_json = Text(r, 9);
  v.description = Text(r, 10);
  v.lineage = {Text(r, 11), Text(r, 12), Text(r, 13), Text(r, 14)};
  v.created_at = Text(r, 15);
  v.created_by = Text(r, 16);
  return v;
}

inline ModelRecord ToModel(const SqlRow& r) {
  return {Text(r, 0), Text(r, 1), Text(r, 2), Text(r, 3), Int(r, 4)};
}

inline AliasRecord ToAlias(const SqlRow& r) {
  return {Text(r, 0), Text(r, 1), Int(r, 2), Int(r, 3) != 0, Text(r, 4), Text(r, 5)};
}

inline std::string ActorName(const Actor& a) { return a.name.empty() ? "unknown" : a.name; }

class SqlStore : public Store {
 public:
  explicit SqlStore(std::unique_ptr<SqlDatabase> db)
      : dialect_(db->dialect()), db_(std::move(db)) {}

  std::string_view kind() const override {
    return dialect_ == SqlDialect::kSqlite ? "sqlite" : "postgresql";
  }

  Status Init() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return Migrate(*db_).status();
  }

  Result<int> SchemaVersion() override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT MAX(version) FROM schema_version"));
    return rows[0][0] ? std::stoi(*rows[0][0]) : 0;
  }

  Result<ModelRecord> CreateModel(const std::string& name, const std::string& description,
                                  const Actor& actor) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    ModelRecord out;
    Status s = InTransaction([&]() -> Status {
      mu_.AssertHeld();
      AssertLocked();  // the body runs inside InTransaction, under mu_
      std::string now = NowRfc3339();
      Status ins = db_->Query(
                          "INSERT INTO models (name, description, created_at, created_by) "
                          "VALUES ($1, $2, $3, $4)",
                          {name, description, now, ActorName(actor)})
                       .status();
      if (ins.code() == StatusCode::kAlreadyExists) {
        return AlreadyExists("model '" + name + "' already exists");
      }
      FERRY_RETURN_IF_ERROR(ins);
      FERRY_RETURN_IF_ERROR(Audit(actor, "create_model", name, 0, "", description));
      out = {name, description, now, ActorName(actor), 0};
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return out;
  }

  Result<ModelRecord> GetModel(const std::string& name) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return GetModelLocked(name);
  }

  Result<std::vector<ModelRecord>> ListModels() override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT name, description, created_at, "
                                                 "created_by, last_version FROM models "
                                                 "ORDER BY name"));
    std::vector<ModelRecord> out;
    for (const auto& r : rows) out.push_back(ToModel(r));
    return out;
  }

  Result<VersionRecord> AddVersion(const NewVersion& nv, const Actor& actor) override
      EXCLUDES(mu_) {
    return InsertVersion(nv, VersionStatus::kReady, actor);
  }

  Result<VersionRecord> BeginVersion(const NewVersion& nv, const Actor& actor) override
      EXCLUDES(mu_) {
    NewVersion reserved = nv;
    reserved.record.blob_sha256.clear();
    reserved.record.blob_bytes = 0;
    // The reservation's commit needs no fsync of its own: FinishVersion's
    // durable commit covers it, and a reservation lost to a power cut leaves
    // only an unreferenced blob for gc.
    return InsertVersion(reserved, VersionStatus::kRegistering, actor, /*durable=*/false);
  }

  // Group commit: callers that arrive while another commits queue up, and the
  // next one to take mu_ commits every queued finish in one transaction, so
  // concurrent registrations share one durable commit (one WAL fsync on
  // SQLite). Each caller still returns only once its own finish is durable,
  // and gets its own result (savepoints keep one failure from undoing the
  // others).
  Result<VersionRecord> FinishVersion(const std::string& model, int64_t version,
                                      const std::string& blob_sha256, int64_t blob_bytes,
                                      const Actor& actor) override EXCLUDES(mu_, queue_mu_) {
    PendingFinish mine{model, version, blob_sha256, blob_bytes, actor};
    {
      MutexLock queue(queue_mu_);
      finish_queue_.push_back(&mine);
    }
    MutexLock lock(mu_);
    // `done` is written under mu_ by whichever caller committed this finish.
    if (!mine.done) CommitQueuedFinishes();
    return std::move(mine.result);
  }

  Status FailVersion(const std::string& model, int64_t version, const std::string& reason,
                     const Actor& actor) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return InTransaction([&]() -> Status {
      mu_.AssertHeld();
      AssertLocked();
      FERRY_ASSIGN_OR_RETURN(
          auto rows, db_->Query("UPDATE versions SET status = 'failed' WHERE model = $1 AND "
                                "version = $2 AND status = 'registering' RETURNING version",
                                {model, version}));
      if (rows.empty()) return NotRegistering(model, version);
      return Audit(actor, "register_failed", model, version, "", reason);
    });
  }

 private:
  // A FinishVersion call waiting for a commit (see FinishVersion).
  struct PendingFinish {
    std::string model;
    int64_t version;
    std::string blob_sha256;
    int64_t blob_bytes;
    Actor actor;
    Result<VersionRecord> result = Internal("finish not committed");
    bool done = false;
  };

  // Commits every queued finish in one transaction, each under its own
  // savepoint so that a refused one undoes none of the others.
  void CommitQueuedFinishes() REQUIRES(mu_) EXCLUDES(queue_mu_) {
    std::vector<PendingFinish*> batch;
    {
      MutexLock queue(queue_mu_);
      batch.swap(finish_queue_);
    }
    Status s = InTransaction([&]() -> Status {
      mu_.AssertHeld();
      AssertLocked();
      for (PendingFinish* p : batch) {
        FERRY_RETURN_IF_ERROR(db_->Query("SAVEPOINT finish").status());
        p->result = FinishLocked(*p);
        if (!p->result.ok()) {
          FERRY_RETURN_IF_ERROR(db_->Query("ROLLBACK TO SAVEPOINT finish").status());
        }
        FERRY_RETURN_IF_ERROR(db_->Query("RELEASE SAVEPOINT finish").status());
      }
      return Status::Ok();
    });
    for (PendingFinish* p : batch) {
      if (!s.ok()) p->result = s;
      p->done = true;
    }
  }

  // One finish's statements, inside the caller's transaction.
  Result<VersionRecord> FinishLocked(const PendingFinish& p) REQUIRES(mu_) {
    FERRY_ASSIGN_OR_RETURN(auto rows,
                           db_->Query("UPDATE versions SET status = 'ready', blob_sha256 = $3, "
                                      "blob_bytes = $4 WHERE model = $1 AND version = $2 AND "
                                      "status = 'registering' RETURNING version",
                                      {p.model, p.version, p.blob_sha256, p.blob_bytes}));
    if (rows.empty()) return NotRegistering(p.model, p.version);
    FERRY_ASSIGN_OR_RETURN(VersionRecord v, GetVersionLocked(p.model, p.version));
    FERRY_RETURN_IF_ERROR(Audit(p.actor, "register", p.model, p.version, "", v.bundle_digest));
    return v;
  }

  // FailedPrecondition (or NotFound) for a version that is not `registering`.
  Status NotRegistering(const std::string& model, int64_t version) REQUIRES(mu_) {
    auto current = GetVersionLocked(model, version);
    if (!current.ok()) return current.status();
    return FailedPrecondition("version " + model + ":" + std::to_string(version) + " is " +
                              std::string(VersionStatusName(current->status)) +
                              ", not registering");
  }

  Result<VersionRecord> InsertVersion(const NewVersion& nv, VersionStatus status,
                                      const Actor& actor, bool durable = true) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    VersionRecord v = nv.record;
    Status s = InTransaction(
        [&]() -> Status {
          mu_.AssertHeld();
          AssertLocked();  // the body runs inside InTransaction, under mu_
          std::string now = NowRfc3339();
          // Create the model if needed; a concurrent creator makes this a no-op.
          FERRY_ASSIGN_OR_RETURN(
              auto created,
              db_->Query("INSERT INTO models (name, description, created_at, created_by) "
                         "VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING name",
                         {v.model, nv.model_description, now, ActorName(actor)}));
          if (!created.empty()) {
            FERRY_RETURN_IF_ERROR(
                Audit(actor, "create_model", v.model, 0, "", nv.model_description));
          }
          // The row lock on the model serializes version numbering.
          FERRY_ASSIGN_OR_RETURN(auto num,
                                 db_->Query("UPDATE models SET last_version = last_version "
                                            "+ 1 WHERE name = $1 RETURNING last_version",
                                            {v.model}));
          if (num.empty()) return NotFound("model '" + v.model + "' not found");
          v.version = Int(num[0], 0);
          v.status = status;
          v.created_at = now;
          v.created_by = ActorName(actor);
          FERRY_RETURN_IF_ERROR(
              db_->Query(
                     "INSERT INTO versions (" + std::string(kVersionColumns) +
                         ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
                         "$15, $16, $17)",
                     {v.model, v.version, std::string(VersionStatusName(v.status)), v.bundle_digest,
                      v.blob_sha256, v.blob_bytes, v.framework, v.task, v.signature_json,
                      v.metrics_json, v.description, v.lineage.pipeline, v.lineage.run,
                      v.lineage.data, v.lineage.parent, v.created_at, v.created_by})
                  .status());
          // A reservation is audited when it ends (FinishVersion / FailVersion).
          if (status != VersionStatus::kReady) return Status::Ok();
          return Audit(actor, "register", v.model, v.version, "", v.bundle_digest);
        },
        durable);
    if (!s.ok()) return s;
    return v;
  }

 public:
  Result<VersionRecord> GetVersion(const std::string& model, int64_t version) override
      EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return GetVersionLocked(model, version);
  }

  Result<VersionRecord> LatestReadyVersion(const std::string& model) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT " + std::string(kVersionColumns) +
                                                     " FROM versions WHERE model = $1 AND "
                                                     "status = 'ready' ORDER BY version DESC "
                                                     "LIMIT 1",
                                                 {model}));
    if (rows.empty()) {
      FERRY_RETURN_IF_ERROR(GetModelLocked(model).status());
      return NotFound("model '" + model + "' has no ready version");
    }
    return ToVersion(rows[0]);
  }

  Result<std::vector<VersionRecord>> ListVersions(const std::string& model) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    FERRY_ASSIGN_OR_RETURN(auto rows,
                           db_->Query("SELECT " + std::string(kVersionColumns) +
                                          " FROM versions WHERE model = $1 ORDER BY version",
                                      {model}));
    if (rows.empty()) FERRY_RETURN_IF_ERROR(GetModelLocked(model).status());
    std::vector<VersionRecord> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(ToVersion(r));
    return out;
  }

  Result<AliasRecord> GetAlias(const std::string& model, const std::string& alias) override
      EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return GetAliasLocked(model, alias);
  }

  Result<VersionRecord> GetAliasTarget(const std::string& model, const std::string& alias) override
      EXCLUDES(mu_) {
    MutexLock lock(mu_);
    FERRY_ASSIGN_OR_RETURN(
        auto rows, db_->Query("SELECT " + std::string(kVersionColumns) +
                                  " FROM versions WHERE model = $1 AND version = (SELECT version "
                                  "FROM aliases WHERE model = $1 AND alias = $2)",
                              {model, alias}));
    if (rows.empty()) return GetAliasLocked(model, alias).status();
    return ToVersion(rows[0]);
  }

  Result<std::vector<AliasRecord>> ListAliases(const std::string& model) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT model, alias, version, protected, "
                                                 "updated_at, updated_by FROM aliases WHERE "
                                                 "model = $1 ORDER BY alias",
                                                 {model}));
    std::vector<AliasRecord> out;
    for (const auto& r : rows) out.push_back(ToAlias(r));
    return out;
  }

  Result<AliasRecord> SetAlias(const AliasMove& move, const Actor& actor) override EXCLUDES(mu_);
  Status DeleteAlias(const std::string& model, const std::string& alias, bool force,
                     const Actor& actor) override EXCLUDES(mu_);
  Status SetTag(const std::string& model, int64_t version, const std::string& key,
                const std::string& value, const Actor& actor) override EXCLUDES(mu_);
  Status DeleteTag(const std::string& model, int64_t version, const std::string& key,
                   const Actor& actor) override EXCLUDES(mu_);
  Result<std::vector<TagRecord>> ListTags(const std::string& model, int64_t version) override
      EXCLUDES(mu_);
  Status DeleteVersion(const std::string& model, int64_t version, const Actor& actor) override
      EXCLUDES(mu_);
  Status DeleteModel(const std::string& model, const Actor& actor) override EXCLUDES(mu_);
  Status AddEvaluation(const EvaluationRecord& e, const Actor& actor) override EXCLUDES(mu_);
  Result<std::vector<EvaluationRecord>> ListEvaluations(const std::string& model,
                                                        int64_t version) override EXCLUDES(mu_);
  Result<std::vector<AuditEntry>> History(const std::string& model, int64_t limit) override
      EXCLUDES(mu_);
  Result<std::set<std::string>> ReferencedBlobs() override EXCLUDES(mu_);

 private:
  // Runs `body` in a write transaction; commits if it returns OK, else rolls
  // back. `durable` false: see SqlDatabase::BeginWriteDeferredSync.
  Status InTransaction(const std::function<Status()>& body, bool durable = true) REQUIRES(mu_) {
    FERRY_RETURN_IF_ERROR(durable ? db_->BeginWrite() : db_->BeginWriteDeferredSync());
    Status s = body();
    if (!s.ok()) {
      db_->Rollback();
      return s;
    }
    return db_->Commit();
  }

  Status Audit(const Actor& actor, std::string_view action, const std::string& model,
               int64_t version, const std::string& alias, const std::string& detail) REQUIRES(mu_) {
    return db_
        ->Query(
            "INSERT INTO audit (at, actor, action, model, version, alias, detail, reason) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            {NowRfc3339(), ActorName(actor), std::string(action), model, version, alias, detail,
             actor.reason})
        .status();
  }

  Result<ModelRecord> GetModelLocked(const std::string& name) REQUIRES(mu_) {
    FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT name, description, created_at, "
                                                 "created_by, last_version FROM models WHERE "
                                                 "name = $1",
                                                 {name}));
    if (rows.empty()) return NotFound("model '" + name + "' not found");
    return ToModel(rows[0]);
  }

  Result<VersionRecord> GetVersionLocked(const std::string& model, int64_t version) REQUIRES(mu_) {
    FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT " + std::string(kVersionColumns) +
                                                     " FROM versions WHERE model = $1 AND "
                                                     "version = $2",
                                                 {model, version}));
    if (rows.empty()) {
      FERRY_RETURN_IF_ERROR(GetModelLocked(model).status());
      return NotFound("model version '" + VersionRef(model, version) + "' not found");
    }
    return ToVersion(rows[0]);
  }

  Result<AliasRecord> GetAliasLocked(const std::string& model, const std::string& alias)
      REQUIRES(mu_) {
    FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT model, alias, version, protected, "
                                                 "updated_at, updated_by FROM aliases WHERE "
                                                 "model = $1 AND alias = $2",
                                                 {model, alias}));
    if (rows.empty()) {
      FERRY_RETURN_IF_ERROR(GetModelLocked(model).status());
      return NotFound("alias '" + model + "@" + alias + "' is not set");
    }
    return ToAlias(rows[0]);
  }

  Result<bool> HasPassingEvaluation(const std::string& model, int64_t version) REQUIRES(mu_) {
    FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT COUNT(*) FROM evaluations WHERE model = "
                                                 "$1 AND version = $2 AND passed = 1",
                                                 {model, version}));
    return Int(rows[0], 0) > 0;
  }

  // Tells the thread-safety analysis that mu_ is held: for lambdas that run
  // inside InTransaction (the analysis does not follow them).
  void AssertLocked() const FERRY_TSA(assert_capability(mu_)) {}

  const SqlDialect dialect_;
  mutable Mutex mu_;
  std::unique_ptr<SqlDatabase> db_ PT_GUARDED_BY(mu_);
  // Lock order: mu_ before queue_mu_.
  Mutex queue_mu_;
  std::vector<PendingFinish*> finish_queue_ GUARDED_BY(queue_mu_);
};

}  // namespace ferry::registry::internal

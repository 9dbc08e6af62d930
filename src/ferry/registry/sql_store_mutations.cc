// The SQL store's alias, tag, delete, evaluation and audit methods.
#include <string>

#include "ferry/registry/sql_store_impl.h"

namespace ferry::registry::internal {

Result<AliasRecord> SqlStore::SetAlias(const AliasMove& move, const Actor& actor) {
  MutexLock lock(mu_);
  AliasRecord out;
  Status s = InTransaction([&]() -> Status {
    mu_.AssertHeld();
    AssertLocked();  // the body runs inside InTransaction, under mu_
    FERRY_ASSIGN_OR_RETURN(VersionRecord v, GetVersionLocked(move.model, move.version));
    std::string target = VersionRef(move.model, move.version);
    if (v.status != VersionStatus::kReady) {
      return FailedPrecondition("version " + target + " is " +
                                std::string(VersionStatusName(v.status)) + ", not ready");
    }
    Result<AliasRecord> old = GetAliasLocked(move.model, move.alias);
    if (!old.ok() && old.status().code() != StatusCode::kNotFound) return old.status();
    bool is_protected = move.protect || (old.ok() && old->is_protected);
    if (is_protected && !move.force) {
      FERRY_ASSIGN_OR_RETURN(bool passed, HasPassingEvaluation(move.model, move.version));
      if (!passed) {
        return FailedPrecondition("alias '" + move.model + "@" + move.alias +
                                  "' is protected and version " + target +
                                  " has no passing evaluation record; move it with --force "
                                  "--reason to override");
      }
    }
    std::string now = NowRfc3339();
    FERRY_RETURN_IF_ERROR(
        db_->Query("INSERT INTO aliases (model, alias, version, protected, updated_at, "
                   "updated_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (model, alias) DO "
                   "UPDATE SET version = excluded.version, protected = excluded.protected, "
                   "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                   {move.model, move.alias, move.version, int64_t{is_protected ? 1 : 0}, now,
                    ActorName(actor)})
            .status());
    std::string detail = old.ok() ? "from " + std::to_string(old->version) : "new";
    if (is_protected) detail += ", protected";
    if (move.force) detail += ", forced";
    FERRY_RETURN_IF_ERROR(Audit(actor, "alias_set", move.model, move.version, move.alias, detail));
    out = {move.model, move.alias, move.version, is_protected, now, ActorName(actor)};
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status SqlStore::DeleteAlias(const std::string& model, const std::string& alias, bool force,
                             const Actor& actor) {
  MutexLock lock(mu_);
  return InTransaction([&]() -> Status {
    mu_.AssertHeld();
    AssertLocked();  // the body runs inside InTransaction, under mu_
    FERRY_ASSIGN_OR_RETURN(AliasRecord old, GetAliasLocked(model, alias));
    if (old.is_protected && !force) {
      return FailedPrecondition("alias '" + model + "@" + alias +
                                "' is protected; remove it with --force --reason");
    }
    FERRY_RETURN_IF_ERROR(
        db_->Query("DELETE FROM aliases WHERE model = $1 AND alias = $2", {model, alias}).status());
    return Audit(actor, "alias_delete", model, old.version, alias,
                 force ? "was " + std::to_string(old.version) + ", forced"
                       : "was " + std::to_string(old.version));
  });
}

Status SqlStore::SetTag(const std::string& model, int64_t version, const std::string& key,
                        const std::string& value, const Actor& actor) {
  MutexLock lock(mu_);
  return InTransaction([&]() -> Status {
    mu_.AssertHeld();
    AssertLocked();  // the body runs inside InTransaction, under mu_
    if (version == 0) {
      FERRY_RETURN_IF_ERROR(GetModelLocked(model).status());
    } else {
      FERRY_RETURN_IF_ERROR(GetVersionLocked(model, version).status());
    }
    FERRY_RETURN_IF_ERROR(
        db_->Query("INSERT INTO tags (model, version, key, value) VALUES ($1, $2, $3, $4) ON "
                   "CONFLICT (model, version, key) DO UPDATE SET value = excluded.value",
                   {model, version, key, value})
            .status());
    return Audit(actor, "tag_set", model, version, "", key + "=" + value);
  });
}

Status SqlStore::DeleteTag(const std::string& model, int64_t version, const std::string& key,
                           const Actor& actor) {
  MutexLock lock(mu_);
  return InTransaction([&]() -> Status {
    mu_.AssertHeld();
    AssertLocked();  // the body runs inside InTransaction, under mu_
    FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("DELETE FROM tags WHERE model = $1 AND version "
                                                 "= $2 AND key = $3 RETURNING key",
                                                 {model, version, key}));
    if (rows.empty()) {
      std::string where = version == 0 ? model : VersionRef(model, version);
      return NotFound("tag '" + key + "' is not set on " + where);
    }
    return Audit(actor, "tag_delete", model, version, "", key);
  });
}

Result<std::vector<TagRecord>> SqlStore::ListTags(const std::string& model, int64_t version) {
  MutexLock lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT key, value FROM tags WHERE model = $1 AND "
                                               "version = $2 ORDER BY key",
                                               {model, version}));
  std::vector<TagRecord> out;
  for (const auto& r : rows) out.push_back({Text(r, 0), Text(r, 1)});
  return out;
}

Status SqlStore::DeleteVersion(const std::string& model, int64_t version, const Actor& actor) {
  MutexLock lock(mu_);
  return InTransaction([&]() -> Status {
    mu_.AssertHeld();
    AssertLocked();  // the body runs inside InTransaction, under mu_
    FERRY_ASSIGN_OR_RETURN(VersionRecord v, GetVersionLocked(model, version));
    FERRY_ASSIGN_OR_RETURN(auto aliases, db_->Query("SELECT alias FROM aliases WHERE model = $1 "
                                                    "AND version = $2 ORDER BY alias",
                                                    {model, version}));
    if (!aliases.empty()) {
      std::string names;
      for (const auto& r : aliases) names += (names.empty() ? "" : ", ") + Text(r, 0);
      return FailedPrecondition("version " + VersionRef(model, version) +
                                " is still the target of alias(es) " + names +
                                "; move or remove them first");
    }
    FERRY_RETURN_IF_ERROR(
        db_->Query("DELETE FROM tags WHERE model = $1 AND version = $2", {model, version})
            .status());
    FERRY_RETURN_IF_ERROR(
        db_->Query("DELETE FROM versions WHERE model = $1 AND version = $2", {model, version})
            .status());
    return Audit(actor, "delete_version", model, version, "", v.bundle_digest);
  });
}

Status SqlStore::DeleteModel(const std::string& model, const Actor& actor) {
  MutexLock lock(mu_);
  return InTransaction([&]() -> Status {
    mu_.AssertHeld();
    AssertLocked();  // the body runs inside InTransaction, under mu_
    FERRY_RETURN_IF_ERROR(GetModelLocked(model).status());
    // Explicit order: aliases and evaluations reference versions.
    for (const char* sql :
         {"DELETE FROM aliases WHERE model = $1", "DELETE FROM evaluations WHERE model = $1",
          "DELETE FROM tags WHERE model = $1", "DELETE FROM versions WHERE model = $1",
          "DELETE FROM models WHERE name = $1"}) {
      FERRY_RETURN_IF_ERROR(db_->Query(sql, {model}).status());
    }
    return Audit(actor, "delete_model", model, 0, "", "");
  });
}

Status SqlStore::AddEvaluation(const EvaluationRecord& e, const Actor& actor) {
  MutexLock lock(mu_);
  return InTransaction([&]() -> Status {
    mu_.AssertHeld();
    AssertLocked();  // the body runs inside InTransaction, under mu_
    FERRY_RETURN_IF_ERROR(GetVersionLocked(e.model, e.version).status());
    FERRY_RETURN_IF_ERROR(
        db_->Query("INSERT INTO evaluations (model, version, passed, details, created_at, "
                   "created_by) VALUES ($1, $2, $3, $4, $5, $6)",
                   {e.model, e.version, int64_t{e.passed ? 1 : 0},
                    e.details_json.empty() ? std::string("{}") : e.details_json, NowRfc3339(),
                    ActorName(actor)})
            .status());
    return Audit(actor, "evaluation", e.model, e.version, "", e.passed ? "passed" : "failed");
  });
}

Result<std::vector<EvaluationRecord>> SqlStore::ListEvaluations(const std::string& model,
                                                                int64_t version) {
  MutexLock lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT passed, details, created_at, created_by "
                                               "FROM evaluations WHERE model = $1 AND version = "
                                               "$2 ORDER BY created_at",
                                               {model, version}));
  std::vector<EvaluationRecord> out;
  for (const auto& r : rows) {
    out.push_back({model, version, Int(r, 0) != 0, Text(r, 1), Text(r, 2), Text(r, 3)});
  }
  return out;
}

Result<std::vector<AuditEntry>> SqlStore::History(const std::string& model, int64_t limit) {
  MutexLock lock(mu_);
  std::string sql =
      "SELECT id, at, actor, action, model, version, alias, detail, reason FROM audit";
  std::vector<SqlValue> params;
  if (!model.empty()) {
    sql += " WHERE model = $1";
    params.push_back(model);
  }
  // The newest `limit` entries, returned oldest first.
  sql += " ORDER BY id DESC";
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query(sql, params));
  std::vector<AuditEntry> out;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    const SqlRow& r = *it;
    out.push_back({Int(r, 0), Text(r, 1), Text(r, 2), Text(r, 3), Text(r, 4), Int(r, 5), Text(r, 6),
                   Text(r, 7), Text(r, 8)});
  }
  return out;
}

Result<std::set<std::string>> SqlStore::ReferencedBlobs() {
  MutexLock lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT DISTINCT blob_sha256 FROM versions"));
  std::set<std::string> out;
  for (const auto& r : rows) out.insert(Text(r, 0));
  return out;
}

}  // namespace ferry::registry::internal

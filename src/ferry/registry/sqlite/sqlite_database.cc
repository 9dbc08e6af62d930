#include "ferry/registry/sqlite/sqlite_database.h"

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

namespace ferry::registry {
namespace {

// "$12" → "?12": SQLite numbers ?NNN parameters the same way.
std::string RewritePlaceholders(std::string_view sql) {
  std::string out(sql);
  for (char& c : out) {
    if (c == '$') c = '?';
  }
  return out;
}

Status MapError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + sqlite3_errmsg(db);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(
          "registry database is locked (another process holds it past the busy "
          "timeout); nothing was changed: " +
          msg);
    case SQLITE_FULL:
      return ResourceExhausted(
          "disk full while writing the registry database; nothing was "
          "changed: " +
          msg);
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return AlreadyExists(msg);
      }
      return FailedPrecondition(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
      return Unavailable("registry database unavailable: " + msg);
    default:
      return Internal(msg);
  }
}

class SqliteDatabase : public SqlDatabase {
 public:
  explicit SqliteDatabase(sqlite3* db) : db_(db) {}
  ~SqliteDatabase() override {
    statements_.clear();
    sqlite3_close_v2(db_);
  }

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }

  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    const std::vector<SqlValue>& params) override {
    FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepared(sql));
    // Reset (not finalized) on every way out, so it holds no lock and can be reused.
    std::unique_ptr<sqlite3_stmt, void (*)(sqlite3_stmt*)> reset(stmt, [](sqlite3_stmt* st) {
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
    });
    int rc = SQLITE_OK;
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      const SqlValue& v = params[i];
      if (std::holds_alternative<int64_t>(v)) {
        rc = sqlite3_bind_int64(stmt, idx, std::get<int64_t>(v));
      } else if (std::holds_alternative<std::string>(v)) {
        const std::string& s = std::get<std::string>(v);
        rc = sqlite3_bind_text(stmt, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      } else {
        rc = sqlite3_bind_null(stmt, idx);
      }
      if (rc != SQLITE_OK) return MapError(db_, rc, "bind");
    }
    std::vector<SqlRow> rows;
    while (true) {
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return MapError(db_, rc, "step");
      int n = sqlite3_column_count(stmt);
      SqlRow row(static_cast<size_t>(n));
      for (int c = 0; c < n; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) continue;
        const unsigned char* t = sqlite3_column_text(stmt, c);
        int len = sqlite3_column_bytes(stmt, c);
        row[static_cast<size_t>(c)] =
            std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(len));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Status ExecScript(std::string_view sql) override {
    std::string text(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (err != nullptr) sqlite3_free(err);
    if (rc != SQLITE_OK) return MapError(db_, rc, "exec");
    return Status::Ok();
  }

  Status BeginWrite() override { return Query("BEGIN IMMEDIATE", {}).status(); }
  Status BeginWriteDeferredSync() override {
    FERRY_RETURN_IF_ERROR(Query("PRAGMA synchronous=NORMAL", {}).status());
    deferred_sync_ = true;
    Status s = BeginWrite();
    if (!s.ok()) RestoreFullSync();
    return s;
  }
  Status Commit() override {
    Status s = Query("COMMIT", {}).status();
    if (!s.ok()) Rollback();
    RestoreFullSync();
    return s;
  }
  void Rollback() override {
    if (!sqlite3_get_autocommit(db_)) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    RestoreFullSync();
  }

 private:
  void RestoreFullSync() {
    if (!deferred_sync_) return;
    deferred_sync_ = false;
    (void)Query("PRAGMA synchronous=FULL", {});
  }

  // The statement for `sql`, prepared once per connection and kept (a
  // registration runs the same few statements every time; preparing them
  // cost more than running them). Bounded: the cache is emptied when full.
  Result<sqlite3_stmt*> Prepared(std::string_view sql) {
    std::string text = RewritePlaceholders(sql);
    if (auto it = statements_.find(text); it != statements_.end()) return it->second.get();
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, text.c_str(), static_cast<int>(text.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return MapError(db_, rc, "prepare");
    }
    if (stmt == nullptr) return Internal("prepare: empty statement");
    if (statements_.size() >= kMaxStatements) statements_.clear();
    return statements_.emplace(std::move(text), Statement(stmt, sqlite3_finalize))
        .first->second.get();
  }

  static constexpr size_t kMaxStatements = 64;
  using Statement = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

  sqlite3* db_;
  // Finalized by the destructor before it closes db_.
  std::unordered_map<std::string, Statement> statements_;
  bool deferred_sync_ = false;  // this transaction commits with synchronous=NORMAL
};

}  // namespace

Result<std::unique_ptr<SqlDatabase>> OpenSqliteDatabase(const std::filesystem::path& path,
                                                        const SqliteOptions& options) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    return Unavailable("registry database unavailable: cannot create folder " +
                       path.parent_path().string() + ": " + ec.message());
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Unavailable("registry database unavailable: cannot open " + path.string() + ": " + msg);
  }
  auto out = std::make_unique<SqliteDatabase>(db);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  // journal_mode=WAL needs a write lock the first time; the busy handler covers it.
  Result<std::vector<SqlRow>> mode = out->Query("PRAGMA journal_mode=WAL", {});
  if (!mode.ok()) return mode.status().WithContext(path.string());
  FERRY_RETURN_IF_ERROR(out->ExecScript("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;")
                            .WithContext(path.string()));
  return std::unique_ptr<SqlDatabase>(std::move(out));
}

}  // namespace ferry::registry

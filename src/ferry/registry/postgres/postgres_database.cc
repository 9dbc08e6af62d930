#include "ferry/registry/postgres/postgres_database.h"

#include <libpq-fe.h>

#include <cstring>
#include <string>

namespace ferry::registry {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Status MapResultError(PGconn* conn, const PGresult* res, std::string_view what) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = std::string(what) + ": " +
                    Trim(res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  std::string code = state != nullptr ? state : "";
  if (PQstatus(conn) != CONNECTION_OK) {
    return Unavailable("registry database unavailable (connection lost): " + msg);
  }
  if (code == "23505") return AlreadyExists(msg);
  if (code.rfind("23", 0) == 0 || code == "P0001") return FailedPrecondition(msg);
  if (code == "40001" || code == "40P01" || code == "55P03" || code == "57014") {
    return Unavailable(
        "registry database is locked (conflicting transaction); nothing was "
        "changed: " +
        msg);
  }
  if (code == "53100") {
    return ResourceExhausted(
        "disk full while writing the registry database; nothing was "
        "changed: " +
        msg);
  }
  if (code.rfind("08", 0) == 0 || code.rfind("57P", 0) == 0) {
    return Unavailable("registry database unavailable: " + msg);
  }
  return Internal(msg);
}

class PostgresDatabase : public SqlDatabase {
 public:
  explicit PostgresDatabase(PGconn* conn) : conn_(conn) {}
  ~PostgresDatabase() override { PQfinish(conn_); }

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }

  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    const std::vector<SqlValue>& params) override {
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      if (std::holds_alternative<int64_t>(params[i])) {
        storage[i] = std::to_string(std::get<int64_t>(params[i]));
        values[i] = storage[i].c_str();
      } else if (std::holds_alternative<std::string>(params[i])) {
        values[i] = std::get<std::string>(params[i]).c_str();
      }
    }
    std::string text(sql);
    PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0);
    std::unique_ptr<PGresult, void (*)(PGresult*)> guard(res, PQclear);
    ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      return MapResultError(conn_, res, "query");
    }
    std::vector<SqlRow> rows;
    int n = PQntuples(res);
    int cols = PQnfields(res);
    rows.reserve(static_cast<size_t>(n));
    for (int r = 0; r < n; ++r) {
      SqlRow row(static_cast<size_t>(cols));
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(res, r, c)) continue;
        row[static_cast<size_t>(c)] =
            std::string(PQgetvalue(res, r, c), static_cast<size_t>(PQgetlength(res, r, c)));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Status ExecScript(std::string_view sql) override {
    std::string text(sql);
    PGresult* res = PQexec(conn_, text.c_str());
    std::unique_ptr<PGresult, void (*)(PGresult*)> guard(res, PQclear);
    ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return MapResultError(conn_, res, "exec");
    return Status::Ok();
  }

  Status BeginWrite() override { return ExecScript("BEGIN"); }
  Status Commit() override {
    Status s = ExecScript("COMMIT");
    if (!s.ok()) Rollback();
    return s;
  }
  void Rollback() override {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      PGresult* res = PQexec(conn_, "ROLLBACK");
      PQclear(res);
    }
  }

 private:
  PGconn* conn_;
};

void IgnoreNotice(void*, const char*) {}

}  // namespace

Result<std::unique_ptr<SqlDatabase>> OpenPostgresDatabase(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return Unavailable("registry database unavailable: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = Trim(PQerrorMessage(conn));
    PQfinish(conn);
    return Unavailable("registry database unavailable: cannot connect to PostgreSQL: " + msg);
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  return std::unique_ptr<SqlDatabase>(std::make_unique<PostgresDatabase>(conn));
}

}  // namespace ferry::registry

#pragma once

// Shared by the registry tests: a fresh, empty metadata store of each kind
// (SQLite file in a temporary folder; a new database on the test PostgreSQL
// server started by the registry_pg CTest fixture), and real bundles.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>

#include "ferry/base/result.h"
#include "ferry/bundle/create.h"
#include "testing/test_util.h"

namespace ferry::registry::testing {

// Where the fixture wrote the server's URI (set by tests/CMakeLists.txt).
inline std::string PostgresAdminUri() {
  std::ifstream in(FERRY_PG_URI_FILE);
  std::string uri;
  std::getline(in, uri);
  return uri;
}

inline bool RunAdminSql(const std::string& sql) {
  PGconn* conn = PQconnectdb(PostgresAdminUri().c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PGresult* res = PQexec(conn, sql.c_str());
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) ADD_FAILURE() << sql << ": " << PQresultErrorMessage(res);
    PQclear(res);
  } else {
    ADD_FAILURE() << "cannot connect to the test PostgreSQL: " << PQerrorMessage(conn);
  }
  PQfinish(conn);
  return ok;
}

// A fresh store location of kind "sqlite" or "postgres"; dropped at the end.
class FreshStore {
 public:
  explicit FreshStore(const std::string& kind) : kind_(kind) {
    if (kind == "sqlite") {
      uri_ = "sqlite://" + (dir_.path() / "registry.db").string();
      return;
    }
    static std::atomic<int> counter{0};
    db_ = "ferry_t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    std::string admin = PostgresAdminUri();
    if (admin.empty()) return;  // uri_ stays empty: the test fails with a clear message
    if (!RunAdminSql("CREATE DATABASE " + db_)) return;
    uri_ = admin.substr(0, admin.rfind('/') + 1) + db_;
  }
  ~FreshStore() {
    if (!db_.empty() && !uri_.empty()) RunAdminSql("DROP DATABASE " + db_ + " WITH (FORCE)");
  }
  FreshStore(const FreshStore&) = delete;
  FreshStore& operator=(const FreshStore&) = delete;

  // Empty when the PostgreSQL fixture is missing.
  const std::string& uri() const { return uri_; }
  const std::filesystem::path& home() const { return dir_.path(); }

 private:
  std::string kind_;
  ferry::testing::TempDir dir_;
  std::string db_;
  std::string uri_;
};

// Creates a real XGBoost bundle (the breast-cancer example model) at `dir`.
// Different descriptions give different digests.
inline std::filesystem::path MakeBundle(const std::filesystem::path& dir, const std::string& name,
                                        const std::string& description) {
  bundle::CreateOptions o;
  o.model_file = ferry::testing::SourceDir() / "examples" / "breast-cancer" / "model.json";
  o.output_dir = dir;
  o.name = name;
  o.description = description;
  o.lineage.run = "run-" + description;
  Result<bundle::Bundle> b = bundle::CreateBundle(o);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return dir;
}

inline std::string StoreKindName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace ferry::registry::testing

#define FERRY_REQUIRE_URI(store)                                                             \
  ASSERT_FALSE((store).uri().empty())                                                        \
      << "no PostgreSQL test server: run through ctest (fixture registry_pg), or start one " \
         "with tests/registry_it/pg_server.sh"

#include "ferry/registry/postgres/postgres_database.h"
#include "ferry/registry/sql_store.h"
#include "ferry/registry/sqlite/sqlite_database.h"
#include "ferry/registry/store.h"

namespace ferry::registry {

Result<std::unique_ptr<SqlDatabase>> OpenSqlDatabase(const std::string& uri,
                                                     const StoreOptions& options) {
  constexpr std::string_view kSqlite = "sqlite://";
  std::unique_ptr<SqlDatabase> db;
  if (uri.rfind(kSqlite, 0) == 0) {
    std::string path = uri.substr(kSqlite.size());
    if (path.empty()) return InvalidArgument("registry URI '" + uri + "' names no file");
    SqliteOptions o;
    o.busy_timeout_ms = options.busy_timeout_ms;
    FERRY_ASSIGN_OR_RETURN(db, OpenSqliteDatabase(path, o));
  } else if (uri.rfind("postgresql://", 0) == 0 || uri.rfind("postgres://", 0) == 0) {
    FERRY_ASSIGN_OR_RETURN(db, OpenPostgresDatabase(uri));
  } else {
    return InvalidArgument("registry URI '" + uri +
                           "': expected sqlite:///path/registry.db or postgresql://…");
  }
  return db;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& uri, const StoreOptions& options) {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<SqlDatabase> db, OpenSqlDatabase(uri, options));
  return OpenSqlStore(std::move(db));
}

}  // namespace ferry::registry

#include "ferry/registry/sql_store.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>

#include "ferry/registry/sql_store_impl.h"

namespace ferry::registry {

using internal::SqlStore;

std::string NowRfc3339() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

Result<std::unique_ptr<Store>> OpenSqlStore(std::unique_ptr<SqlDatabase> db) {
  auto store = std::make_unique<SqlStore>(std::move(db));
  FERRY_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace ferry::registry

#pragma once

#include <filesystem>
#include <memory>

#include "ferry/base/result.h"
#include "ferry/registry/sql_database.h"

namespace ferry::registry {

struct SqliteOptions {
  int busy_timeout_ms = 10000;
};

// Opens (creating if needed) the SQLite database file at `path` in WAL mode
// with foreign keys on, synchronous=FULL and the given busy timeout. The
// folder holding it is created. See SqlDatabase for errors and threading.
Result<std::unique_ptr<SqlDatabase>> OpenSqliteDatabase(const std::filesystem::path& path,
                                                        const SqliteOptions& options);

}  // namespace ferry::registry

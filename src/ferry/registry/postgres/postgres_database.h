#pragma once

#include <memory>
#include <string>

#include "ferry/base/result.h"
#include "ferry/registry/sql_database.h"

namespace ferry::registry {

// Connects to PostgreSQL with libpq using `conninfo` (a postgresql:// URI or
// key=value string). Unavailable (with libpq's message, password removed)
// when the server cannot be reached. See SqlDatabase for errors and threading.
Result<std::unique_ptr<SqlDatabase>> OpenPostgresDatabase(const std::string& conninfo);

}  // namespace ferry::registry

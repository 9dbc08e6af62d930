#pragma once

#include "ferry/base/result.h"
#include "ferry/registry/sql_database.h"

namespace ferry::registry {

// The newest schema version this binary knows.
int LatestSchemaVersion();

// Brings the database's schema to LatestSchemaVersion(). The version lives
// in table schema_version. Each migration runs in its own transaction with
// its version bump, under a lock that makes concurrent starters wait (SQLite:
// the write lock; PostgreSQL: an advisory lock), so it is applied once and
// completely or not at all. Returns the version reached.
// FailedPrecondition when the database is newer than this binary, or when a
// migration fails ("registry schema migration N (what) failed: …; the
// database stays at schema version M").
Result<int> Migrate(SqlDatabase& db);

}  // namespace ferry::registry

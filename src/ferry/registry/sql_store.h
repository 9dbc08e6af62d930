#pragma once

#include <memory>

#include "ferry/base/result.h"
#include "ferry/registry/sql_database.h"
#include "ferry/registry/store.h"

namespace ferry::registry {

// The Store on top of an SQL driver (SQLite or PostgreSQL): one set of
// statements and rules for both. Runs the migrations before returning.
// Thread-safe: calls on one instance are serialized by a mutex.
Result<std::unique_ptr<Store>> OpenSqlStore(std::unique_ptr<SqlDatabase> db);

// Connects to the database named by `uri` (the schemes of OpenStore in
// store.h) without migrating it: for other stores in the same database
// (pipeline runs). InvalidArgument for another scheme; driver errors as
// OpenStore's.
Result<std::unique_ptr<SqlDatabase>> OpenSqlDatabase(const std::string& uri,
                                                     const StoreOptions& options = {});

// Current UTC time as RFC 3339 with milliseconds, e.g. "2026-11-27T13:05:01.123Z".
std::string NowRfc3339();

}  // namespace ferry::registry

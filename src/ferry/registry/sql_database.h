#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ferry/base/result.h"

namespace ferry::registry {

// A thin driver seam under the SQL store: one connection, one dialect.
// Statements use PostgreSQL-style placeholders $1, $2, … (the SQLite driver
// rewrites them to ?1, ?2, …). Values are NULL, 64-bit integers or text;
// results come back as text (NULL as nullopt).
//
// Error mapping, identical for every driver:
//   AlreadyExists      unique / primary-key violation
//   Unavailable        database locked or busy past the timeout, connection lost,
//                      serialization failure (message starts "registry database is locked" or
//                      "registry database unavailable")
//   ResourceExhausted  disk full
//   FailedPrecondition other constraint violations (foreign key, check, triggers)
//   Internal           anything else, with the driver's message
//
// Not thread-safe: the owner serializes calls.
enum class SqlDialect { kSqlite, kPostgres };

using SqlValue = std::variant<std::monostate, int64_t, std::string>;
using SqlRow = std::vector<std::optional<std::string>>;

class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;
  virtual SqlDialect dialect() const = 0;

  // Runs one statement; returns its rows (empty for statements without any).
  virtual Result<std::vector<SqlRow>> Query(std::string_view sql,
                                            const std::vector<SqlValue>& params = {}) = 0;
  // Runs a script of several statements without parameters.
  virtual Status ExecScript(std::string_view sql) = 0;

  // Starts a transaction that will write. SQLite takes the write lock now
  // (BEGIN IMMEDIATE) so that writers queue on the busy timeout instead of
  // failing at commit.
  virtual Status BeginWrite() = 0;
  // As BeginWrite, for a transaction whose commit need not reach the disk on
  // its own because a later durable commit on this database covers it (a
  // version reserved before its blob is stored). SQLite commits it with
  // synchronous=NORMAL (no fsync; the next FULL commit syncs the WAL with it);
  // other drivers as BeginWrite.
  virtual Status BeginWriteDeferredSync() { return BeginWrite(); }
  virtual Status Commit() = 0;
  // Rolls back the open transaction, if any. Never fails visibly.
  virtual void Rollback() = 0;
};

}  // namespace ferry::registry

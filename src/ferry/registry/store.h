#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/registry/records.h"

namespace ferry::registry {

// A version to add: everything but the number, status and time, which the store assigns.
struct NewVersion {
  VersionRecord record;  // model, bundle_digest, blob_sha256, … (version/created_at ignored)
  std::string model_description;  // used only when the model is created by this call
};

// Moving (or creating) an alias.
struct AliasMove {
  std::string model;
  std::string alias;     // valid, not reserved (checked by the Registry)
  int64_t version = 0;   // must exist and be ready
  bool protect = false;  // mark the alias protected (it stays protected afterwards)
  bool force = false;    // move a protected alias without a passing evaluation
};

// Registry metadata. Every method is one atomic transaction: it either
// happens completely (with its audit entry) or not at all. Methods that
// change something append an audit entry in the same transaction.
//
// Errors common to every method: Unavailable when the database is locked or
// unreachable past the busy timeout ("registry database is locked …"),
// ResourceExhausted when the disk is full, Internal for other database
// failures. Nothing already committed is lost by a failed call.
//
// Thread-safety: implementations serialize calls on one instance (safe to
// share between threads); separate instances and processes may use the same
// database at once.
class Store {
 public:
  virtual ~Store() = default;

  // "sqlite" or "postgresql".
  virtual std::string_view kind() const = 0;
  // Schema version the database is at after the migrations run at open.
  virtual Result<int> SchemaVersion() = 0;

  // AlreadyExists if a model of that name exists.
  virtual Result<ModelRecord> CreateModel(const std::string& name, const std::string& description,
                                          const Actor& actor) = 0;
  // NotFound if absent.
  virtual Result<ModelRecord> GetModel(const std::string& name) = 0;
  // Sorted by name.
  virtual Result<std::vector<ModelRecord>> ListModels() = 0;

  // Adds a ready version with the next number for the model (creating the
  // model if it does not exist). Numbers are unique and increasing per model,
  // also across processes; a number is never reused, even after a delete.
  virtual Result<VersionRecord> AddVersion(const NewVersion& version, const Actor& actor) = 0;
  // Two-step registration: reserves the next number as a `registering`
  // version (no blob yet: blob_sha256 empty), visible to readers but never
  // resolvable or aliasable. Numbering as AddVersion.
  virtual Result<VersionRecord> BeginVersion(const NewVersion& version, const Actor& actor) = 0;
  // registering → ready with its blob; audited as "register".
  // FailedPrecondition unless the version is `registering`.
  virtual Result<VersionRecord> FinishVersion(const std::string& model, int64_t version,
                                              const std::string& blob_sha256, int64_t blob_bytes,
                                              const Actor& actor) = 0;
  // registering → failed; audited as "register_failed" with `reason`.
  // FailedPrecondition unless the version is `registering`.
  virtual Status FailVersion(const std::string& model, int64_t version, const std::string& reason,
                             const Actor& actor) = 0;
  // NotFound if the model or version is absent.
  virtual Result<VersionRecord> GetVersion(const std::string& model, int64_t version) = 0;
  // NotFound if the model has no ready version.
  virtual Result<VersionRecord> LatestReadyVersion(const std::string& model) = 0;
  // Versions sorted by number; NotFound if the model is absent.
  virtual Result<std::vector<VersionRecord>> ListVersions(const std::string& model) = 0;

  // NotFound if the alias is not set.
  virtual Result<AliasRecord> GetAlias(const std::string& model, const std::string& alias) = 0;
  // The version the alias points to, in one round trip. NotFound as GetAlias.
  virtual Result<VersionRecord> GetAliasTarget(const std::string& model,
                                               const std::string& alias) = 0;
  // Sorted by alias name.
  virtual Result<std::vector<AliasRecord>> ListAliases(const std::string& model) = 0;
  // Points the alias at the version, atomically. NotFound for a missing
  // version; FailedPrecondition when the version is not ready, or the alias is
  // protected (already, or by this move) and the version has no passing
  // evaluation and `force` is false.
  virtual Result<AliasRecord> SetAlias(const AliasMove& move, const Actor& actor) = 0;
  // NotFound if not set; FailedPrecondition for a protected alias unless force.
  virtual Status DeleteAlias(const std::string& model, const std::string& alias, bool force,
                             const Actor& actor) = 0;

  // version 0 addresses the model's own tags. NotFound for a missing model/version.
  virtual Status SetTag(const std::string& model, int64_t version, const std::string& key,
                        const std::string& value, const Actor& actor) = 0;
  virtual Status DeleteTag(const std::string& model, int64_t version, const std::string& key,
                           const Actor& actor) = 0;
  virtual Result<std::vector<TagRecord>> ListTags(const std::string& model, int64_t version) = 0;

  // FailedPrecondition (naming the aliases) when aliases point to the version.
  virtual Status DeleteVersion(const std::string& model, int64_t version, const Actor& actor) = 0;
  // Removes the model with its versions, aliases, tags and evaluations. The
  // audit log keeps its entries.
  virtual Status DeleteModel(const std::string& model, const Actor& actor) = 0;

  // Records the evaluate step's verdict for a version (append-only).
  virtual Status AddEvaluation(const EvaluationRecord& evaluation, const Actor& actor) = 0;
  virtual Result<std::vector<EvaluationRecord>> ListEvaluations(const std::string& model,
                                                                int64_t version) = 0;

  // Audit entries, oldest first. `model` empty: all models. `limit` 0: all.
  virtual Result<std::vector<AuditEntry>> History(const std::string& model, int64_t limit) = 0;

  // Every blob sha256 that some version references.
  virtual Result<std::set<std::string>> ReferencedBlobs() = 0;
};

struct StoreOptions {
  int busy_timeout_ms = 10000;  // SQLite: how long to wait for a lock before Unavailable
};

// Opens the store named by `uri` and runs pending schema migrations:
//   sqlite:///abs/path/registry.db   (three slashes + absolute path)
//   sqlite://relative/path.db        (relative to the working folder)
//   postgresql://user@host:port/db?… (libpq URI; "postgres://" also accepted)
// InvalidArgument for another scheme; Unavailable when the database cannot be
// reached; FailedPrecondition when the database's schema is newer than this
// binary knows or a migration fails (it is rolled back, the message says which).
Result<std::unique_ptr<Store>> OpenStore(const std::string& uri, const StoreOptions& options = {});

}  // namespace ferry::registry

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::registry {

// Lifecycle of a model version. Allowed transitions: registering → ready,
// registering → failed. A ready version never changes again (immutable).
// Registry::Register reserves the number as `registering`, stores the blob
// durably, then marks the version ready (or failed); a process killed in
// between leaves a `registering` row that `ferry registry check` lists and
// `ferry registry gc` marks failed after the grace period. Only ready
// versions resolve, materialize or take aliases.
enum class VersionStatus { kRegistering, kReady, kFailed };
std::string_view VersionStatusName(VersionStatus status);
std::optional<VersionStatus> ParseVersionStatus(std::string_view name);

// Who does something and why; recorded in the audit log.
struct Actor {
  std::string name;    // user or token subject; never empty in the log ("unknown" fallback)
  std::string reason;  // free text, may be empty
};

struct ModelRecord {
  std::string name;
  std::string description;
  std::string created_at;  // RFC 3339 UTC
  std::string created_by;
  int64_t latest_version = 0;  // highest version number ever assigned (0: none)
};

struct Lineage {
  std::string pipeline;
  std::string run;
  std::string data;    // digest of the training data
  std::string parent;  // reference of the version this one derives from
};

struct VersionRecord {
  std::string model;
  int64_t version = 0;
  VersionStatus status = VersionStatus::kReady;
  std::string bundle_digest;  // "sha256:…" of the bundle's files (bundle::ComputeDigest)
  std::string blob_sha256;    // hex sha256 of the stored .tar.zst blob
  int64_t blob_bytes = 0;
  std::string framework;
  std::string task;
  std::string signature_json;  // {"inputs":[…],"outputs":[…]}
  std::string metrics_json;    // the bundle's metrics.json, or "{}"
  std::string description;
  Lineage lineage;
  std::string created_at;
  std::string created_by;
};

struct AliasRecord {
  std::string model;
  std::string alias;
  int64_t version = 0;
  bool is_protected = false;
  std::string updated_at;
  std::string updated_by;
};

struct TagRecord {
  std::string key;
  std::string value;
};

struct AuditEntry {
  int64_t id = 0;  // increasing
  std::string at;
  std::string actor;
  std::string action;  // create_model, register, alias_set, alias_delete, tag_set, tag_delete,
                       // delete_version, delete_model, evaluation
  std::string model;
  int64_t version = 0;  // 0: not about one version
  std::string alias;
  std::string detail;
  std::string reason;
};

struct EvaluationRecord {
  std::string model;
  int64_t version = 0;
  bool passed = false;
  std::string details_json;  // free JSON from the evaluate step
  std::string created_at;
  std::string created_by;
};

}  // namespace ferry::registry

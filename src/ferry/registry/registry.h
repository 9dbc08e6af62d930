#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/registry/artifact_store.h"
#include "ferry/registry/reference.h"
#include "ferry/registry/store.h"

namespace ferry::registry {

// Where the registry lives.
struct RegistryOptions {
  std::filesystem::path home;  // FERRY_HOME: artifacts/ and cache/ live here
  std::string uri;             // metadata store; empty: sqlite:///<home>/registry.db
  StoreOptions store;
};

// Options from the environment and an optional --registry flag: home from
// FERRY_HOME (default ./ferry-data, made absolute), uri from the flag, else
// FERRY_REGISTRY, else the SQLite default under home.
RegistryOptions RegistryOptionsFromEnv(const std::string& registry_flag);

// True when `options` name a store (uri set) or the default SQLite file
// under home already exists. `ferry serve` opens a registry only then, so
// that serving bundle folders never creates one.
bool RegistryConfigured(const RegistryOptions& options);

struct RegisterRequest {
  std::filesystem::path bundle_dir;  // an unpacked bundle folder
  std::string model;                 // empty: the manifest's name
  std::string description;           // empty: the manifest's description
  Lineage lineage;                   // fields set here replace the manifest's lineage
};

struct SetAliasOptions {
  bool protect = false;  // mark the alias protected
  bool force = false;    // move a protected alias without a passing evaluation; needs a reason
};

struct GcOptions {
  int64_t grace_seconds = 3600;  // unreferenced blobs and temporaries younger than this stay
  bool dry_run = false;
};

struct GcReport {
  std::vector<std::string> removed_blobs;  // sha256
  int64_t removed_bytes = 0;
  int64_t removed_temps = 0;
  int64_t kept_young = 0;  // unreferenced but inside the grace period
  // Versions left `registering` past the grace period, now `failed` ("m:7").
  std::vector<std::string> failed_registrations;
};

struct CheckReport {
  int64_t models = 0;
  int64_t versions = 0;
  int64_t blobs = 0;
  int64_t unreferenced_blobs = 0;     // gc will remove them after the grace period
  int64_t temp_files = 0;             // left by writes in progress or killed writers
  std::vector<std::string> problems;  // missing or corrupt blobs, stray files
  // Versions still `registering` ("m:7 (since …)"): in progress, or left by
  // a killed process (gc fails them after the grace period). Not a problem.
  std::vector<std::string> registering;
  bool ok() const { return problems.empty(); }
};

// The registry service: business rules over a Store and an ArtifactStore —
// name and alias validation, reserved aliases, protected aliases (--force
// needs a reason), reference resolution, registration of bundles, gc and
// consistency checks. Every change is audited by the store.
// Thread-safe (the store serializes; the artifact store is stateless).
class Registry {
 public:
  static Result<std::unique_ptr<Registry>> Open(const RegistryOptions& options);
  Registry(RegistryOptions options, std::unique_ptr<Store> store);

  Store& store() { return *store_; }
  ArtifactStore& artifacts() { return artifacts_; }
  const RegistryOptions& options() const { return options_; }

  // InvalidArgument for a bad name; AlreadyExists.
  Result<ModelRecord> CreateModel(const std::string& name, const std::string& description,
                                  const Actor& actor);

  // Verifies the bundle (manifest, checksums, model loads, signature),
  // stores its packed bytes as a blob, then records a new ready version.
  // InvalidArgument (listing the problems) for a bundle that fails
  // verification; ResourceExhausted when the disk is full. A crash at any
  // point leaves either no version or a complete one.
  Result<VersionRecord> Register(const RegisterRequest& request, const Actor& actor);
  // Register for a packed bundle (.tar.zst): unpacked safely under the
  // artifact store's tmp/ folder (so a killed process's leftovers are found by
  // Check and removed by Gc), then as Register. `request.bundle_dir` is ignored.
  Result<VersionRecord> RegisterArchive(const std::filesystem::path& archive,
                                        const RegisterRequest& request, const Actor& actor);

  // Resolves a reference: "name:7" that version; "name@latest" the newest
  // ready version; "name@alias" the alias's target; "name" alias champion if
  // set, else the newest ready version. NotFound names what is missing.
  Result<VersionRecord> Resolve(const ModelRef& ref);
  Result<VersionRecord> Resolve(std::string_view ref);

  // `alias` is "name@alias"; `target` a version number of the same model.
  // InvalidArgument for a reserved or malformed alias, or force without a
  // reason; FailedPrecondition for a protected alias (see Store::SetAlias).
  Result<AliasRecord> SetAlias(const std::string& model, const std::string& alias, int64_t version,
                               const SetAliasOptions& options, const Actor& actor);
  Status DeleteAlias(const std::string& model, const std::string& alias, bool force,
                     const Actor& actor);

  // `ref` is "name" (model tag) or "name:7" (version tag).
  Status SetTag(const ModelRef& ref, const std::string& key, const std::string& value,
                const Actor& actor);
  Status DeleteTag(const ModelRef& ref, const std::string& key, const Actor& actor);

  // `ref` is "name" (the whole model) or "name:7" (one version).
  Status Delete(const ModelRef& ref, const Actor& actor);

  // Removes blobs no version references, and stale temporaries, older than
  // the grace period. Never removes a referenced blob: the reference set is
  // read after the listing, so a version committed meanwhile is seen.
  Result<GcReport> Gc(const GcOptions& options);

  // Checks that every version's blob exists and hashes to its name, and that
  // no stray (half-written or foreign) file sits in the blob tree.
  Result<CheckReport> Check();

 private:
  RegistryOptions options_;
  std::unique_ptr<Store> store_;
  ArtifactStore artifacts_;
};

}  // namespace ferry::registry

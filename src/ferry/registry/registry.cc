#include "ferry/registry/registry.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>

#include "ferry/base/files.h"
#include "ferry/bundle/archive.h"
#include "ferry/bundle/bundle.h"
#include "ferry/bundle/manifest.h"
#include "ferry/registry/signature_json.h"

namespace fs = std::filesystem;

namespace ferry::registry {
namespace {

Status CheckAlias(const std::string& alias) {
  if (!IsValidAliasName(alias)) {
    return InvalidArgument("alias '" + alias + "' must match [A-Za-z][A-Za-z0-9._-]{0,63}");
  }
  if (IsReservedAlias(alias)) {
    return InvalidArgument("alias '" + alias +
                           "' is reserved (latest and v<digits> cannot be set)");
  }
  return Status::Ok();
}

Status CheckForce(bool force, const Actor& actor) {
  if (force && actor.reason.empty()) return InvalidArgument("--force needs a --reason");
  return Status::Ok();
}

fs::path DefaultStorePath(const fs::path& home) { return home / "registry.db"; }

// Seconds from an RFC 3339 UTC time ("2026-11-27T13:05:01.123Z") to now; 0
// when it cannot be read (treated as young: never failed by mistake).
int64_t SecondsSince(const std::string& rfc3339) {
  std::tm tm{};
  if (std::sscanf(rfc3339.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t then = timegm(&tm);
  const std::time_t now = std::time(nullptr);
  return now > then ? static_cast<int64_t>(now - then) : 0;
}

// The version a verified bundle becomes; InvalidArgument listing the
// problems when verification failed.
Result<NewVersion> VersionFromBundle(const RegisterRequest& request,
                                     const bundle::VerifyReport& report) {
  if (!report.ok()) {
    std::string msg = "bundle " + request.bundle_dir.string() + " failed verification:";
    for (const auto& p : report.problems) msg += "\n  " + p;
    return InvalidArgument(msg);
  }
  const bundle::Bundle& b = *report.bundle;
  const bundle::Manifest& m = b.manifest;
  NewVersion nv;
  VersionRecord& v = nv.record;
  v.model = request.model.empty() ? m.name : request.model;
  if (!bundle::IsValidModelName(v.model)) {
    return InvalidArgument("model name '" + v.model +
                           "' must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  }
  v.bundle_digest = report.digest;
  v.framework = m.framework;
  v.task = std::string(TaskName(m.task));
  v.signature_json = SignatureJson(m.signature);
  v.metrics_json = "{}";
  if (!m.metrics.empty()) {
    FERRY_ASSIGN_OR_RETURN(std::string text, ReadFile(b.root / m.metrics, 1 << 20));
    FERRY_RETURN_IF_ERROR(CheckJsonObject(text).WithContext(m.metrics));
    v.metrics_json = std::move(text);
  }
  v.description = request.description.empty() ? m.description : request.description;
  v.lineage = {m.lineage.pipeline, m.lineage.run, m.lineage.data, m.lineage.parent};
  for (auto [field, given] : {std::pair{&v.lineage.pipeline, &request.lineage.pipeline},
                              std::pair{&v.lineage.run, &request.lineage.run},
                              std::pair{&v.lineage.data, &request.lineage.data},
                              std::pair{&v.lineage.parent, &request.lineage.parent}}) {
    if (!given->empty()) *field = *given;
  }
  nv.model_description = m.description;
  return nv;
}

}  // namespace

RegistryOptions RegistryOptionsFromEnv(const std::string& registry_flag) {
  RegistryOptions o;
  const char* home = std::getenv("FERRY_HOME");
  o.home = (home != nullptr && *home != '\0') ? fs::path(home) : fs::path("ferry-data");
  std::error_code ec;
  fs::path abs = fs::absolute(o.home, ec);
  if (!ec) o.home = abs.lexically_normal();
  const char* env_uri = std::getenv("FERRY_REGISTRY");
  if (!registry_flag.empty()) {
    o.uri = registry_flag;
  } else if (env_uri != nullptr && *env_uri != '\0') {
    o.uri = env_uri;
  }
  return o;
}

bool RegistryConfigured(const RegistryOptions& options) {
  std::error_code ec;
  return !options.uri.empty() || fs::exists(DefaultStorePath(options.home), ec);
}

Registry::Registry(RegistryOptions options, std::unique_ptr<Store> store)
    : options_(std::move(options)),
      store_(std::move(store)),
      artifacts_(options_.home / "artifacts") {}

Result<std::unique_ptr<Registry>> Registry::Open(const RegistryOptions& options) {
  RegistryOptions o = options;
  if (o.uri.empty()) o.uri = "sqlite://" + DefaultStorePath(o.home).string();
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(o.uri, o.store));
  return std::make_unique<Registry>(std::move(o), std::move(store));
}

Result<ModelRecord> Registry::CreateModel(const std::string& name, const std::string& description,
                                          const Actor& actor) {
  if (!bundle::IsValidModelName(name)) {
    return InvalidArgument("model name '" + name + "' must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  }
  return store_->CreateModel(name, description, actor);
}

Result<VersionRecord> Registry::Register(const RegisterRequest& request, const Actor& actor) {
  FERRY_ASSIGN_OR_RETURN(bundle::VerifyReport report, bundle::VerifyBundle(request.bundle_dir));
  FERRY_ASSIGN_OR_RETURN(NewVersion nv, VersionFromBundle(request, report));
  const fs::path& root = report.bundle->root;
  // The number is reserved (and visible as `registering`) before the blob is
  // written; a crash leaves that row, which Check lists and Gc fails.
  FERRY_ASSIGN_OR_RETURN(VersionRecord reserved, store_->BeginVersion(nv, actor));
  Result<BlobInfo> blob = artifacts_.PutBundleDir(root);
  if (!blob.ok()) {
    (void)store_->FailVersion(reserved.model, reserved.version, blob.status().message(), actor);
    return blob.status();
  }
  FERRY_ASSIGN_OR_RETURN(
      VersionRecord added,
      store_->FinishVersion(reserved.model, reserved.version, blob->sha256, blob->bytes, actor));
  // A concurrent gc may have taken a reused blob between the put and the
  // commit (both outside its grace period only if the clock jumped); put it back.
  if (!artifacts_.Contains(added.blob_sha256)) {
    FERRY_RETURN_IF_ERROR(artifacts_.PutBundleDir(root).status());
  }
  return added;
}

Result<VersionRecord> Registry::RegisterArchive(const fs::path& archive,
                                                const RegisterRequest& request,
                                                const Actor& actor) {
  fs::path parent = artifacts_.root() / "tmp";
  std::error_code ec;
  fs::create_directories(parent, ec);
  std::string tmpl = (parent / "unpack-XXXXXX").string();
  if (ec || ::mkdtemp(tmpl.data()) == nullptr) {
    return Internal("cannot create a temporary folder in " + parent.string());
  }
  fs::path root = tmpl;
  Status s = bundle::UnpackArchive(archive, root / "bundle").WithContext(archive.string());
  if (!s.ok()) {
    fs::remove_all(root, ec);
    // A corrupt upload is the caller's bad input, not lost registry data.
    if (s.code() == StatusCode::kDataLoss) return InvalidArgument(s.message());
    return s;
  }
  RegisterRequest r = request;
  r.bundle_dir = root / "bundle";
  Result<VersionRecord> out = Register(r, actor);
  fs::remove_all(root, ec);
  return out;
}

Result<VersionRecord> Registry::Resolve(const ModelRef& ref) {
  if (ref.version) return store_->GetVersion(ref.name, *ref.version);
  if (ref.alias == "latest") return store_->LatestReadyVersion(ref.name);
  if (!ref.alias.empty() && IsReservedAlias(ref.alias)) {
    return store_->GetVersion(ref.name, std::stoll(ref.alias.substr(1)));
  }
  std::string alias = ref.alias.empty() ? "champion" : ref.alias;
  Result<VersionRecord> v = store_->GetAliasTarget(ref.name, alias);
  if (!v.ok() && ref.alias.empty() && v.status().code() == StatusCode::kNotFound &&
      store_->GetModel(ref.name).ok()) {
    return store_->LatestReadyVersion(ref.name);
  }
  return v;
}

Result<VersionRecord> Registry::Resolve(std::string_view ref) {
  FERRY_ASSIGN_OR_RETURN(ModelRef parsed, ParseReference(ref));
  return Resolve(parsed);
}

Result<AliasRecord> Registry::SetAlias(const std::string& model, const std::string& alias,
                                       int64_t version, const SetAliasOptions& options,
                                       const Actor& actor) {
  FERRY_RETURN_IF_ERROR(CheckAlias(alias));
  FERRY_RETURN_IF_ERROR(CheckForce(options.force, actor));
  return store_->SetAlias({model, alias, version, options.protect, options.force}, actor);
}

Status Registry::DeleteAlias(const std::string& model, const std::string& alias, bool force,
                             const Actor& actor) {
  FERRY_RETURN_IF_ERROR(CheckAlias(alias));
  FERRY_RETURN_IF_ERROR(CheckForce(force, actor));
  return store_->DeleteAlias(model, alias, force, actor);
}

Status Registry::SetTag(const ModelRef& ref, const std::string& key, const std::string& value,
                        const Actor& actor) {
  if (!ref.alias.empty()) return InvalidArgument("tag a model (name) or a version (name:7)");
  if (!IsValidTagKey(key)) {
    return InvalidArgument("tag key '" + key + "' must match [A-Za-z0-9][A-Za-z0-9._/-]{0,127}");
  }
  if (value.size() > 4096) return InvalidArgument("tag value is longer than 4096 bytes");
  return store_->SetTag(ref.name, ref.version.value_or(0), key, value, actor);
}

Status Registry::DeleteTag(const ModelRef& ref, const std::string& key, const Actor& actor) {
  if (!ref.alias.empty()) return InvalidArgument("tag a model (name) or a version (name:7)");
  return store_->DeleteTag(ref.name, ref.version.value_or(0), key, actor);
}

Status Registry::Delete(const ModelRef& ref, const Actor& actor) {
  if (!ref.alias.empty()) {
    return InvalidArgument(
        "delete a model (name) or a version (name:7); remove an alias with "
        "unalias");
  }
  if (ref.version) return store_->DeleteVersion(ref.name, *ref.version, actor);
  return store_->DeleteModel(ref.name, actor);
}

Result<GcReport> Registry::Gc(const GcOptions& options) {
  GcReport report;
  // List first, then read the references: a version committed after the
  // listing references a blob that is either listed young (grace) or absent.
  FERRY_ASSIGN_OR_RETURN(BlobListing listing, artifacts_.List());
  FERRY_ASSIGN_OR_RETURN(std::set<std::string> referenced, store_->ReferencedBlobs());
  for (const auto& b : listing.blobs) {
    if (referenced.count(b.sha256) != 0) continue;
    if (b.age_seconds < options.grace_seconds) {
      ++report.kept_young;
      continue;
    }
    if (!options.dry_run) FERRY_RETURN_IF_ERROR(artifacts_.Remove(b.path));
    report.removed_blobs.push_back(b.sha256);
    report.removed_bytes += b.bytes;
  }
  for (const auto& [path, age] : listing.temps) {
    if (age < options.grace_seconds) continue;
    if (!options.dry_run) FERRY_RETURN_IF_ERROR(artifacts_.Remove(path));
    ++report.removed_temps;
  }
  // Registrations left `registering` for longer than the grace period were
  // interrupted (their process died): mark them failed.
  FERRY_ASSIGN_OR_RETURN(std::vector<ModelRecord> models, store_->ListModels());
  for (const auto& m : models) {
    FERRY_ASSIGN_OR_RETURN(std::vector<VersionRecord> versions, store_->ListVersions(m.name));
    for (const auto& v : versions) {
      if (v.status != VersionStatus::kRegistering) continue;
      if (SecondsSince(v.created_at) < options.grace_seconds) continue;
      if (!options.dry_run) {
        Status s = store_->FailVersion(v.model, v.version, "registration interrupted (found by gc)",
                                       Actor{"gc", ""});
        if (!s.ok() && s.code() != StatusCode::kFailedPrecondition) return s;
      }
      report.failed_registrations.push_back(VersionRef(v.model, v.version));
    }
  }
  return report;
}

Result<CheckReport> Registry::Check() {
  CheckReport report;
  FERRY_ASSIGN_OR_RETURN(std::vector<ModelRecord> models, store_->ListModels());
  report.models = static_cast<int64_t>(models.size());
  std::map<std::string, bool> verified;  // sha256 → ok
  for (const auto& m : models) {
    FERRY_ASSIGN_OR_RETURN(std::vector<VersionRecord> versions, store_->ListVersions(m.name));
    for (const auto& v : versions) {
      ++report.versions;
      if (v.status == VersionStatus::kRegistering) {
        report.registering.push_back(VersionRef(v.model, v.version) + " (since " + v.created_at +
                                     ")");
        continue;
      }
      if (v.status != VersionStatus::kReady) continue;  // failed: no blob
      auto it = verified.find(v.blob_sha256);
      if (it == verified.end()) {
        Result<fs::path> p = artifacts_.VerifiedPath(v.blob_sha256);
        it = verified.emplace(v.blob_sha256, p.ok()).first;
        if (!p.ok()) {
          report.problems.push_back("version " + VersionRef(v.model, v.version) + ": " +
                                    p.status().message());
        }
      } else if (!it->second) {
        report.problems.push_back("version " + VersionRef(v.model, v.version) + ": blob " +
                                  v.blob_sha256 + " is missing or corrupt");
      }
    }
  }
  FERRY_ASSIGN_OR_RETURN(BlobListing listing, artifacts_.List());
  report.blobs = static_cast<int64_t>(listing.blobs.size());
  for (const auto& b : listing.blobs) {
    if (verified.count(b.sha256) == 0) ++report.unreferenced_blobs;
  }
  for (const auto& s : listing.strays) {
    report.problems.push_back("stray file in the blob tree (not a complete blob): " + s.string());
  }
  report.temp_files = static_cast<int64_t>(listing.temps.size());
  return report;
}

}  // namespace ferry::registry

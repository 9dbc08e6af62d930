#include "ferry/registry/resolve.h"

#include "ferry/bundle/archive.h"
#include "ferry/bundle/bundle.h"

namespace fs = std::filesystem;

namespace ferry::registry {

Result<fs::path> MaterializeVersion(Registry& registry, const VersionRecord& version) {
  std::string ref = VersionRef(version.model, version.version);
  if (version.status != VersionStatus::kReady) {
    return FailedPrecondition("version " + ref + " is " +
                              std::string(VersionStatusName(version.status)) + ", not ready");
  }
  constexpr std::string_view kPrefix = "sha256:";
  std::string hex = version.bundle_digest.substr(
      version.bundle_digest.rfind(kPrefix, 0) == 0 ? kPrefix.size() : 0);
  if (!ArtifactStore::IsValidSha256(hex)) {
    return DataLoss("version " + ref + " has a malformed bundle digest");
  }
  fs::path dest = registry.options().home / "cache" / "bundles" / hex;
  std::error_code ec;
  if (fs::is_directory(dest, ec)) {
    Result<std::string> digest = bundle::ComputeDigest(dest);
    if (digest.ok() && *digest == version.bundle_digest) return dest;
    fs::remove_all(dest, ec);  // altered cache: rebuild from the blob
  }
  fs::create_directories(dest.parent_path(), ec);
  if (ec) return Internal("cannot create " + dest.parent_path().string() + ": " + ec.message());
  FERRY_ASSIGN_OR_RETURN(fs::path blob, registry.artifacts().VerifiedPath(version.blob_sha256));
  auto validate = [&](const fs::path& tmp) -> Status {
    FERRY_ASSIGN_OR_RETURN(std::string digest, bundle::ComputeDigest(tmp));
    if (digest != version.bundle_digest) {
      return DataLoss("version " + ref + ": unpacked bundle has digest " + digest + ", expected " +
                      version.bundle_digest);
    }
    return Status::Ok();
  };
  Status s = bundle::UnpackArchive(blob, dest, {}, validate);
  if (s.code() == StatusCode::kAlreadyExists) return dest;  // another process won the race
  FERRY_RETURN_IF_ERROR(s.WithContext("materializing " + ref));
  return dest;
}

Result<fs::path> ResolveToBundleDir(Registry& registry, std::string_view ref) {
  FERRY_ASSIGN_OR_RETURN(VersionRecord v, registry.Resolve(ref));
  return MaterializeVersion(registry, v);
}

}  // namespace ferry::registry

#pragma once

#include <filesystem>
#include <string_view>

#include "ferry/base/result.h"
#include "ferry/registry/registry.h"

namespace ferry::registry {

// Materializes a ready version as a bundle folder under
// <FERRY_HOME>/cache/bundles/<bundle digest hex>/ and returns its path. The
// blob is verified against its sha256 before unpacking, and the unpacked
// folder against the version's bundle digest before it becomes visible
// (UnpackArchive's validate step); a cached folder is re-checked against the
// digest and rebuilt if it was altered. Safe to call from several processes.
// Errors: NotFound (reference, version or blob), FailedPrecondition (version
// not ready), DataLoss (corrupt blob or digest mismatch: never served).
Result<std::filesystem::path> MaterializeVersion(Registry& registry, const VersionRecord& version);

// ParseReference + Registry::Resolve + MaterializeVersion: what batch scoring
// and serving use for `--model REF`.
Result<std::filesystem::path> ResolveToBundleDir(Registry& registry, std::string_view ref);

}  // namespace ferry::registry

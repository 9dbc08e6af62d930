#pragma once

#include <string>
#include <vector>

#include "ferry/registry/records.h"
#include "ferry/registry/registry.h"

// JSON views of registry records: the one encoding shared by `ferry models …
// --json` and the REST API (/api/v1/…). Field names are part of the public
// interface. Pure functions; thread-safe.
namespace ferry::registry {

std::string ModelJson(const ModelRecord& model, const std::vector<AliasRecord>& aliases,
                      const std::vector<TagRecord>& tags);
std::string VersionJson(const VersionRecord& version, const std::vector<TagRecord>& tags);
std::string VersionsJson(const std::vector<VersionRecord>& versions);
std::string AliasJson(const AliasRecord& alias);
std::string AuditJson(const std::vector<AuditEntry>& entries);
std::string CheckJson(const CheckReport& report);
std::string GcJson(const GcReport& report);

}  // namespace ferry::registry

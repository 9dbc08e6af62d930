#include "ferry/registry/records.h"

namespace ferry::registry {

std::string_view VersionStatusName(VersionStatus status) {
  switch (status) {
    case VersionStatus::kRegistering:
      return "registering";
    case VersionStatus::kReady:
      return "ready";
    case VersionStatus::kFailed:
      return "failed";
  }
  return "failed";
}

std::optional<VersionStatus> ParseVersionStatus(std::string_view name) {
  if (name == "registering") return VersionStatus::kRegistering;
  if (name == "ready") return VersionStatus::kReady;
  if (name == "failed") return VersionStatus::kFailed;
  return std::nullopt;
}

}  // namespace ferry::registry

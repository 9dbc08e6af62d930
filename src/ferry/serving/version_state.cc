#include "ferry/serving/version_state.h"

namespace ferry::serving {

std::string_view VersionStateName(VersionState s) {
  switch (s) {
    case VersionState::kLoading:
      return "LOADING";
    case VersionState::kReady:
      return "READY";
    case VersionState::kUnloading:
      return "UNLOADING";
    case VersionState::kUnloaded:
      return "UNLOADED";
    case VersionState::kFailed:
      return "FAILED";
  }
  return "UNKNOWN";
}

bool IsAllowedTransition(VersionState from, VersionState to) {
  using S = VersionState;
  switch (from) {
    case S::kLoading:
      return to == S::kReady || to == S::kFailed;
    case S::kReady:
      return to == S::kReady || to == S::kUnloading;
    case S::kUnloading:
      return to == S::kUnloaded;
    case S::kUnloaded:
    case S::kFailed:
      return to == S::kLoading;
  }
  return false;
}

}  // namespace ferry::serving

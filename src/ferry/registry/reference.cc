#include "ferry/registry/reference.h"

#include <charconv>

#include "ferry/bundle/manifest.h"

namespace ferry::registry {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

std::string ModelRef::ToString() const {
  if (version) return VersionRef(name, *version);
  if (!alias.empty()) return name + "@" + alias;
  return name;
}

std::string VersionRef(std::string_view name, int64_t version) {
  return std::string(name) + ":" + std::to_string(version);
}

bool IsValidAliasName(std::string_view alias) {
  if (alias.empty() || alias.size() > 64 || !IsAlpha(alias[0])) return false;
  for (char c : alias) {
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsReservedAlias(std::string_view alias) {
  if (alias == "latest") return true;
  if (alias.size() < 2 || alias[0] != 'v') return false;
  for (char c : alias.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsValidTagKey(std::string_view key) {
  if (key.empty() || key.size() > 128 || !IsAlnum(key[0])) return false;
  for (char c : key) {
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '-' && c != '/') return false;
  }
  return true;
}

Result<ModelRef> ParseReference(std::string_view text) {
  ModelRef ref;
  size_t colon = text.find(':');
  size_t at = text.find('@');
  if (colon != std::string_view::npos && at != std::string_view::npos) {
    return InvalidArgument("model reference '" + std::string(text) +
                           "': use either name:version or name@alias, not both");
  }
  size_t cut = colon != std::string_view::npos ? colon : at;
  std::string_view name = text.substr(0, cut);
  if (!bundle::IsValidModelName(name)) {
    return InvalidArgument("model reference '" + std::string(text) +
                           "': model name must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  }
  ref.name = std::string(name);
  if (colon != std::string_view::npos) {
    std::string_view digits = text.substr(colon + 1);
    int64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || v <= 0 ||
        digits[0] == '+' || digits[0] == '0') {
      return InvalidArgument("model reference '" + std::string(text) +
                             "': version must be a positive integer");
    }
    ref.version = v;
  } else if (at != std::string_view::npos) {
    std::string_view alias = text.substr(at + 1);
    if (!IsValidAliasName(alias)) {
      return InvalidArgument("model reference '" + std::string(text) +
                             "': alias must match [A-Za-z][A-Za-z0-9._-]{0,63}");
    }
    ref.alias = std::string(alias);
  }
  return ref;
}

}  // namespace ferry::registry

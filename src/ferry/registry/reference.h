#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/base/result.h"

namespace ferry::registry {

// A model reference as written everywhere in Ferry (brief §3.2):
//   "name"          the serving default: alias `champion`, else the latest ready version
//   "name:7"        version 7
//   "name@alias"    whatever version the alias points to ("name@latest" is the latest ready one)
struct ModelRef {
  std::string name;
  std::optional<int64_t> version;  // set for "name:7"
  std::string alias;               // set for "name@alias"

  bool is_plain() const { return !version && alias.empty(); }
  // Canonical text: "name", "name:7" or "name@alias".
  std::string ToString() const;
};

// Parses a reference. InvalidArgument (naming the text) for a bad model name,
// a version that is not a positive integer, or a bad alias name.
Result<ModelRef> ParseReference(std::string_view text);

// An alias name: [A-Za-z][A-Za-z0-9._-]{0,63}.
bool IsValidAliasName(std::string_view alias);
// `latest` and `v<digits>` are reserved: they can be read but never set.
bool IsReservedAlias(std::string_view alias);

// A tag key: [A-Za-z0-9][A-Za-z0-9._/-]{0,127}. Values are free text up to 4096 bytes.
bool IsValidTagKey(std::string_view key);

// "name:7".
std::string VersionRef(std::string_view name, int64_t version);

}  // namespace ferry::registry

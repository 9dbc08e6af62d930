#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/serving/server_options.h"

// The one description of `ferry serve`'s configuration-file settings. The
// config-file reader, `ferry serve --help` and docs/serving.md all derive
// from this table.
//
// ferry-serve.yaml:
//   repository_poll_interval_ms: 0
//   registry_poll_interval_ms: 1000
//   warmup_rows: 1
//   shutdown_timeout_ms: 10000
//   version_policy: {latest: 1}       # or {specific: [1, 3]} or all
//   defaults:                         # per-model settings for every model
//     max_batch_size: 64
//     ...
//   models:
//     breast-cancer:                  # overrides for one model
//       max_batch_size: 8
//       version_policy: all
namespace ferry::serving {

enum class SettingScope { kServer, kModel };

struct SettingInfo {
  std::string_view key;  // config-file key
  SettingScope scope;
  std::string_view type;           // "integer", "list of integers", "policy"
  std::string_view default_value;  // as text
  std::string_view description;    // one sentence, with units
};

// Every setting, in documentation order.
const std::vector<SettingInfo>& ServeSettings();

// Plain-text table for `ferry serve --help` (a footer).
std::string ServeSettingsHelp();
// Markdown table for docs/serving.md.
std::string ServeSettingsMarkdown();

// Reads a ferry-serve.yaml into `options` (keys given override what is
// there; --model/--repository flags are not in the file). InvalidArgument
// naming the file and key for unknown keys, wrong types and out-of-range
// values; NotFound when the file is missing.
Status LoadServeConfig(const std::filesystem::path& path, ServerOptions* options);
// The same from text (`origin` names it in errors).
Status ParseServeConfig(std::string_view yaml, std::string_view origin, ServerOptions* options);

}  // namespace ferry::serving

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/base/result.h"

namespace ferry {

// Parses a positive duration made of NUMBER+UNIT parts, units ms, s, m, h:
// "30s", "5m", "1h30m", "250ms", at most kMaxDurationMs. InvalidArgument
// otherwise, e.g. "expected a duration like 30s, 5m or 1h, got '30'".
// (Pipelines' timeouts and retries, monitoring windows, alert cool-downs.)
inline constexpr int64_t kMaxDurationMs = int64_t{366} * 24 * 3600 * 1000;  // a year
Result<int64_t> ParseDurationMs(std::string_view text);

// "1.2s", "350ms", "2m05s": a short human form of a duration.
std::string FormatDurationMs(int64_t ms);

}  // namespace ferry

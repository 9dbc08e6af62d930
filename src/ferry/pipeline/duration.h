#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/base/result.h"

namespace ferry::pipeline {

// Parses a positive duration made of NUMBER+UNIT parts, units ms, s, m, h:
// "30s", "5m", "1h30m", "250ms". InvalidArgument otherwise, e.g.
// "expected a duration like 30s, 5m or 1h, got '30'".
Result<int64_t> ParseDurationMs(std::string_view text);

// "1.2s", "350ms", "2m05s": a short human form of a duration.
std::string FormatDurationMs(int64_t ms);

}  // namespace ferry::pipeline

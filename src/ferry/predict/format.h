#pragma once

#include <optional>
#include <string_view>

#include "ferry/base/result.h"

namespace ferry::predict {

// Row-oriented file formats Ferry reads and writes.
enum class Format { kCsv, kJsonl };

std::string_view FormatName(Format f);  // "csv" | "jsonl"
// Parses "csv" | "jsonl" | "ndjson" | "json".
Result<Format> ParseFormat(std::string_view name);
// The format a file name implies: .csv → CSV; .jsonl/.ndjson/.json → JSONL,
// each optionally followed by .gz/.zst/.xz/.bz2. "-" and unknown extensions
// are an InvalidArgument that asks for --format.
Result<Format> FormatOfPath(std::string_view path);

}  // namespace ferry::predict

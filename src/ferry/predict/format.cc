#include "ferry/predict/format.h"

#include <string>

namespace ferry::predict {

std::string_view FormatName(Format f) { return f == Format::kCsv ? "csv" : "jsonl"; }

Result<Format> ParseFormat(std::string_view name) {
  if (name == "csv") return Format::kCsv;
  if (name == "jsonl" || name == "ndjson" || name == "json") return Format::kJsonl;
  return InvalidArgument("unknown format '" + std::string(name) + "': expected csv or jsonl");
}

Result<Format> FormatOfPath(std::string_view path) {
  std::string_view p = path;
  for (std::string_view z : {".gz", ".zst", ".xz", ".bz2"}) {
    if (p.ends_with(z)) {
      p.remove_suffix(z.size());
      break;
    }
  }
  if (p.ends_with(".csv")) return Format::kCsv;
  if (p.ends_with(".jsonl") || p.ends_with(".ndjson") || p.ends_with(".json"))
    return Format::kJsonl;
  return InvalidArgument("cannot tell the format of '" + std::string(path) +
                         "' from its name (expected .csv or .jsonl); pass --format");
}

}  // namespace ferry::predict

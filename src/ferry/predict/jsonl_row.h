#pragma once

#include <simdjson.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/status.h"
#include "ferry/predict/row_source.h"

namespace ferry::predict {

// Turns one JSONL line into a model row: a JSON object holding either a "features" array (by
// position) or one field per feature name; null stands for a missing value (NaN). The key and
// kept columns are read as cells (strings unescaped, other values as JSON text; an absent kept
// column is JSON null). Shared by `ferry predict` and `ferry batch`.
//
// Not thread-safe: one parser per thread (it reuses a simdjson parser and buffers).
class JsonlRowParser {
 public:
  explicit JsonlRowParser(RowLayout layout) : layout_(std::move(layout)) {}

  // Parses `line` (without its line end). When `padded`, at least simdjson::SIMDJSON_PADDING
  // readable bytes follow the line in memory, which avoids a copy. `features` has num_features
  // slots. Errors are InvalidArgument with the reason only (no file or line prefix):
  //  "invalid JSON: …", "expected a JSON object", "'features' must be an array of numbers",
  //  "'features' has N values, expected M", "missing feature 'f' (…)", "<what>: expected a number
  //  or null, got …", "expected a 'features' array (…)", "missing key 'k'", "empty key 'k'".
  Status Parse(std::string_view line, bool padded, std::span<float> features, Cell* key,
               std::vector<Cell>* kept);

  const RowLayout& layout() const { return layout_; }

 private:
  RowLayout layout_;
  simdjson::dom::parser parser_;
  std::string padded_;
};

}  // namespace ferry::predict

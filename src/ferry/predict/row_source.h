#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/predict/format.h"

namespace ferry::predict {

// A value passed through from input to output (a key or a kept column).
struct Cell {
  std::string text;
  bool is_json = false;  // text is a JSON value (from JSONL input), not a plain string
};

// Which fields of an input row feed the model, and which are echoed.
struct RowLayout {
  std::vector<std::string> features;  // names, one per model feature; empty = by position
  int64_t num_features = 0;
  std::string key_column;         // empty = no key
  std::vector<std::string> keep;  // columns echoed into the output
};

// Reads rows of one input file, binding fields to features by name.
// Not thread-safe.
class RowSource {
 public:
  virtual ~RowSource() = default;

  // Reads the next row: its feature values into `features` (size
  // num_features; missing values as NaN), its key and kept cells. Returns
  // false at end of input. A bad row gives InvalidArgument
  // "<file>:<line>: …" and the reader stays usable for the next row; any
  // other error code is fatal.
  virtual Result<bool> Next(std::span<float> features, Cell* key, std::vector<Cell>* kept) = 0;
  // 1-based line where the last row returned (or refused) started.
  virtual int64_t line_number() const = 0;
};

// Opens `path` ("-" = stdin) in `format`. Fails when the header (CSV) lacks a
// named feature, the key or a kept column, or when positional binding does
// not give exactly num_features columns.
Result<std::unique_ptr<RowSource>> OpenRowSource(std::string_view path, Format format,
                                                 const RowLayout& layout);

}  // namespace ferry::predict

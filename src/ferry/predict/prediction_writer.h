#pragma once

#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/predict/format.h"
#include "ferry/predict/row_source.h"

namespace ferry::predict {

// The columns of a prediction file, in order: key, kept columns, outputs.
struct OutputLayout {
  std::string key_column;  // empty = no key column
  std::vector<std::string> keep;
  std::string output_name;        // e.g. "probability"
  int64_t output_width = 1;       // values per row (classes for multiclass)
  bool output_is_vector = false;  // CSV: name_0..name_{w-1}; JSONL: an array
};

// Writes predictions as CSV or JSONL. A file output is written under a
// temporary name and appears only at Commit(); destroying the writer without
// Commit() removes it. Not thread-safe.
class PredictionWriter {
 public:
  ~PredictionWriter();

  // `path` "-" writes to stdout.
  static Result<std::unique_ptr<PredictionWriter>> Open(std::string_view path, Format format,
                                                        OutputLayout layout);

  // One row. `key` is ignored when the layout has no key column; `kept`
  // matches layout.keep; `values` has output_width values.
  Status Write(const Cell& key, std::span<const Cell> kept, std::span<const float> values);
  // Flushes, syncs and moves the file into place.
  Status Commit();

 private:
  PredictionWriter(Format format, OutputLayout layout)
      : format_(format), layout_(std::move(layout)) {}
  Status WriteHeader();
  Status Flush();

  Format format_;
  OutputLayout layout_;
  std::string path_;      // final path; empty for stdout
  std::string tmp_path_;  // temporary file, renamed at Commit
  FILE* file_ = nullptr;
  bool committed_ = false;
  std::string buf_;
};

}  // namespace ferry::predict

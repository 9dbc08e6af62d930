#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/bundle/bundle.h"
#include "ferry/predict/format.h"

namespace ferry::predict {

struct PredictOptions {
  std::string input = "-";              // file path or "-" for stdin
  std::string output = "-";             // file path or "-" for stdout
  std::optional<Format> input_format;   // default: from the input's name
  std::optional<Format> output_format;  // default: from the output's name, else the input's
  std::string key_column;
  std::vector<std::string> keep;
  bool skip_bad_rows = false;  // false: stop at the first bad row
  int threads = 1;             // framework threads for each model call
  int64_t batch_rows = 1024;   // rows per model call
};

struct PredictSummary {
  int64_t rows_scored = 0;
  int64_t rows_skipped = 0;
};

// Scores every row of the input with the bundle's model and writes one
// prediction per row, in input order, with the key and kept columns first.
// A bad row stops the job with "<file>:<line>: <reason>" unless
// skip_bad_rows, in which case `on_bad_row` (if set) receives each such
// message and the row is left out. The output file appears only when the
// job succeeds.
Result<PredictSummary> RunPredict(const bundle::Bundle& bundle, const PredictOptions& options,
                                  const std::function<void(const Status&)>& on_bad_row = nullptr);

}  // namespace ferry::predict

#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/batch/score_stats.h"
#include "ferry/batch/shard.h"
#include "ferry/bundle/bundle.h"
#include "ferry/predict/format.h"

namespace ferry::batch {

enum class OnError {
  kFail,  // the first bad row stops the job (non-zero exit, "<file>:<line>: <reason>")
  kSkip,  // bad rows are left out, counted, and listed in the errors file
};

struct BatchOptions {
  std::string input = "-";   // file ("-" = stdin); CSV or JSONL, optionally .gz/.zst
  std::string output = "-";  // file ("-" = stdout, which cannot be resumed)
  std::optional<predict::Format> input_format;   // default: from the input's name
  std::optional<predict::Format> output_format;  // default: from the output's name, else input's
  std::string key_column;                        // echoed first; rows without one are bad rows
  std::vector<std::string> keep;                 // echoed after the key
  ShardSpec shard;
  int threads = 0;  // parse-and-score workers; 0 = one per core
  OnError on_error = OnError::kFail;
  // Bad rows with kSkip, one JSON object per line {"line":N,"reason":"…"}. Default
  // "<output>.errors.jsonl", or stderr when the output is stdout.
  std::string errors_path;
  // Continue an interrupted job from its checkpoint (a fresh start when there is none).
  bool resume = false;
  // Budget for the data in flight (chunks being read, parsed, scored and written), in MiB.
  // Peak memory is about this plus the model and the runtime, whatever the input's size.
  int64_t memory_mb = 256;
  size_t chunk_bytes = 0;  // 0 = derived from memory_mb and threads (at most 4 MiB)
  size_t max_record_bytes = size_t{64} << 20;
  int64_t checkpoint_interval_ms = 1000;  // how often progress is made durable
};

// Where a running job stands (given to the progress callback, from the writing thread).
struct BatchProgress {
  int64_t rows_scored = 0;  // including rows of earlier runs when resumed
  int64_t rows_skipped = 0;
  uint64_t bytes_done = 0;   // input bytes (as stored) accounted for
  uint64_t bytes_total = 0;  // 0 when unknown (stdin)
  double seconds = 0;        // since this run started
  int64_t rows_this_run = 0;
};

struct BatchSummary {
  int64_t rows_scored = 0;   // whole job (earlier runs included when resumed)
  int64_t rows_skipped = 0;  // whole job
  int64_t rows_this_run = 0;
  uint64_t input_bytes_this_run = 0;  // decoded input bytes scored by this run
  double seconds = 0;                 // this run
  bool resumed = false;               // continued from a checkpoint
  bool already_complete = false;      // --resume found the job finished
  int threads = 0;
  size_t chunk_bytes = 0;
  int64_t inflight_chunks = 0;
  std::string errors_path;  // where skipped rows were listed ("" = none, "-" = stderr)
  ScoreStats stats;         // whole job
};

// Scores every row (of this shard) of the input with the bundle's model and writes one prediction
// per row, in input order, key and kept columns first. Reading, parsing, scoring and writing run
// in parallel on chunks of whole records; at most `inflight_chunks` chunks exist at once, which
// bounds memory.
//
// A file output is written to "<output>.partial" and renamed into place at the end; a checkpoint
// "<output>.ferry-checkpoint" is refreshed every checkpoint_interval_ms (after syncing the output)
// so that a killed job continues with `resume` and still produces every row exactly once, in
// order. Errors: InvalidArgument for bad input ("<file>:<line>: <reason>"), bad flags and
// mismatches with a checkpoint; FailedPrecondition for non-tabular models; I/O errors.
Result<BatchSummary> RunBatch(const bundle::Bundle& bundle, const BatchOptions& options,
                              const std::function<void(const BatchProgress&)>& on_progress = {});

}  // namespace ferry::batch

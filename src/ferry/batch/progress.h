#pragma once

#include <cstdio>
#include <string>

#include "ferry/batch/batch_job.h"

namespace ferry::batch {

// Shows a job's progress on `out`: on a terminal, a live bar redrawn at most every 0.2 s (rows,
// rows/s, bytes, ETA); otherwise one line every `line_interval_s` seconds. Not thread-safe: call
// from the thread that runs the job's progress callback.
class ProgressPrinter {
 public:
  ProgressPrinter(std::FILE* out, bool terminal, double line_interval_s = 5.0)
      : out_(out), terminal_(terminal), interval_s_(terminal ? 0.2 : line_interval_s) {}

  void Update(const BatchProgress& p);
  // Clears the bar (terminal only) before the summary is printed.
  void Finish();

 private:
  std::FILE* out_;
  bool terminal_;
  double interval_s_;
  double last_s_ = 0;
  bool drawn_ = false;
};

// The end-of-job report: rows scored and skipped, time, rows/s, and the score distribution.
std::string FormatSummary(const BatchSummary& s);

// 1234567 → "1,234,567".
std::string GroupDigits(int64_t n);
// Bytes as "12.3 MB" (decimal units).
std::string HumanBytes(uint64_t n);

}  // namespace ferry::batch

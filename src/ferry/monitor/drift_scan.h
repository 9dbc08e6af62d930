#pragma once

// Counting a whole CSV file on a drift reference's bins (`ferry monitor drift`), in parallel when
// the file allows it.

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/monitor/drift.h"

namespace ferry::monitor {

struct DriftScanOptions {
  // Threads for the parallel scan; 0 = std::thread::hardware_concurrency().
  int threads = 0;
  // Fewer threads are used when the data section has fewer than this many bytes per thread
  // (starting a thread costs more than scanning a small file). Tests set 1 to split small files.
  size_t min_bytes_per_thread = size_t{1} << 20;
  // Always take the general (sequential) path: for tests and comparisons.
  bool sequential = false;
};

// How a scan went through the file.
enum class DriftScanPath {
  kSequential,  // table::CsvReader, one record after the other
  kParallel,    // memory-mapped, line-aligned byte ranges counted by several threads
};

struct DriftScan {
  explicit DriftScan(const DriftReference& ref) : counts(ref) {}

  int64_t rows = 0;                 // data records (blank lines are not records)
  int64_t invalid = 0;              // non-numbers in numeric features (counted missing)
  std::vector<std::string> absent;  // baseline input features that are not columns of the file
  DriftCounts counts;               // on `ref`; the prediction's entry (if any) stays empty
  DriftScanPath path = DriftScanPath::kSequential;
  int threads_used = 1;
};

// Counts every value of the baseline's input features (columns found by name in the header) of
// the CSV file `path` ("-" = stdin; compressed input is decoded) on `ref`'s bins. A numeric cell
// that is missing (table::IsMissingValue) counts missing; one that table::ParseNumber refuses
// counts missing and in `invalid`; a categorical cell goes to DriftCounts::AddCategory.
//
// Errors: those of table::CsvReader::Open and CsvReader::Next, with the same messages and line
// numbers (e.g. "<path>:<line>: expected N fields, got M"), and InvalidArgument
// "<path>: none of the baseline's features is a column of the file".
//
// The parallel path is taken for a regular, uncompressed file without any '"' in it (quotes make
// line-aligned splitting unsafe): the data section is memory-mapped and split into line-aligned
// ranges, each counted by its own thread with its own DriftCounts, then merged. A range that meets
// what needs the general reader (a '"', invalid UTF-8, a very long line) sends the whole file to
// the sequential path, so results and errors never depend on the path. `ref` must outlive the
// result.
Result<DriftScan> ScanCsvForDrift(const DriftReference& ref, const std::string& path,
                                  const DriftScanOptions& options = {});

}  // namespace ferry::monitor

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"

namespace ferry::train {

// A CSV file read whole into memory (training, validation and test sets are
// small next to batch-scoring inputs), column by column, every cell kept as
// its text. Reading follows ferry::table::CsvReader (RFC 4180, compressed
// inputs, UTF-8 checked, header required).
struct DataTable {
  std::string name;                             // the file, for messages
  std::string source_sha256;                    // hex sha256 of the file's bytes as stored
  std::vector<std::string> columns;             // header order
  std::vector<std::vector<std::string>> cells;  // cells[column][row]
  std::vector<int64_t> lines;                   // lines[row]: 1-based line in the file

  int64_t rows() const { return lines.size(); }
  // Index of `column`, or -1.
  int64_t ColumnIndex(std::string_view column) const;
};

// Reads `path`. Errors: CsvReader's (with file and line); InvalidArgument
// "<path>: more than <max_rows> rows" past max_rows.
Result<DataTable> ReadDataTable(std::string_view path, int64_t max_rows = 50'000'000);

// The column as numbers: missing cells (ferry::table::IsMissingValue) are
// NaN. InvalidArgument "<file>:<line>: column '<c>': '<text>' is not a number".
Result<std::vector<float>> NumericColumn(const DataTable& table, int64_t column);

// Writes the header and the rows `rows` (indices, in the given order) as CSV,
// quoting fields that need it, atomically (temporary file + rename).
Status WriteDataTable(const DataTable& table, const std::vector<int64_t>& rows,
                      const std::string& path);

}  // namespace ferry::train

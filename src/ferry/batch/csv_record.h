#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::batch {

// CSV record boundaries and fields, with the dialect of table::CsvReader: comma separator; a
// field that starts with '"' is quoted ("" for a quote; commas and line breaks allowed inside); a
// '"' inside an unquoted field is plain data; LF or CRLF line ends; empty lines (or "\r") are
// blank and skipped; the last record may lack its line end.

// Offset just past the line end of the last complete record in data[0, n), which must start at a
// record start; 0 when no record ends inside it. Quote-aware, so a quoted line break is not a
// boundary; a buffer without any '"' is scanned with memrchr only. Thread-safe.
size_t LastRecordEnd(const char* data, size_t n);
// Offset just past the line end of the first record in data[0, n); 0 when none ends inside it.
size_t FirstRecordEnd(const char* data, size_t n);

// Splits records into fields. Not thread-safe; reuse one per thread (it keeps its buffers).
class CsvRecordSplitter {
 public:
  enum class Outcome {
    kRecord,             // fields() holds the record
    kBlank,              // an empty line: skip it
    kUnterminatedQuote,  // a quoted field runs to the end of the data
    kJunkAfterQuote,     // a closing quote followed by something other than ',' or a line end
  };

  // Splits the record that starts at data[pos] (pos < n) and ends at the next unquoted line end
  // or at n. Sets *next past its line end and *line_breaks to the '\n' bytes consumed (its own
  // terminator included). The views of fields() point into `data` or into the splitter and stay
  // valid until the next call. `may_have_quotes` false promises that data[pos, n) holds no '"'
  // (the caller checked a whole chunk at once), which skips a per-record scan.
  Outcome Split(const char* data, size_t n, size_t pos, size_t* next, int64_t* line_breaks,
                bool may_have_quotes = true);

  const std::vector<std::string_view>& fields() const { return fields_; }
  // True when the last record held a line break inside a quoted field.
  bool quoted_line_break() const { return quoted_line_break_; }

 private:
  Outcome SplitQuoted(const char* data, size_t n, size_t pos, size_t* next, int64_t* line_breaks);

  struct Span {
    size_t begin;
    size_t size;
    bool in_scratch;
  };
  std::vector<std::string_view> fields_;
  std::vector<Span> spans_;
  std::string scratch_;
  bool quoted_line_break_ = false;
};

}  // namespace ferry::batch

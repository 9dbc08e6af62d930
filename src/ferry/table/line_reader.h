#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ferry/base/result.h"
#include "ferry/table/input_stream.h"

namespace ferry::table {

// Splits an InputStream into lines (LF or CRLF). Not thread-safe.
class LineReader {
 public:
  // Lines longer than max_line_bytes are an OutOfRange error.
  explicit LineReader(std::unique_ptr<InputStream> in, size_t max_line_bytes = 64 << 20);

  static Result<std::unique_ptr<LineReader>> Open(std::string_view path);

  // The next line without its terminator; false at end of input. The view is
  // valid until the next call.
  Result<bool> Next(std::string_view* line);
  // 1-based number of the line last returned.
  int64_t line_number() const { return line_number_; }

 private:
  Status Fill();

  std::unique_ptr<InputStream> in_;
  size_t max_line_bytes_;
  std::string buf_;
  size_t begin_ = 0;  // start of unread data in buf_
  size_t end_ = 0;    // end of valid data in buf_
  bool eof_ = false;
  int64_t line_number_ = 0;
};

}  // namespace ferry::table

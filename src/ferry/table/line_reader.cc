#include "ferry/table/line_reader.h"

#include <cstring>

namespace ferry::table {

LineReader::LineReader(std::unique_ptr<InputStream> in, size_t max_line_bytes)
    : in_(std::move(in)), max_line_bytes_(max_line_bytes), buf_(1 << 16, '\0') {}

Result<std::unique_ptr<LineReader>> LineReader::Open(std::string_view path) {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<InputStream> in, InputStream::Open(path));
  return std::make_unique<LineReader>(std::move(in));
}

Status LineReader::Fill() {
  // Move the unread tail to the front, grow if the buffer is full.
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) {
    if (buf_.size() >= max_line_bytes_) {
      return OutOfRange("line " + std::to_string(line_number_ + 1) + " is longer than " +
                        std::to_string(max_line_bytes_) + " bytes");
    }
    buf_.resize(buf_.size() * 2);
  }
  FERRY_ASSIGN_OR_RETURN(size_t n, in_->Read(buf_.data() + end_, buf_.size() - end_));
  if (n == 0) eof_ = true;
  end_ += n;
  return Status::Ok();
}

Result<bool> LineReader::Next(std::string_view* line) {
  size_t scanned = begin_;
  while (true) {
    const char* start = buf_.data() + scanned;
    const void* nl = std::memchr(start, '\n', end_ - scanned);
    if (nl != nullptr) {
      size_t pos = static_cast<const char*>(nl) - buf_.data();
      size_t len = pos - begin_;
      if (len > 0 && buf_[pos - 1] == '\r') --len;
      *line = std::string_view(buf_.data() + begin_, len);
      begin_ = pos + 1;
      ++line_number_;
      return true;
    }
    if (eof_) {
      if (begin_ == end_) return false;
      size_t len = end_ - begin_;
      if (buf_[end_ - 1] == '\r') --len;
      *line = std::string_view(buf_.data() + begin_, len);
      begin_ = end_;
      ++line_number_;
      return true;
    }
    size_t offset = end_ - begin_;
    FERRY_RETURN_IF_ERROR(Fill());
    scanned = begin_ + offset;
  }
}

}  // namespace ferry::table

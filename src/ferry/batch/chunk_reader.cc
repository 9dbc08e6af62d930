#include "ferry/batch/chunk_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "ferry/batch/csv_record.h"

namespace ferry::batch {

ChunkReader::ChunkReader(ByteSource& source, const ChunkReaderOptions& options, std::string carry)
    : source_(source),
      options_(options),
      carry_(std::move(carry)),
      offset_(source.position() - carry_.size()) {
  if (offset_ + carry_.size() > options_.end) {
    carry_.resize(options_.end > offset_ ? options_.end - offset_ : 0);
    eof_ = true;
  }
}

void Chunk::Reserve(size_t new_capacity, size_t keep) {
  if (buffer != nullptr && new_capacity <= capacity) return;
  auto bigger = std::make_unique_for_overwrite<char[]>(new_capacity + kChunkPadding);
  if (keep > 0) std::memcpy(bigger.get(), buffer.get(), keep);
  buffer = std::move(bigger);
  capacity = new_capacity;
}

Result<bool> ChunkReader::Next(Chunk* chunk) {
  if (eof_ && carry_.empty()) return false;
  size_t target = std::max(options_.chunk_bytes, carry_.size());
  chunk->Reserve(target, 0);
  std::memcpy(chunk->buffer.get(), carry_.data(), carry_.size());
  size_t size = carry_.size();
  size_t boundary = 0;
  while (true) {
    while (!eof_ && size < target) {
      uint64_t room = std::min<uint64_t>(target - size, options_.end - (offset_ + size));
      if (room == 0) {
        eof_ = true;
        break;
      }
      FERRY_ASSIGN_OR_RETURN(size_t got,
                             source_.Read(chunk->buffer.get() + size, static_cast<size_t>(room)));
      if (got == 0) eof_ = true;
      size += got;
    }
    if (eof_) {
      boundary = size;
      break;
    }
    boundary = options_.csv ? LastRecordEnd(chunk->buffer.get(), size) : [&] {
      const void* nl = ::memrchr(chunk->buffer.get(), '\n', size);
      return nl == nullptr
                 ? size_t{0}
                 : static_cast<size_t>(static_cast<const char*>(nl) - chunk->buffer.get()) + 1;
    }();
    if (boundary > 0) break;
    if (target >= options_.max_record_bytes) {
      return OutOfRange(source_.name() + ": a record near byte " + std::to_string(offset_) +
                        " is longer than " + std::to_string(options_.max_record_bytes) +
                        " bytes (an unterminated quote?)");
    }
    target = std::min(target * 2, options_.max_record_bytes);
    chunk->Reserve(target, size);
  }
  if (boundary == 0) {
    carry_.clear();
    return false;
  }
  carry_.assign(chunk->buffer.get() + boundary, size - boundary);
  chunk->seq = seq_++;
  chunk->begin = offset_;
  chunk->size = boundary;
  std::memset(chunk->buffer.get() + boundary, 0, kChunkPadding);
  offset_ += boundary;
  return true;
}

namespace {

// Reads from the start of `source` into `buf` until it holds at least `want` bytes or the end.
Status FillTo(ByteSource& source, std::string* buf, size_t want, bool* eof) {
  while (!*eof && buf->size() < want) {
    size_t old = buf->size();
    buf->resize(std::max(want, old + 65536));
    FERRY_ASSIGN_OR_RETURN(size_t got, source.Read(buf->data() + old, buf->size() - old));
    buf->resize(old + got);
    if (got == 0) *eof = true;
  }
  return Status::Ok();
}

}  // namespace

Result<CsvHeader> ReadCsvHeader(ByteSource& source, size_t max_record_bytes) {
  const std::string& name = source.name();
  std::string buf;
  bool eof = false;
  FERRY_RETURN_IF_ERROR(FillTo(source, &buf, 65536, &eof));
  size_t pos = buf.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  int64_t line = 1;
  CsvRecordSplitter splitter;
  while (true) {
    if (pos == buf.size()) {
      if (eof) return InvalidArgument(name + ": empty file, expected a header line");
      FERRY_RETURN_IF_ERROR(FillTo(source, &buf, buf.size() + 65536, &eof));
      continue;
    }
    size_t end = FirstRecordEnd(buf.data() + pos, buf.size() - pos);
    if (end == 0 && !eof) {
      if (buf.size() - pos > max_record_bytes) {
        return OutOfRange(name + ":" + std::to_string(line) + ": header longer than " +
                          std::to_string(max_record_bytes) + " bytes");
      }
      FERRY_RETURN_IF_ERROR(FillTo(source, &buf, buf.size() * 2, &eof));
      continue;
    }
    size_t record_end = end == 0 ? buf.size() : pos + end;
    size_t next = 0;
    int64_t breaks = 0;
    auto outcome = splitter.Split(buf.data(), record_end, pos, &next, &breaks);
    auto at = [&](std::string_view what) {
      return InvalidArgument(name + ":" + std::to_string(line) + ": " + std::string(what));
    };
    if (outcome == CsvRecordSplitter::Outcome::kUnterminatedQuote) {
      return at("unterminated quoted field");
    }
    if (outcome == CsvRecordSplitter::Outcome::kJunkAfterQuote) {
      return at("unexpected character after closing quote");
    }
    if (outcome == CsvRecordSplitter::Outcome::kBlank) {
      pos = next;
      line += breaks;
      continue;
    }
    if (!simdjson::validate_utf8(buf.data() + pos, record_end - pos)) {
      return at("invalid UTF-8 in the header");
    }
    CsvHeader h;
    std::set<std::string, std::less<>> seen;
    for (size_t i = 0; i < splitter.fields().size(); ++i) {
      std::string_view f = splitter.fields()[i];
      if (f.empty()) return at("empty column name (column " + std::to_string(i + 1) + ")");
      if (!seen.insert(std::string(f)).second) {
        return at("duplicate column name '" + std::string(f) + "'");
      }
      h.columns.emplace_back(f);
    }
    h.data_begin = next;
    h.lines_before_data = line - 1 + breaks;
    h.carry = buf.substr(next);
    return h;
  }
}

Result<CsvHeader> ReadJsonlStart(ByteSource& source) {
  std::string buf;
  bool eof = false;
  FERRY_RETURN_IF_ERROR(FillTo(source, &buf, 3, &eof));
  CsvHeader h;
  h.data_begin = buf.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  h.carry = buf.substr(h.data_begin);
  return h;
}

Result<uint64_t> AlignToLineStart(const ByteSource& source, uint64_t offset, uint64_t data_begin) {
  if (offset <= data_begin) return data_begin;
  if (offset >= source.size()) return source.size();
  std::vector<char> buf(size_t{1} << 16);
  uint64_t at = offset - 1;  // the byte before a record start is '\n'
  while (at < source.size()) {
    FERRY_ASSIGN_OR_RETURN(size_t got, source.ReadAt(at, buf.data(), buf.size()));
    if (got == 0) break;
    const void* nl = std::memchr(buf.data(), '\n', got);
    if (nl != nullptr)
      return at + static_cast<uint64_t>(static_cast<const char*>(nl) - buf.data()) + 1;
    at += got;
  }
  return source.size();
}

Result<int64_t> CountLineBreaks(const ByteSource& source, uint64_t begin, uint64_t end) {
  std::vector<char> buf(size_t{1} << 20);
  int64_t n = 0;
  while (begin < end) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), end - begin));
    FERRY_ASSIGN_OR_RETURN(size_t got, source.ReadAt(begin, buf.data(), want));
    if (got == 0) break;
    n += std::count(buf.data(), buf.data() + got, '\n');
    begin += got;
  }
  return n;
}

}  // namespace ferry::batch

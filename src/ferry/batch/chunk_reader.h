#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/batch/byte_source.h"

namespace ferry::batch {

// Bytes past the end of every chunk buffer, readable and zero: simdjson may read this far.
inline constexpr size_t kChunkPadding = 64;

// A run of whole input records: it starts at a record start and ends just past a record's line
// end (or at the end of the input or of the shard's range).
struct Chunk {
  uint64_t seq = 0;                // 0, 1, 2, … in input order
  uint64_t begin = 0;              // decoded input offset of the first byte
  std::unique_ptr<char[]> buffer;  // capacity + kChunkPadding bytes
  size_t capacity = 0;
  size_t size = 0;

  const char* data() const { return buffer.get(); }
  // Makes room for `capacity` bytes (plus padding), keeping the first `keep` bytes; the rest is
  // left uninitialized.
  void Reserve(size_t capacity, size_t keep);
  uint64_t end() const { return begin + size; }
};

struct ChunkReaderOptions {
  size_t chunk_bytes = size_t{4} << 20;        // target size of a chunk
  size_t max_record_bytes = size_t{64} << 20;  // a longer record is an OutOfRange error
  bool csv = true;            // CSV: quote-aware boundaries; JSONL: every '\n' ends a record
  uint64_t end = UINT64_MAX;  // stop at this decoded offset (a record start)
};

// Cuts a ByteSource into chunks, reading forward from its current position (a record start).
// Not thread-safe: one reader thread.
class ChunkReader {
 public:
  // `carry`: bytes already read from the source that come before its position.
  ChunkReader(ByteSource& source, const ChunkReaderOptions& options, std::string carry = {});

  // The next chunk, or false at the end. Errors: those of ByteSource::Read; OutOfRange
  // "<name>: a record near byte <offset> is longer than <max> bytes (an unterminated quote?)".
  Result<bool> Next(Chunk* chunk);

 private:
  ByteSource& source_;
  ChunkReaderOptions options_;
  std::string carry_;
  uint64_t offset_;  // decoded offset of carry_[0]
  uint64_t seq_ = 0;
  bool eof_ = false;
};

// What precedes the data rows of a CSV file.
struct CsvHeader {
  std::vector<std::string> columns;
  uint64_t data_begin = 0;        // decoded offset of the first data byte
  int64_t lines_before_data = 0;  // physical lines up to data_begin
  std::string carry;              // bytes after data_begin that were read along with the header
};

// Reads the header record from the start of `source` (a UTF-8 BOM and blank lines before it are
// skipped). Errors: InvalidArgument "<name>: empty file, expected a header line", "<name>:<line>:
// invalid UTF-8 in the header", "…: empty column name (column <i>)", "…: duplicate column name
// '<c>'", "…: unterminated quoted field", "…: unexpected character after closing quote"; OutOfRange
// for a header longer than max_record_bytes; read errors.
Result<CsvHeader> ReadCsvHeader(ByteSource& source, size_t max_record_bytes);

// For JSONL: the offset after a UTF-8 BOM (0 or 3), read from the start of `source`; carry as
// for CsvHeader.
Result<CsvHeader> ReadJsonlStart(ByteSource& source);

// The first record start at or after `offset` in a random-access source whose records are
// separated by '\n' (data_begin itself is one): `offset` when the byte before it is '\n', else
// the byte after the next '\n' (or the source's size).
Result<uint64_t> AlignToLineStart(const ByteSource& source, uint64_t offset, uint64_t data_begin);

// The number of '\n' bytes in [begin, end) of a random-access source.
Result<int64_t> CountLineBreaks(const ByteSource& source, uint64_t begin, uint64_t end);

}  // namespace ferry::batch

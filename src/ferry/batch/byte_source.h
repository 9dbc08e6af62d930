#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ferry/base/result.h"
#include "ferry/table/input_stream.h"

namespace ferry::batch {

// The decoded bytes of a batch input, read forward from any offset.
//
// An uncompressed regular file is read with pread(2) and can start anywhere in O(1) (sharding by
// byte range, resuming). Compressed files and stdin go through table::InputStream (compression
// detected from the content); starting at an offset then decodes and discards the bytes before
// it, and stdin cannot be restarted at all.
//
// Not thread-safe: one reader.
class ByteSource {
 public:
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  // Opens `path` ("-" = stdin). Errors as table::InputStream::Open.
  static Result<std::unique_ptr<ByteSource>> Open(std::string_view path);

  // True for an uncompressed regular file: size() is known and Seek is cheap.
  bool random_access() const { return fd_ >= 0; }
  // Decoded size; only meaningful when random_access().
  uint64_t size() const { return size_; }
  // Size of the file as stored (compressed, if it is); 0 for stdin or unknown.
  uint64_t raw_size() const { return raw_size_; }
  // Raw bytes consumed so far (for progress against raw_size()).
  uint64_t raw_position() const;
  // Decoded offset of the next byte Read returns.
  uint64_t position() const { return position_; }
  const std::string& name() const { return name_; }

  // Moves to decoded offset `offset`. Random access: any offset. Streams: forward only, by
  // decoding and discarding (FailedPrecondition for stdin when it would go back).
  Status Seek(uint64_t offset);
  // Reads up to `n` bytes; 0 only at the end. Errors: Unavailable (I/O), DataLoss (corrupt
  // compressed data).
  Result<size_t> Read(char* buf, size_t n);
  // Reads up to `n` bytes at `offset` without moving position(); random access only.
  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const;

 private:
  ByteSource() = default;

  std::string name_;
  int fd_ = -1;  // random-access file, else -1
  std::unique_ptr<table::InputStream> stream_;
  uint64_t size_ = 0;
  uint64_t raw_size_ = 0;
  uint64_t position_ = 0;
};

}  // namespace ferry::batch

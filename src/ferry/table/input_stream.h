#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/base/sha256.h"

struct archive;  // libarchive

namespace ferry::table {

struct InputStreamOptions {
  // Also hash the raw bytes of the source (as stored: before decompression), for RawSha256Hex().
  bool sha256 = false;
};

// A forward-only byte stream from a file, stdin or memory that undoes compression.
//
// The compression is detected from the content, not the file name: data starting with the magic
// number of gzip, zstd, xz, lzma, bzip2, lz4, lzip or compress(.Z) is decoded by libarchive (raw
// format, all filters); anything else is passed through unchanged with plain read(2) calls and no
// extra copy. A stream that only looks compressed but that libarchive does not recognise is passed
// through unchanged too.
//
// Not thread-safe: one reader at a time. Owns its file descriptor (stdin is read but not closed).
class InputStream {
 public:
  // Opens `path`, or stdin when `path` is "-" (named "<stdin>" in messages). Reads ahead a little
  // to detect the compression. Errors: NotFound "<path>: no such file or directory";
  // PermissionDenied when it cannot be read; InvalidArgument for a folder; DataLoss when the
  // compressed header is corrupt; Unavailable for other I/O failures.
  static Result<std::unique_ptr<InputStream>> Open(std::string_view path,
                                                   const InputStreamOptions& options = {});

  // A stream over `data` (compressed or not, detected as for files). `name` is used in messages.
  static Result<std::unique_ptr<InputStream>> FromMemory(std::string data, std::string name,
                                                         const InputStreamOptions& options = {});

  ~InputStream();
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;

  // Reads up to `n` decoded bytes into `buf`; returns how many, 0 only at the end of the data
  // (and again on every later call). May return fewer than `n` before the end. Errors: DataLoss
  // "<name>: corrupt compressed data: ..." (corrupt or truncated compressed data); Unavailable for
  // read(2) failures. After an error the stream should be dropped.
  Result<size_t> Read(char* buf, size_t n);

  // Raw (compressed, if the source is) bytes consumed so far, for progress reports. Grows to the
  // source's size; may run a little ahead of the decoded bytes returned by Read.
  uint64_t bytes_read() const { return bytes_read_; }

  // The path given to Open, "<stdin>", or the name given to FromMemory.
  const std::string& name() const { return name_; }

  // True when the data is being decompressed.
  bool compressed() const { return archive_ != nullptr; }

  // Lower-case hex SHA-256 of every raw byte of the source (what `sha256sum` prints for a file).
  // FailedPrecondition unless the stream was opened with options.sha256 and Read has returned 0.
  // Reads any raw bytes the decoder left (e.g. trailing garbage) so the digest covers them.
  Result<std::string> RawSha256Hex();

 private:
  InputStream(int fd, bool owns_fd, std::string name, const InputStreamOptions& options);
  // Sniffs the first bytes (already in prefix_) and sets up libarchive when they look compressed.
  Status Init();
  // Hands out raw bytes: the read-ahead prefix first, then read(2). 0 at end of source.
  Result<size_t> ReadRaw(char* buf, size_t n);
  // Points *data at the next raw bytes (prefix, then raw_buffer_). For the libarchive callback.
  Result<size_t> NextRawBlock(const char** data);
  void CountRaw(const char* data, size_t n);
  // libarchive's read callback (la_ssize_t is ssize_t on POSIX).
  static ssize_t ArchiveReadCallback(struct archive* a, void* self, const void** buffer);

  int fd_;  // -1 for memory streams
  bool owns_fd_;
  std::string name_;
  std::string prefix_;  // bytes read ahead by Open (or the whole data of a memory stream)
  size_t prefix_pos_ = 0;
  bool raw_eof_ = false;
  struct archive* archive_ = nullptr;  // set when decompressing
  Status read_error_;                  // a read(2) failure seen inside the libarchive callback
  bool at_end_ = false;                // no decoded bytes left
  std::vector<char> raw_buffer_;       // read(2) target for the libarchive path
  uint64_t bytes_read_ = 0;
  std::optional<Sha256> sha256_;
  std::string sha256_hex_;  // set once computed
};

}  // namespace ferry::table

#include "ferry/table/input_stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <system_error>

namespace ferry::table {
namespace {

// Read ahead by Open to sniff the compression; served to the caller afterwards.
constexpr size_t kReadAheadBytes = 64 << 10;
// Enough bytes for the longest magic number checked below.
constexpr size_t kSniffBytes = 16;
// read(2) block size for data handed to libarchive.
constexpr size_t kRawBlockBytes = 256 << 10;
// One read(2) call asks for at most this much.
constexpr size_t kMaxReadBytes = 1 << 30;

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

Status OpenError(const std::string& name, int err) {
  if (err == ENOENT || err == ENOTDIR) return NotFound(name + ": no such file or directory");
  if (err == EACCES || err == EPERM) return PermissionDenied(name + ": permission denied");
  return Unavailable(name + ": cannot open: " + ErrnoText(err));
}

bool StartsWith(std::string_view data, std::initializer_list<unsigned char> magic) {
  if (data.size() < magic.size()) return false;
  return std::equal(magic.begin(), magic.end(), data.begin(),
                    [](unsigned char m, char c) { return m == static_cast<unsigned char>(c); });
}

// True when `data` starts like one of the compressed formats libarchive decodes.
bool LooksCompressed(std::string_view data) {
  if (StartsWith(data, {0x1f, 0x8b})) return true;                      // gzip
  if (StartsWith(data, {0x1f, 0x9d})) return true;                      // compress (.Z)
  if (StartsWith(data, {0x28, 0xb5, 0x2f, 0xfd})) return true;          // zstd
  if (StartsWith(data, {0xfd, '7', 'z', 'X', 'Z', 0x00})) return true;  // xz
  if (StartsWith(data, {0x5d, 0x00, 0x00})) return true;                // lzma (alone)
  if (StartsWith(data, {0x04, 0x22, 0x4d, 0x18})) return true;          // lz4
  if (StartsWith(data, {'L', 'Z', 'I', 'P'})) return true;              // lzip
  // bzip2: "BZh", block size '1'..'9', then the block magic (pi) or end-of-stream (sqrt(pi)).
  if (StartsWith(data, {'B', 'Z', 'h'}) && data.size() >= 10 && data[3] >= '1' && data[3] <= '9') {
    std::string_view rest = data.substr(4);
    return StartsWith(rest, {0x31, 0x41, 0x59, 0x26, 0x53, 0x59}) ||
           StartsWith(rest, {0x17, 0x72, 0x45, 0x38, 0x50, 0x90});
  }
  return false;
}

Status ArchiveError(const std::string& name, struct archive* a) {
  const char* text = archive_error_string(a);
  return DataLoss(name + ": corrupt compressed data: " + (text ? text : "unknown error"));
}

}  // namespace

InputStream::InputStream(int fd, bool owns_fd, std::string name, const InputStreamOptions& options)
    : fd_(fd), owns_fd_(owns_fd), name_(std::move(name)) {
  if (options.sha256) sha256_.emplace();
}

InputStream::~InputStream() {
  if (archive_ != nullptr) archive_read_free(archive_);
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<InputStream>> InputStream::Open(std::string_view path,
                                                       const InputStreamOptions& options) {
  const bool is_stdin = path == "-";
  std::string name = is_stdin ? "<stdin>" : std::string(path);
  int fd = STDIN_FILENO;
  if (!is_stdin) {
    do {
      fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return OpenError(name, errno);
  }
  std::unique_ptr<InputStream> stream(new InputStream(fd, !is_stdin, name, options));

  struct stat st;
  if (::fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) return InvalidArgument(name + ": is a folder, not a file");
    if (S_ISREG(st.st_mode)) (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }

  // Read ahead enough to sniff the format (a pipe may deliver it in pieces).
  std::string& prefix = stream->prefix_;
  prefix.resize(kReadAheadBytes);
  size_t have = 0;
  while (have < kSniffBytes) {
    ssize_t r;
    do {
      r = ::read(fd, prefix.data() + have, prefix.size() - have);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return Unavailable(name + ": read failed: " + ErrnoText(errno));
    if (r == 0) {
      stream->raw_eof_ = true;
      break;
    }
    have += static_cast<size_t>(r);
  }
  prefix.resize(have);
  FERRY_RETURN_IF_ERROR(stream->Init());
  return stream;
}

Result<std::unique_ptr<InputStream>> InputStream::FromMemory(std::string data, std::string name,
                                                             const InputStreamOptions& options) {
  std::unique_ptr<InputStream> stream(new InputStream(-1, false, std::move(name), options));
  stream->prefix_ = std::move(data);
  stream->raw_eof_ = true;
  FERRY_RETURN_IF_ERROR(stream->Init());
  return stream;
}

Status InputStream::Init() {
  if (!LooksCompressed(prefix_)) return Status::Ok();
  archive_ = archive_read_new();
  if (archive_ == nullptr) return Internal(name_ + ": cannot allocate a libarchive reader");
  // Only filters libarchive implements itself: never start an external
  // decompressor on untrusted input. Return values only warn; ignore them.
  (void)archive_read_support_filter_gzip(archive_);
  (void)archive_read_support_filter_bzip2(archive_);
  (void)archive_read_support_filter_xz(archive_);
  (void)archive_read_support_filter_lzma(archive_);
  (void)archive_read_support_filter_zstd(archive_);
  (void)archive_read_support_filter_compress(archive_);
  (void)archive_read_support_filter_lz4(archive_);
  (void)archive_read_support_filter_lzip(archive_);
  (void)archive_read_support_format_raw(archive_);
  (void)archive_read_support_format_empty(archive_);  // compressed empty data
  raw_buffer_.resize(kRawBlockBytes);
  if (archive_read_open(archive_, this, nullptr, &InputStream::ArchiveReadCallback, nullptr) !=
      ARCHIVE_OK) {
    if (!read_error_.ok()) return read_error_;
    return ArchiveError(name_, archive_);
  }
  struct archive_entry* entry = nullptr;
  int r = archive_read_next_header(archive_, &entry);
  if (r == ARCHIVE_EOF) {
    at_end_ = true;
  } else if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
    if (!read_error_.ok()) return read_error_;
    return ArchiveError(name_, archive_);
  }
  return Status::Ok();
}

Result<size_t> InputStream::Read(char* buf, size_t n) {
  if (n == 0 || at_end_) return size_t{0};
  n = std::min(n, kMaxReadBytes);
  if (archive_ == nullptr) {
    FERRY_ASSIGN_OR_RETURN(size_t got, ReadRaw(buf, n));
    if (got == 0) at_end_ = true;
    return got;
  }
  la_ssize_t got = archive_read_data(archive_, buf, n);
  if (got < 0) {
    if (!read_error_.ok()) return read_error_;
    return ArchiveError(name_, archive_);
  }
  if (got == 0) at_end_ = true;
  return static_cast<size_t>(got);
}

void InputStream::CountRaw(const char* data, size_t n) {
  bytes_read_ += n;
  if (sha256_) sha256_->Update(data, n);
}

Result<size_t> InputStream::ReadRaw(char* buf, size_t n) {
  if (prefix_pos_ < prefix_.size()) {
    size_t k = std::min(n, prefix_.size() - prefix_pos_);
    std::memcpy(buf, prefix_.data() + prefix_pos_, k);
    prefix_pos_ += k;
    CountRaw(buf, k);
    return k;
  }
  if (raw_eof_) return size_t{0};
  ssize_t r;
  do {
    r = ::read(fd_, buf, n);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return Unavailable(name_ + ": read failed: " + ErrnoText(errno));
  if (r == 0) raw_eof_ = true;
  CountRaw(buf, static_cast<size_t>(r));
  return static_cast<size_t>(r);
}

Result<size_t> InputStream::NextRawBlock(const char** data) {
  if (prefix_pos_ < prefix_.size()) {
    // Hand the read-ahead bytes to libarchive without copying; prefix_ stays alive.
    *data = prefix_.data() + prefix_pos_;
    size_t k = prefix_.size() - prefix_pos_;
    prefix_pos_ = prefix_.size();
    CountRaw(*data, k);
    return k;
  }
  *data = raw_buffer_.data();
  return ReadRaw(raw_buffer_.data(), raw_buffer_.size());
}

ssize_t InputStream::ArchiveReadCallback(struct archive* a, void* client, const void** buffer) {
  auto* self = static_cast<InputStream*>(client);
  const char* data = nullptr;
  Result<size_t> n = self->NextRawBlock(&data);
  if (!n.ok()) {
    self->read_error_ = n.status();
    archive_set_error(a, EIO, "%s", n.status().message().c_str());
    return -1;
  }
  *buffer = data;
  return static_cast<ssize_t>(*n);
}

Result<std::string> InputStream::RawSha256Hex() {
  if (!sha256_) return FailedPrecondition(name_ + ": opened without options.sha256");
  if (!sha256_hex_.empty()) return sha256_hex_;
  if (!at_end_) return FailedPrecondition(name_ + ": sha256 asked for before the end of the data");
  // The decoder may stop before the end of the source (trailing bytes): hash those too.
  std::vector<char> rest(kRawBlockBytes);
  while (true) {
    FERRY_ASSIGN_OR_RETURN(size_t n, ReadRaw(rest.data(), rest.size()));
    if (n == 0) break;
  }
  sha256_hex_ = sha256_->HexDigest();
  return sha256_hex_;
}

}  // namespace ferry::table

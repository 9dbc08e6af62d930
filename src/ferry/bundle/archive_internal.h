#pragma once

// What archive_pack.cc and archive_unpack.cc share: descriptors and libarchive handles that close
// themselves, error texts, path helpers. Internal to the bundle module.

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "ferry/base/status.h"

namespace ferry::bundle::archive_internal {

inline constexpr size_t kChunkBytes = size_t{1} << 16;
inline constexpr std::string_view kOnlyFilesAndFolders =
    "bundles hold only regular files and folders";

inline std::string ErrnoText(int err) { return std::strerror(err); }

inline std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  bool valid() const { return fd_ >= 0; }
  int get() const { return fd_; }
  // Closes now; returns close()'s errno, or 0.
  int Close() {
    int fd = std::exchange(fd_, -1);
    return (fd >= 0 && ::close(fd) != 0) ? errno : 0;
  }

 private:
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
};

struct ArchiveReadFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteFree {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct ArchiveEntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ArchiveReader = std::unique_ptr<struct archive, ArchiveReadFree>;
using ArchiveWriter = std::unique_ptr<struct archive, ArchiveWriteFree>;
using ArchiveEntry = std::unique_ptr<archive_entry, ArchiveEntryFree>;

inline std::string ArchiveErrorText(struct archive* a) {
  const char* msg = archive_error_string(a);
  return msg != nullptr ? msg : "unknown libarchive error";
}

// For write failures: libarchive says only "Write error"; the system's
// reason (e.g. "No space left on device") is in archive_errno.
inline std::string ArchiveWriteErrorText(struct archive* a) {
  std::string text = ArchiveErrorText(a);
  const int err = archive_errno(a);
  if (err > 0) text += std::string(" (") + std::strerror(err) + ")";
  return text;
}

// Removes a file or a whole tree when it goes out of scope, unless released.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(std::filesystem::path path) : path_(std::move(path)) {}
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;
  ~RemoveOnExit() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  void Release() { path_.clear(); }

 private:
  std::filesystem::path path_;
};

// `path` without a trailing separator ("out/" -> "out"), so that it has a file name.
inline std::filesystem::path WithoutTrailingSlash(const std::filesystem::path& path) {
  return path.has_filename() || !path.has_parent_path() ? path : path.parent_path();
}

inline std::filesystem::path ParentOf(const std::filesystem::path& path) {
  return path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
}

inline Status WriteAll(int fd, const char* data, size_t size, const std::string& what) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal("write " + what + ": " + ErrnoText(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

inline Status FsyncFolder(int dir_fd, const std::string& rel, const std::string& what) {
  UniqueFd fd(::openat(dir_fd, rel.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) {
    return Internal("fsync folder " + what + ": " + ErrnoText(errno));
  }
  return Status::Ok();
}

}  // namespace ferry::bundle::archive_internal

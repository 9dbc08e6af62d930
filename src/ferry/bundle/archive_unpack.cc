// Unpacking an untrusted tar archive into a fresh folder, safely (archive.h).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/files.h"
#include "ferry/base/result.h"
#include "ferry/bundle/archive.h"
#include "ferry/bundle/archive_internal.h"

namespace fs = std::filesystem;

namespace ferry::bundle {
namespace {

using namespace archive_internal;  // NOLINT(google-build-using-namespace): this file's helpers

// True for a folder entry that names the archive root itself ("." or "./"), as written by
// `tar -C dir -cf x.tar .`.
bool NamesRoot(std::string_view name) {
  if (name.empty()) return false;
  for (const fs::path& part : fs::path(name)) {
    if (!part.empty() && part != ".") return false;
  }
  return true;
}

// Refuses every entry type except regular files and folders.
Status CheckEntryType(archive_entry* entry, const std::string& name) {
  const std::string prefix = "archive entry " + Quote(name) + " is ";
  const std::string suffix = "; " + std::string(kOnlyFilesAndFolders);
  if (const char* target = archive_entry_hardlink(entry); target != nullptr) {
    return InvalidArgument(prefix + "a hard link (to " + Quote(target) + ")" + suffix);
  }
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
    case AE_IFDIR:
      return Status::Ok();
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      return InvalidArgument(prefix + "a symlink (to " + Quote(target ? target : "") + ")" +
                             suffix + ", never symlinks");
    }
    case AE_IFCHR:
      return InvalidArgument(prefix + "a character device" + suffix);
    case AE_IFBLK:
      return InvalidArgument(prefix + "a block device" + suffix);
    case AE_IFIFO:
      return InvalidArgument(prefix + "a FIFO" + suffix);
    case AE_IFSOCK:
      return InvalidArgument(prefix + "a socket" + suffix);
    default:
      return InvalidArgument(prefix + "of an unsupported type" + suffix);
  }
}

// Extracts the entries of one archive under a root folder (an open descriptor), enforcing the
// limits. Never follows symlinks, never writes over an existing file.
class Unpacker {
 public:
  Unpacker(const fs::path& archive_path, int root_fd, const UnpackOptions& options)
      : archive_path_(archive_path.string()), root_fd_(root_fd), options_(options) {}

  Status Run(int archive_fd);
  // fsyncs every folder created (the root included), so the tree is durable before a rename.
  Status SyncFolders() const;

 private:
  Status Extract(struct archive* a, archive_entry* entry);
  Result<uint64_t> ReserveDeclaredSize(archive_entry* entry, const std::string& name);
  // Opens (creating as needed) the folder made of the first `count` components of `parts`.
  Result<UniqueFd> OpenFolders(const std::vector<std::string>& parts, size_t count,
                               const std::string& name);
  Status CopyData(struct archive* a, int fd, uint64_t declared, const std::string& name);
  Status Corrupt(struct archive* a) const {
    return DataLoss(archive_path_ + ": corrupt or truncated archive: " + ArchiveErrorText(a));
  }

  const std::string archive_path_;
  const int root_fd_;
  const UnpackOptions options_;
  uint64_t entries_ = 0;
  uint64_t total_bytes_ = 0;  // declared sizes so far; never above options_.max_total_bytes
  std::set<std::string> seen_;
  std::vector<std::string> created_folders_;
  std::vector<char> buffer_ = std::vector<char>(kChunkBytes);
};

Status Unpacker::Run(int archive_fd) {
  ArchiveReader a(archive_read_new());
  if (a == nullptr) return Internal("archive_read_new failed");
  // Only filters libarchive implements itself: never start an external
  // decompressor (lzop, lrzip, grzip) on untrusted input.
  if (archive_read_support_filter_gzip(a.get()) < ARCHIVE_WARN ||
      archive_read_support_filter_bzip2(a.get()) < ARCHIVE_WARN ||
      archive_read_support_filter_xz(a.get()) < ARCHIVE_WARN ||
      archive_read_support_filter_lzma(a.get()) < ARCHIVE_WARN ||
      archive_read_support_filter_zstd(a.get()) != ARCHIVE_OK ||
      archive_read_support_format_tar(a.get()) != ARCHIVE_OK) {
    return Internal("cannot set up the archive reader: " + ArchiveErrorText(a.get()));
  }
  if (archive_read_open_fd(a.get(), archive_fd, kChunkBytes) != ARCHIVE_OK) return Corrupt(a.get());
  int64_t end_of_entries = 0;  // offset in the uncompressed tar stream just past the last entry
  while (true) {
    archive_entry* entry = nullptr;
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return Corrupt(a.get());
    if (++entries_ > options_.max_entries) {
      return OutOfRange(archive_path_ + " has more than " + std::to_string(options_.max_entries) +
                        " entries");
    }
    FERRY_RETURN_IF_ERROR(Extract(a.get(), entry));
    if (archive_read_data_skip(a.get()) != ARCHIVE_OK) return Corrupt(a.get());
    end_of_entries = archive_filter_bytes(a.get(), 0);
  }
  // libarchive accepts a tar that simply stops at an entry boundary; a complete one ends with a
  // zero block. Without this check an uncompressed tar cut there would lose files silently.
  if (archive_filter_bytes(a.get(), 0) < end_of_entries + 512) {
    return DataLoss(archive_path_ +
                    ": corrupt or truncated archive: it ends without the end-of-archive marker");
  }
  return Status::Ok();
}

Status Unpacker::Extract(struct archive* a, archive_entry* entry) {
  const char* raw = archive_entry_pathname(entry);
  if (raw == nullptr) raw = archive_entry_pathname_utf8(entry);
  if (raw == nullptr) {
    return InvalidArgument("archive entry #" + std::to_string(entries_) + " has no usable path");
  }
  const std::string name(raw);
  const bool is_dir = archive_entry_filetype(entry) == AE_IFDIR;
  if (is_dir && NamesRoot(name)) return Status::Ok();
  FERRY_ASSIGN_OR_RETURN(const fs::path rel, SafeRelativePath(name, "archive entry"));
  FERRY_RETURN_IF_ERROR(CheckEntryType(entry, name));
  FERRY_ASSIGN_OR_RETURN(const uint64_t declared, ReserveDeclaredSize(entry, name));
  if (!seen_.insert(rel.generic_string()).second) {
    return InvalidArgument("archive entry " + Quote(name) + " appears more than once");
  }

  std::vector<std::string> parts;
  for (const fs::path& part : rel) parts.push_back(part.string());
  if (is_dir) return OpenFolders(parts, parts.size(), name).status();

  FERRY_ASSIGN_OR_RETURN(UniqueFd parent, OpenFolders(parts, parts.size() - 1, name));
  UniqueFd out(::openat(parent.get(), parts.back().c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!out.valid()) {
    if (errno == EEXIST) {
      return InvalidArgument("archive entry " + Quote(name) +
                             " clashes with a folder of that name");
    }
    return Internal("cannot create " + Quote(name) + ": " + ErrnoText(errno));
  }
  if (::fchmod(out.get(), 0644) != 0) {
    return Internal("chmod " + Quote(name) + ": " + ErrnoText(errno));
  }
  FERRY_RETURN_IF_ERROR(CopyData(a, out.get(), declared, name));
  if (::fsync(out.get()) != 0) return Internal("fsync " + Quote(name) + ": " + ErrnoText(errno));
  if (int err = out.Close(); err != 0) {
    return Internal("close " + Quote(name) + ": " + ErrnoText(err));
  }
  return Status::Ok();
}

Result<uint64_t> Unpacker::ReserveDeclaredSize(archive_entry* entry, const std::string& name) {
  uint64_t declared = 0;
  if (archive_entry_size_is_set(entry)) {
    const int64_t size = archive_entry_size(entry);
    if (size < 0) return DataLoss("archive entry " + Quote(name) + " declares a negative size");
    declared = static_cast<uint64_t>(size);
  }
  if (declared > options_.max_entry_bytes) {
    return OutOfRange("archive entry " + Quote(name) + " declares " + std::to_string(declared) +
                      " bytes; the limit per file is " + std::to_string(options_.max_entry_bytes) +
                      " bytes");
  }
  if (declared > options_.max_total_bytes - total_bytes_) {
    return OutOfRange("archive entry " + Quote(name) +
                      " brings the unpacked size past the limit of " +
                      std::to_string(options_.max_total_bytes) + " bytes");
  }
  total_bytes_ += declared;
  return declared;
}

Result<UniqueFd> Unpacker::OpenFolders(const std::vector<std::string>& parts, size_t count,
                                       const std::string& name) {
  UniqueFd folder(::fcntl(root_fd_, F_DUPFD_CLOEXEC, 0));
  if (!folder.valid()) return Internal("dup: " + ErrnoText(errno));
  std::string sofar;
  for (size_t i = 0; i < count; ++i) {
    const std::string& part = parts[i];
    sofar = sofar.empty() ? part : sofar + "/" + part;
    const bool created = ::mkdirat(folder.get(), part.c_str(), 0755) == 0;
    if (!created && errno != EEXIST) {
      return Internal("cannot create folder " + Quote(sofar) + ": " + ErrnoText(errno));
    }
    UniqueFd next(
        ::openat(folder.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) {
      if (errno == ENOTDIR || errno == ELOOP) {
        return InvalidArgument("archive entry " + Quote(name) + " lies under " + Quote(sofar) +
                               ", which is not a folder");
      }
      return Internal("cannot open folder " + Quote(sofar) + ": " + ErrnoText(errno));
    }
    if (created) {
      if (::fchmod(next.get(), 0755) != 0) {
        return Internal("chmod " + Quote(sofar) + ": " + ErrnoText(errno));
      }
      created_folders_.push_back(sofar);
    }
    folder = std::move(next);
  }
  return folder;
}

Status Unpacker::CopyData(struct archive* a, int fd, uint64_t declared, const std::string& name) {
  uint64_t done = 0;
  while (true) {
    la_ssize_t n = archive_read_data(a, buffer_.data(), buffer_.size());
    if (n < 0) return Corrupt(a);
    if (n == 0) break;
    done += static_cast<uint64_t>(n);
    // The limits were checked against `declared`; data beyond it is never written.
    if (done > declared) {
      return OutOfRange("archive entry " + Quote(name) + " holds more than the " +
                        std::to_string(declared) + " bytes it declares");
    }
    FERRY_RETURN_IF_ERROR(WriteAll(fd, buffer_.data(), static_cast<size_t>(n), Quote(name)));
  }
  return Status::Ok();
}

Status Unpacker::SyncFolders() const {
  for (const std::string& rel : created_folders_) {
    FERRY_RETURN_IF_ERROR(FsyncFolder(root_fd_, rel, Quote(rel)));
  }
  return FsyncFolder(root_fd_, ".", "(root)");
}

// Renames `from` to `to`, failing with AlreadyExists instead of replacing anything at `to`.
Status RenameNoReplace(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::Ok();
  }
  int err = errno;
  if (err == EINVAL || err == ENOSYS) {  // file system without RENAME_NOREPLACE
    std::error_code ec;
    if (fs::exists(fs::symlink_status(to, ec))) {
      err = EEXIST;
    } else if (::rename(from.c_str(), to.c_str()) == 0) {
      return Status::Ok();
    } else {
      err = errno;
    }
  }
  if (err == EEXIST || err == ENOTEMPTY) {
    return AlreadyExists("cannot unpack into " + to.string() + ": it already exists");
  }
  return Internal("rename " + from.string() + " to " + to.string() + ": " + ErrnoText(err));
}

}  // namespace

Status UnpackArchive(const fs::path& archive_path, const fs::path& dest,
                     const UnpackOptions& options,
                     const std::function<Status(const fs::path&)>& validate) {
  const fs::path target = WithoutTrailingSlash(dest);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(target, ec))) {
    return AlreadyExists("cannot unpack into " + target.string() + ": it already exists");
  }
  const fs::path parent = ParentOf(target);
  if (!fs::is_directory(parent, ec)) {
    return NotFound("cannot unpack into " + target.string() + ": folder " + parent.string() +
                    " does not exist");
  }
  UniqueFd in(::open(archive_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) {
    return NotFound("cannot open archive " + archive_path.string() + ": " + ErrnoText(errno));
  }

  FERRY_ASSIGN_OR_RETURN(const fs::path tmp, MakeSiblingTempDir(target));
  RemoveOnExit cleanup(tmp);
  {
    UniqueFd root(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root.valid()) return Internal("cannot open " + tmp.string() + ": " + ErrnoText(errno));
    Unpacker unpacker(archive_path, root.get(), options);
    FERRY_RETURN_IF_ERROR(unpacker.Run(in.get()));
    if (::fchmod(root.get(), 0755) != 0) {
      return Internal("chmod " + tmp.string() + ": " + ErrnoText(errno));
    }
    FERRY_RETURN_IF_ERROR(unpacker.SyncFolders());
  }
  if (validate) FERRY_RETURN_IF_ERROR(validate(tmp));
  FERRY_RETURN_IF_ERROR(RenameNoReplace(tmp, target));
  cleanup.Release();
  return FsyncFolder(AT_FDCWD, parent.string(), parent.string());
}

}  // namespace ferry::bundle

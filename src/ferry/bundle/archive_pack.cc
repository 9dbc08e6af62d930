// Packing a folder into a reproducible zstd-compressed pax tar (archive.h).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

struct PackItem {
  std::string rel;  // '/'-separated, relative to the packed folder
  bool is_dir = false;
};

std::string_view KindOf(fs::file_type type) {
  switch (type) {
    case fs::file_type::symlink:
      return "a symlink";
    case fs::file_type::character:
      return "a character device";
    case fs::file_type::block:
      return "a block device";
    case fs::file_type::fifo:
      return "a FIFO";
    case fs::file_type::socket:
      return "a socket";
    default:
      return "of an unsupported type";
  }
}

// Appends every file and folder under `root`/`rel` to `items`; refuses anything else.
Status ListTree(const fs::path& root, const std::string& rel, std::vector<PackItem>& items) {
  const fs::path folder = rel.empty() ? root : root / rel;
  std::error_code ec;
  fs::directory_iterator it(folder, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string child = rel.empty() ? name : rel + "/" + name;
    const fs::file_status status = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_directory(status)) {
      items.push_back({child, true});
      FERRY_RETURN_IF_ERROR(ListTree(root, child, items));
    } else if (fs::is_regular_file(status)) {
      items.push_back({child, false});
    } else {
      return InvalidArgument("cannot pack " + root.string() + ": " + Quote(child) + " is " +
                             std::string(KindOf(status.type())) + "; " +
                             std::string(kOnlyFilesAndFolders));
    }
  }
  if (ec) return Internal("cannot list " + folder.string() + ": " + ec.message());
  return Status::Ok();
}

Status WriteHeader(struct archive* a, const std::string& rel, bool is_dir, int64_t size) {
  ArchiveEntry entry(archive_entry_new());
  if (entry == nullptr) return Internal("archive_entry_new failed");
  archive_entry_set_pathname(entry.get(), rel.c_str());
  archive_entry_set_filetype(entry.get(), is_dir ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(entry.get(), is_dir ? 0755 : 0644);
  archive_entry_set_size(entry.get(), size);
  archive_entry_set_mtime(entry.get(), 0, 0);
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  int rc = archive_write_header(a, entry.get());
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
    return Internal("cannot write the archive header of " + Quote(rel) + ": " +
                    ArchiveWriteErrorText(a));
  }
  return Status::Ok();
}

Status PackFile(struct archive* a, const fs::path& root, const std::string& rel,
                std::vector<char>& buffer) {
  const fs::path path = root / rel;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return Internal("cannot open " + path.string() + ": " + ErrnoText(errno));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0)
    return Internal("stat " + path.string() + ": " + ErrnoText(errno));
  const std::string changed =
      "cannot pack " + root.string() + ": " + Quote(rel) + " changed while being packed";
  if (!S_ISREG(st.st_mode)) return FailedPrecondition(changed);
  const auto declared = static_cast<uint64_t>(st.st_size);
  FERRY_RETURN_IF_ERROR(WriteHeader(a, rel, false, st.st_size));
  uint64_t done = 0;
  while (true) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal("read " + path.string() + ": " + ErrnoText(errno));
    }
    if (n == 0) break;
    done += static_cast<uint64_t>(n);
    if (done > declared) return FailedPrecondition(changed);
    if (archive_write_data(a, buffer.data(), static_cast<size_t>(n)) != n) {
      return Internal("cannot write " + Quote(rel) +
                      " into the archive: " + ArchiveWriteErrorText(a));
    }
  }
  if (done != declared) return FailedPrecondition(changed);
  return Status::Ok();
}

// Writes the tar stream for `items` (sorted) to `fd`.
Status WriteTar(int fd, const fs::path& root, const std::vector<PackItem>& items) {
  ArchiveWriter a(archive_write_new());
  if (a == nullptr) return Internal("archive_write_new failed");
  // ARCHIVE_WARN from the zstd filter means "using the external zstd program": still fine.
  if (archive_write_set_format_pax(a.get()) != ARCHIVE_OK ||
      archive_write_add_filter_zstd(a.get()) < ARCHIVE_WARN ||
      archive_write_set_filter_option(a.get(), "zstd", "compression-level", "3") != ARCHIVE_OK ||
      archive_write_open_fd(a.get(), fd) != ARCHIVE_OK) {
    return Internal("cannot start a zstd tar archive: " + ArchiveErrorText(a.get()));
  }
  std::vector<char> buffer(kChunkBytes);
  for (const PackItem& item : items) {
    if (item.is_dir) {
      FERRY_RETURN_IF_ERROR(WriteHeader(a.get(), item.rel, true, 0));
    } else {
      FERRY_RETURN_IF_ERROR(PackFile(a.get(), root, item.rel, buffer));
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return Internal("cannot finish the archive: " + ArchiveWriteErrorText(a.get()));
  }
  return Status::Ok();
}

Status CheckPackable(const fs::path& dir) {
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (!fs::exists(status)) return NotFound("cannot pack " + dir.string() + ": no such folder");
  if (!fs::is_directory(status)) {
    return InvalidArgument("cannot pack " + dir.string() + ": not a folder");
  }
  return Status::Ok();
}

// The folder's entries, sorted.
Result<std::vector<PackItem>> PackItems(const fs::path& dir) {
  std::vector<PackItem> items;
  FERRY_RETURN_IF_ERROR(ListTree(dir, "", items));
  std::sort(items.begin(), items.end(),
            [](const PackItem& x, const PackItem& y) { return x.rel < y.rel; });
  return items;
}

}  // namespace

Status WriteDirectoryArchive(const fs::path& dir, int fd) {
  FERRY_RETURN_IF_ERROR(CheckPackable(dir));
  FERRY_ASSIGN_OR_RETURN(std::vector<PackItem> items, PackItems(dir));
  return WriteTar(fd, dir, items);
}

Status PackDirectory(const fs::path& dir, const fs::path& archive_path) {
  FERRY_RETURN_IF_ERROR(CheckPackable(dir));
  const fs::path target = WithoutTrailingSlash(archive_path);
  if (IsWithin(dir, target)) {
    return InvalidArgument("cannot pack " + dir.string() + " into " + target.string() +
                           ", which lies inside it");
  }
  FERRY_ASSIGN_OR_RETURN(std::vector<PackItem> items, PackItems(dir));

  const fs::path parent = ParentOf(target);
  std::string tmp = TempSiblingTemplate(parent / target.filename());
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return NotFound("cannot write " + target.string() + ": folder " + parent.string() +
                      " does not exist");
    }
    return Internal("cannot create a temporary file in " + parent.string() + ": " +
                    ErrnoText(errno));
  }
  RemoveOnExit cleanup(tmp);
  FERRY_RETURN_IF_ERROR(WriteTar(fd.get(), dir, items));
  if (::fchmod(fd.get(), 0644) != 0 || ::fsync(fd.get()) != 0) {
    return Internal("fsync " + tmp + ": " + ErrnoText(errno));
  }
  if (int err = fd.Close(); err != 0) return Internal("close " + tmp + ": " + ErrnoText(err));
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    return Internal("rename " + tmp + " to " + target.string() + ": " + ErrnoText(errno));
  }
  cleanup.Release();
  return FsyncFolder(AT_FDCWD, parent.string(), parent.string());
}

}  // namespace ferry::bundle

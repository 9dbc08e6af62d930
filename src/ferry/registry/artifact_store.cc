#include "ferry/registry/artifact_store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "ferry/base/sha256.h"
#include "ferry/bundle/archive.h"

namespace fs = std::filesystem;

namespace ferry::registry {
namespace {

Status ErrnoStatus(const std::string& what, int err) {
  std::string msg = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) {
    return ResourceExhausted("disk full while storing a blob; nothing was registered: " + msg);
  }
  return Internal(msg);
}

Status FsyncPath(const fs::path& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return ErrnoStatus("open " + path.string(), errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus("fsync " + path.string(), err);
  return Status::Ok();
}

// Creates the shard folders 00..ff under `shards` that are missing and syncs
// `shards` once, so a new store pays one sync for its whole fan-out instead
// of one on each of its first blobs. Stops quietly at the first failure (a
// full disk, say): shards still missing are made when a blob needs them.
Status MakeEveryShard(const fs::path& shards) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 256; ++i) {
    const char name[3] = {kHex[i >> 4], kHex[i & 15], '\0'};
    if (::mkdir((shards / name).c_str(), 0755) != 0 && errno != EEXIST) break;
  }
  return FsyncPath(shards, true);
}

int64_t AgeSeconds(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(::time(nullptr)) - static_cast<int64_t>(st.st_mtime);
}

}  // namespace

bool ArtifactStore::IsValidSha256(const std::string& sha256) {
  if (sha256.size() != 64) return false;
  for (char c : sha256) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

fs::path ArtifactStore::BlobPath(const std::string& sha256) const {
  return root_ / "sha256" / sha256.substr(0, 2) / sha256;
}

bool ArtifactStore::Contains(const std::string& sha256) const {
  std::error_code ec;
  return IsValidSha256(sha256) && fs::is_regular_file(BlobPath(sha256), ec);
}

class ArtifactStore::TempFile {
 public:
  TempFile(fs::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  TempFile(TempFile&& other) noexcept
      : path_(std::exchange(other.path_, {})), fd_(std::exchange(other.fd_, -1)) {}
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  const fs::path& path() const { return path_; }
  int fd() const { return fd_; }
  // The file was renamed away: nothing to remove.
  void Release() { path_.clear(); }

 private:
  fs::path path_;
  int fd_;
};

Result<ArtifactStore::TempFile> ArtifactStore::NewTemp() const {
  std::error_code ec;
  fs::create_directories(root_ / "tmp", ec);
  if (ec) return ErrnoStatus("create " + (root_ / "tmp").string(), ec.value());
  std::string tmpl = (root_ / "tmp" / "blob-XXXXXX").string();
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("create a temporary file in " + (root_ / "tmp").string(), errno);
  return TempFile(fs::path(tmpl), fd);
}

Status ArtifactStore::MakeShardDir(const fs::path& shard) const {
  if (::mkdir(shard.c_str(), 0755) == 0) return MakeEveryShard(shard.parent_path());
  if (errno == EEXIST) return Status::Ok();
  if (errno != ENOENT) return ErrnoStatus("create " + shard.string(), errno);
  // The first blob: sha256/ itself is new too.
  std::error_code ec;
  fs::create_directories(shard.parent_path(), ec);
  if (ec) return ErrnoStatus("create " + shard.parent_path().string(), ec.value());
  FERRY_RETURN_IF_ERROR(FsyncPath(root_, true));
  if (::mkdir(shard.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoStatus("create " + shard.string(), errno);
  }
  return MakeEveryShard(shard.parent_path());
}

Result<BlobInfo> ArtifactStore::Adopt(TempFile& tmp, const std::string& sha256) const {
  struct stat st {};
  if (::fstat(tmp.fd(), &st) != 0) return ErrnoStatus("stat " + tmp.path().string(), errno);
  const auto bytes = static_cast<int64_t>(st.st_size);
  fs::path dest = BlobPath(sha256);
  std::error_code ec;
  if (fs::is_regular_file(dest, ec)) {
    // Refresh the mtime: gc must not take a blob someone is about to reference.
    if (::utimensat(AT_FDCWD, dest.c_str(), nullptr, 0) != 0) {
      return ErrnoStatus("touch " + dest.string(), errno);
    }
    return BlobInfo{sha256, bytes};
  }
  FERRY_RETURN_IF_ERROR(MakeShardDir(dest.parent_path()));
  if (::fdatasync(tmp.fd()) != 0) return ErrnoStatus("fsync " + tmp.path().string(), errno);
  if (::rename(tmp.path().c_str(), dest.c_str()) != 0) {
    return ErrnoStatus("rename into " + dest.string(), errno);
  }
  tmp.Release();
  FERRY_RETURN_IF_ERROR(FsyncPath(dest.parent_path(), true));
  return BlobInfo{sha256, bytes};
}

Result<BlobInfo> ArtifactStore::PutBundleDir(const fs::path& bundle_dir) {
  FERRY_ASSIGN_OR_RETURN(TempFile tmp, NewTemp());
  // The archive goes straight into the temporary file: Adopt's sync is its only one.
  Status s = bundle::WriteDirectoryArchive(bundle_dir, tmp.fd());
  if (!s.ok()) {
    if (s.message().find("No space") != std::string::npos) {
      return ResourceExhausted("disk full while storing a blob; nothing was registered: " +
                               s.message());
    }
    return s.WithContext("storing bundle");
  }
  FERRY_ASSIGN_OR_RETURN(std::string sha, Sha256File(tmp.path()));
  return Adopt(tmp, sha);
}

Result<BlobInfo> ArtifactStore::PutFile(const fs::path& file) {
  FERRY_ASSIGN_OR_RETURN(TempFile tmp, NewTemp());
  int in = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return NotFound("cannot open " + file.string() + ": " + std::strerror(errno));
  Sha256 hasher;
  Status s = Status::Ok();
  char buf[1 << 16];
  while (s.ok()) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = ErrnoStatus("read " + file.string(), errno);
    if (n <= 0) break;
    hasher.Update(buf, static_cast<size_t>(n));
    for (ssize_t off = 0; s.ok() && off < n;) {
      ssize_t w = ::write(tmp.fd(), buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) s = ErrnoStatus("write " + tmp.path().string(), errno);
      off += w > 0 ? w : 0;
    }
  }
  ::close(in);
  FERRY_RETURN_IF_ERROR(s);
  return Adopt(tmp, hasher.HexDigest());
}

Result<fs::path> ArtifactStore::VerifiedPath(const std::string& sha256) const {
  if (!IsValidSha256(sha256)) return InvalidArgument("'" + sha256 + "' is not a sha256 digest");
  fs::path p = BlobPath(sha256);
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return NotFound("blob " + sha256 + " is missing");
  FERRY_ASSIGN_OR_RETURN(std::string actual, Sha256File(p));
  if (actual != sha256) {
    return DataLoss("blob " + sha256 + " is corrupt: its contents hash to " + actual +
                    "; it will not be served");
  }
  return p;
}

Result<BlobListing> ArtifactStore::List() const {
  BlobListing out;
  std::error_code ec;
  fs::path tree = root_ / "sha256";
  if (fs::is_directory(tree, ec)) {
    for (auto it = fs::recursive_directory_iterator(tree, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory()) continue;
      std::string name = it->path().filename().string();
      std::string parent = it->path().parent_path().filename().string();
      if (it->is_regular_file() && IsValidSha256(name) && parent == name.substr(0, 2) &&
          it->path().parent_path().parent_path() == tree) {
        std::error_code size_ec;
        out.blobs.push_back({name, it->path(),
                             static_cast<int64_t>(fs::file_size(it->path(), size_ec)),
                             AgeSeconds(it->path())});
      } else {
        out.strays.push_back(it->path());
      }
    }
    if (ec) return Internal("listing " + tree.string() + ": " + ec.message());
  }
  fs::path tmp = root_ / "tmp";
  if (fs::is_directory(tmp, ec)) {
    for (const auto& e : fs::directory_iterator(tmp, ec)) {
      out.temps.emplace_back(e.path(), AgeSeconds(e.path()));
    }
  }
  return out;
}

Status ArtifactStore::Remove(const fs::path& path) const {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return Internal("remove " + path.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace ferry::registry

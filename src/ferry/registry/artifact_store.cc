#include "ferry/registry/artifact_store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

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

Result<fs::path> ArtifactStore::NewTempPath() const {
  std::error_code ec;
  fs::create_directories(root_ / "tmp", ec);
  if (ec) return ErrnoStatus("create " + (root_ / "tmp").string(), ec.value());
  std::string tmpl = (root_ / "tmp" / "blob-XXXXXX").string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return ErrnoStatus("create a temporary file in " + (root_ / "tmp").string(), errno);
  ::close(fd);
  return fs::path(tmpl);
}

Result<BlobInfo> ArtifactStore::Adopt(const fs::path& tmp, const std::string& sha256) const {
  std::error_code ec;
  auto bytes = static_cast<int64_t>(fs::file_size(tmp, ec));
  if (ec) return ErrnoStatus("stat " + tmp.string(), ec.value());
  fs::path dest = BlobPath(sha256);
  if (fs::is_regular_file(dest, ec)) {
    fs::remove(tmp, ec);
    // Refresh the mtime: gc must not take a blob someone is about to reference.
    if (::utimensat(AT_FDCWD, dest.c_str(), nullptr, 0) != 0) {
      return ErrnoStatus("touch " + dest.string(), errno);
    }
    return BlobInfo{sha256, bytes};
  }
  fs::create_directories(dest.parent_path(), ec);
  if (ec) {
    fs::remove(tmp, ec);
    return ErrnoStatus("create " + dest.parent_path().string(), ec.value());
  }
  Status s = FsyncPath(tmp, false);
  if (s.ok() && ::rename(tmp.c_str(), dest.c_str()) != 0) {
    s = ErrnoStatus("rename into " + dest.string(), errno);
  }
  if (s.ok()) s = FsyncPath(dest.parent_path(), true);
  if (!s.ok()) {
    fs::remove(tmp, ec);
    return s;
  }
  return BlobInfo{sha256, bytes};
}

Result<BlobInfo> ArtifactStore::PutBundleDir(const fs::path& bundle_dir) {
  FERRY_ASSIGN_OR_RETURN(fs::path tmp, NewTempPath());
  std::error_code ec;
  fs::remove(tmp, ec);  // PackDirectory writes its own temporary and renames onto `tmp`
  fs::path archive = tmp.string() + ".tar.zst";
  Status s = bundle::PackDirectory(bundle_dir, archive);
  if (!s.ok()) {
    fs::remove(archive, ec);
    if (s.message().find("No space") != std::string::npos) {
      return ResourceExhausted("disk full while storing a blob; nothing was registered: " +
                               s.message());
    }
    return s.WithContext("storing bundle");
  }
  Result<std::string> sha = Sha256File(archive);
  if (!sha.ok()) {
    fs::remove(archive, ec);
    return sha.status();
  }
  return Adopt(archive, *sha);
}

Result<BlobInfo> ArtifactStore::PutFile(const fs::path& file) {
  FERRY_ASSIGN_OR_RETURN(fs::path tmp, NewTempPath());
  std::error_code ec;
  int in = ::open(file.c_str(), O_RDONLY);
  if (in < 0) {
    fs::remove(tmp, ec);
    return NotFound("cannot open " + file.string() + ": " + std::strerror(errno));
  }
  int out = ::open(tmp.c_str(), O_WRONLY | O_TRUNC);
  Sha256 hasher;
  Status s = out < 0 ? ErrnoStatus("open " + tmp.string(), errno) : Status::Ok();
  char buf[1 << 16];
  while (s.ok()) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = ErrnoStatus("read " + file.string(), errno);
    if (n <= 0) break;
    hasher.Update(buf, static_cast<size_t>(n));
    for (ssize_t off = 0; s.ok() && off < n;) {
      ssize_t w = ::write(out, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) s = ErrnoStatus("write " + tmp.string(), errno);
      off += w > 0 ? w : 0;
    }
  }
  ::close(in);
  if (out >= 0) ::close(out);
  if (!s.ok()) {
    fs::remove(tmp, ec);
    return s;
  }
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

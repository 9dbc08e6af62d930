#include "ferry/base/files.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace fs = std::filesystem;

namespace ferry {

namespace {
std::string ErrnoText() { return std::strerror(errno); }

Status FsyncPath(const fs::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Internal("cannot open " + path.string() + ": " + ErrnoText());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Internal("fsync " + path.string() + ": " + ErrnoText());
  return Status::Ok();
}
}  // namespace

Result<std::string> ReadFile(const fs::path& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound("cannot open " + path.string() + ": " + ErrnoText());
  std::string out;
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return DataLoss("read " + path.string() + ": " + ErrnoText());
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return OutOfRange(path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

namespace {
// Writes all of `data` to fd; false on an error (errno set).
bool WriteAll(int fd, std::string_view data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}
}  // namespace

Status WriteFileAtomic(const fs::path& path, std::string_view data) {
  // Something that is not a regular file (/dev/null, /dev/stdout, a pipe) is written to as it
  // is: renaming over it would replace the device or pipe with a file.
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Internal("cannot open " + path.string() + ": " + ErrnoText());
    const bool written = WriteAll(fd, data);
    const std::string err = written ? "" : ErrnoText();
    ::close(fd);
    if (!written) return Internal("write " + path.string() + ": " + err);
    return Status::Ok();
  }
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::string tmpl = TempSiblingTemplate(path);
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0)
    return Internal("cannot create a temporary file in " + dir.string() + ": " + ErrnoText());
  if (!WriteAll(fd, data)) {
    std::string err = ErrnoText();
    ::close(fd);
    ::unlink(tmpl.c_str());
    return Internal("write " + path.string() + ": " + err);
  }
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) {
    std::string err = ErrnoText();
    ::close(fd);
    ::unlink(tmpl.c_str());
    return Internal("fsync " + path.string() + ": " + err);
  }
  ::close(fd);
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    std::string err = ErrnoText();
    ::unlink(tmpl.c_str());
    return Internal("rename to " + path.string() + ": " + err);
  }
  return FsyncPath(dir, O_RDONLY | O_DIRECTORY);
}

Result<fs::path> SafeRelativePath(std::string_view rel, std::string_view what) {
  std::string w(what);
  if (rel.empty()) return InvalidArgument(w + " is empty");
  if (rel.find('\0') != std::string_view::npos) return InvalidArgument(w + " contains a NUL byte");
  if (rel.front() == '/') {
    return InvalidArgument(w + " '" + std::string(rel) +
                           "' is absolute; expected a path inside the bundle");
  }
  fs::path p(rel);
  fs::path out;
  for (const auto& part : p) {
    std::string s = part.string();
    if (s == "..") {
      return InvalidArgument(w + " '" + std::string(rel) + "' escapes its folder ('..')");
    }
    if (s.empty() || s == ".") continue;
    out /= part;
  }
  if (out.empty()) return InvalidArgument(w + " '" + std::string(rel) + "' names no file");
  return out;
}

bool IsWithin(const fs::path& root, const fs::path& path) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(root, ec);
  if (ec) return false;
  fs::path p = fs::weakly_canonical(path, ec);
  if (ec) return false;
  auto ri = r.begin();
  auto pi = p.begin();
  for (; ri != r.end(); ++ri, ++pi) {
    if (pi == p.end() || *ri != *pi) return false;
  }
  return true;
}

std::string TempSiblingTemplate(const fs::path& target) {
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string name(".");
  name += target.filename().string();
  name += ".tmp-XXXXXX";
  return (dir / name).string();
}

Result<fs::path> MakeSiblingTempDir(const fs::path& target) {
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string tmpl = TempSiblingTemplate(target);
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return Internal("cannot create a temporary folder in " + dir.string() + ": " + ErrnoText());
  }
  return fs::path(tmpl);
}

}  // namespace ferry

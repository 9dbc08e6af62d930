#include "ferry/batch/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace ferry::batch {

ByteSource::~ByteSource() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<ByteSource>> ByteSource::Open(std::string_view path) {
  std::unique_ptr<ByteSource> s(new ByteSource());
  FERRY_ASSIGN_OR_RETURN(s->stream_, table::InputStream::Open(path));
  s->name_ = s->stream_->name();
  if (path == "-") return s;
  struct stat st;
  std::string p(path);
  if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    s->raw_size_ = static_cast<uint64_t>(st.st_size);
    if (!s->stream_->compressed()) {
      int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        return Unavailable(s->name_ + ": cannot open: " + std::strerror(errno));
      }
      s->fd_ = fd;
      s->size_ = s->raw_size_;
      s->stream_.reset();
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
  }
  return s;
}

uint64_t ByteSource::raw_position() const { return fd_ >= 0 ? position_ : stream_->bytes_read(); }

Status ByteSource::Seek(uint64_t offset) {
  if (fd_ >= 0) {
    position_ = offset;
    return Status::Ok();
  }
  if (offset < position_) {
    return FailedPrecondition(name_ + ": cannot go back to byte " + std::to_string(offset) +
                              " of a stream");
  }
  std::vector<char> scratch(size_t{1} << 20);
  while (position_ < offset) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(scratch.size(), offset - position_));
    FERRY_ASSIGN_OR_RETURN(size_t got, Read(scratch.data(), want));
    if (got == 0) {
      return FailedPrecondition(name_ + ": ends at byte " + std::to_string(position_) +
                                ", before byte " + std::to_string(offset));
    }
  }
  return Status::Ok();
}

Result<size_t> ByteSource::Read(char* buf, size_t n) {
  size_t got;
  if (fd_ >= 0) {
    FERRY_ASSIGN_OR_RETURN(got, ReadAt(position_, buf, n));
  } else {
    FERRY_ASSIGN_OR_RETURN(got, stream_->Read(buf, n));
  }
  position_ += got;
  return got;
}

Result<size_t> ByteSource::ReadAt(uint64_t offset, char* buf, size_t n) const {
  if (fd_ < 0) return FailedPrecondition(name_ + ": not a random-access file");
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd_, buf + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Unavailable(name_ + ": read failed: " + std::strerror(errno));
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

}  // namespace ferry::batch

#include "ferry/batch/output_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ferry/batch/checkpoint.h"

namespace ferry::batch {

namespace {

Result<int> OpenFile(const std::string& path, int flags, std::string_view what) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) {
    return InvalidArgument("cannot open " + std::string(what) + " " + path + ": " +
                           std::strerror(errno));
  }
  return fd;
}

Status Truncate(int fd, const std::string& path, uint64_t bytes) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Unavailable(path + ": " + std::strerror(errno));
  if (static_cast<uint64_t>(st.st_size) < bytes) {
    return InvalidArgument(path + " holds " + std::to_string(st.st_size) +
                           " bytes but the checkpoint recorded " + std::to_string(bytes) +
                           ": cannot resume");
  }
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0 ||
      ::lseek(fd, static_cast<off_t>(bytes), SEEK_SET) < 0) {
    return Unavailable(path + ": cannot truncate: " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

OutputSink::~OutputSink() {
  if (out_fd_ >= 0 && out_fd_ != STDOUT_FILENO) ::close(out_fd_);
  if (err_fd_ >= 0 && err_fd_ != STDERR_FILENO) ::close(err_fd_);
}

Result<std::unique_ptr<OutputSink>> OutputSink::Create(const std::string& output,
                                                       const std::string& errors_path) {
  std::unique_ptr<OutputSink> s(new OutputSink());
  s->errors_path_ = errors_path;
  if (output == "-") {
    s->out_fd_ = STDOUT_FILENO;
  } else {
    s->output_ = output;
    s->partial_ = PartialPath(output).string();
    FERRY_ASSIGN_OR_RETURN(s->out_fd_,
                           OpenFile(s->partial_, O_WRONLY | O_CREAT | O_TRUNC, "output"));
  }
  if (errors_path == "-") {
    s->err_fd_ = STDERR_FILENO;
  } else if (!errors_path.empty()) {
    FERRY_ASSIGN_OR_RETURN(s->err_fd_,
                           OpenFile(errors_path, O_WRONLY | O_CREAT | O_TRUNC, "errors file"));
  }
  return s;
}

Result<std::unique_ptr<OutputSink>> OutputSink::Reopen(const std::string& output,
                                                       const std::string& errors_path,
                                                       uint64_t output_bytes,
                                                       uint64_t errors_bytes) {
  std::unique_ptr<OutputSink> s(new OutputSink());
  s->errors_path_ = errors_path;
  s->output_ = output;
  s->partial_ = PartialPath(output).string();
  FERRY_ASSIGN_OR_RETURN(s->out_fd_, OpenFile(s->partial_, O_WRONLY, "partial output"));
  FERRY_RETURN_IF_ERROR(Truncate(s->out_fd_, s->partial_, output_bytes));
  s->output_bytes_ = output_bytes;
  if (errors_path == "-") {
    s->err_fd_ = STDERR_FILENO;
  } else if (!errors_path.empty()) {
    FERRY_ASSIGN_OR_RETURN(s->err_fd_, OpenFile(errors_path, O_WRONLY | O_CREAT, "errors file"));
    FERRY_RETURN_IF_ERROR(Truncate(s->err_fd_, errors_path, errors_bytes));
    s->errors_bytes_ = errors_bytes;
  }
  return s;
}

Status OutputSink::WriteErrors(std::string_view bytes) {
  if (err_fd_ < 0) return Status::Ok();
  return WriteAll(err_fd_, bytes, &errors_bytes_);
}

Status OutputSink::WriteAll(int fd, std::string_view bytes, uint64_t* counter) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Unavailable(std::string("write failed: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(w);
  }
  *counter += bytes.size();
  return Status::Ok();
}

Status OutputSink::Sync() {
  if (!partial_.empty() && ::fdatasync(out_fd_) != 0) {
    return Unavailable(partial_ + ": fdatasync failed: " + std::strerror(errno));
  }
  if (err_fd_ >= 0 && err_fd_ != STDERR_FILENO && ::fdatasync(err_fd_) != 0) {
    return Unavailable(errors_path_ + ": fdatasync failed: " + std::strerror(errno));
  }
  return Status::Ok();
}

Status OutputSink::Commit() {
  FERRY_RETURN_IF_ERROR(Sync());
  if (err_fd_ >= 0 && err_fd_ != STDERR_FILENO) {
    ::close(err_fd_);
    err_fd_ = -1;
    if (errors_bytes_ == 0) ::unlink(errors_path_.c_str());
  }
  if (partial_.empty()) return Status::Ok();
  ::close(out_fd_);
  out_fd_ = -1;
  if (::rename(partial_.c_str(), output_.c_str()) != 0) {
    return Unavailable("cannot rename " + partial_ + " to " + output_ + ": " +
                       std::strerror(errno));
  }
  std::string dir = std::filesystem::path(output_).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

void OutputSink::Abandon() {
  if (!partial_.empty()) ::unlink(partial_.c_str());
}

}  // namespace ferry::batch

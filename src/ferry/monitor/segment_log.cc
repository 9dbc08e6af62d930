#include "ferry/monitor/segment_log.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "ferry/base/wall_clock.h"

namespace ferry::monitor {
namespace {

namespace fs = std::filesystem;

Status Errno(std::string_view what, const fs::path& path) {
  return Internal(std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status FsyncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open folder", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("cannot fsync folder", dir);
  return Status::Ok();
}

}  // namespace

SegmentLog::SegmentLog(fs::path dir, SegmentLogOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {
  if (!options_.now_ms) options_.now_ms = WallClockMs;
}

SegmentLog::~SegmentLog() {
  if (fd_ >= 0) {
    (void)WriteAll(fd_, buffer_, dir_ / kOpenSegmentName);
    ::close(fd_);
  }
}

Result<std::unique_ptr<SegmentLog>> SegmentLog::Open(const fs::path& dir,
                                                     SegmentLogOptions options) {
  if (options.max_segment_bytes == 0) return InvalidArgument("max_segment_bytes must be positive");
  if (options.max_segment_age_ms < 0 || options.retention_age_ms < 0) {
    return InvalidArgument("segment and retention ages must not be negative");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Internal("cannot create " + dir.string() + ": " + ec.message());
  std::unique_ptr<SegmentLog> log(new SegmentLog(dir, std::move(options)));
  FERRY_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments, ListSegments(dir));
  for (const SegmentInfo& s : segments) log->next_seq_ = std::max(log->next_seq_, s.seq + 1);
  FERRY_RETURN_IF_ERROR(log->RecoverLeftover());
  FERRY_RETURN_IF_ERROR(log->ApplyRetention());
  return log;
}

Status SegmentLog::RecoverLeftover() {
  fs::path open_path = dir_ / kOpenSegmentName;
  std::error_code ec;
  if (!fs::exists(open_path, ec)) return Status::Ok();
  FERRY_ASSIGN_OR_RETURN(SegmentContents c, ReadSegment(open_path));
  if (c.records.empty()) {
    fs::remove(open_path, ec);
    if (ec) return Internal("cannot remove " + open_path.string() + ": " + ec.message());
    return FsyncDir(dir_);
  }
  fs::path target = dir_ / (std::to_string(c.records.front().time_ms) + "-" +
                            std::to_string(next_seq_++) + ".seg");
  fs::rename(open_path, target, ec);
  if (ec) return Internal("cannot rename " + open_path.string() + ": " + ec.message());
  return FsyncDir(dir_);
}

Status SegmentLog::OpenSegment(int64_t first_time_ms) {
  FERRY_RETURN_IF_ERROR(RecoverLeftover());  // left by a failed rotation: never truncate it
  fs::path path = dir_ / kOpenSegmentName;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return Errno("cannot create", path);
  first_time_ms_ = first_time_ms;
  opened_at_ms_ = options_.now_ms();
  // A random nonce, so that no two segments begin with the same bytes.
  uint64_t nonce = 0;
  if (sodium_init() >= 0) randombytes_buf(&nonce, sizeof nonce);
  buffer_ = SegmentStart(opened_at_ms_, nonce ^ next_seq_);
  for (const std::string& schema : schemas_) buffer_ += schema;
  segment_bytes_ = buffer_.size();
  return Status::Ok();
}

void SegmentLog::Buffer(std::string_view frames) {
  buffer_ += frames;
  segment_bytes_ += frames.size();
}

Status SegmentLog::Append(const PredictionRecord& record, bool validate_json) {
  std::string frame;
  FERRY_RETURN_IF_ERROR(AppendRecord(record, validate_json, &frame));
  return AppendFrames(frame, record.time_ms, record.time_ms);
}

Status SegmentLog::AppendFrames(std::string_view frames, int64_t first_time_ms,
                                int64_t last_time_ms) {
  if (frames.empty()) return Status::Ok();
  FERRY_RETURN_IF_ERROR(RotateIfExpired());
  if (fd_ < 0) FERRY_RETURN_IF_ERROR(OpenSegment(first_time_ms));
  Buffer(frames);
  last_time_ms_ = last_time_ms;
  if (segment_bytes_ >= options_.max_segment_bytes) return Rotate();
  if (buffer_.size() >= (64u << 10)) return Flush();
  return Status::Ok();
}

void SegmentLog::AddSchema(std::string frame) {
  if (fd_ >= 0) Buffer(frame);
  schemas_.push_back(std::move(frame));
}

Status SegmentLog::RotateIfExpired() {
  if (fd_ >= 0 && options_.max_segment_age_ms > 0 &&
      options_.now_ms() - opened_at_ms_ >= options_.max_segment_age_ms) {
    return Rotate();
  }
  return Status::Ok();
}

Status SegmentLog::Flush() {
  if (fd_ < 0 || buffer_.empty()) return Status::Ok();
  Status s = WriteAll(fd_, buffer_, dir_ / kOpenSegmentName);
  buffer_.clear();
  if (!s.ok()) Abandon();
  return s;
}

void SegmentLog::Abandon() {
  // The file may end in a partial frame: later records must not follow it.
  ::close(fd_);
  fd_ = -1;
  (void)RecoverLeftover();
}

Status SegmentLog::Rotate() {
  if (fd_ < 0) return Status::Ok();
  FERRY_RETURN_IF_ERROR(Flush());
  fs::path open_path = dir_ / kOpenSegmentName;
  if (::fsync(fd_) != 0) {
    Status s = Errno("cannot fsync", open_path);
    Abandon();
    return s;
  }
  ::close(fd_);
  fd_ = -1;
  fs::path target =
      dir_ / (std::to_string(first_time_ms_) + "-" + std::to_string(next_seq_++) + ".seg");
  std::error_code ec;
  fs::rename(open_path, target, ec);
  if (ec) return Internal("cannot rename " + open_path.string() + ": " + ec.message());
  FERRY_RETURN_IF_ERROR(FsyncDir(dir_));
  have_last_rotated_ = true;
  last_rotated_end_ms_ = last_time_ms_;
  return ApplyRetention();
}

Status SegmentLog::ApplyRetention() {
  if (options_.retention_bytes == 0 && options_.retention_age_ms == 0) return Status::Ok();
  FERRY_ASSIGN_OR_RETURN(std::vector<SegmentInfo> all, ListSegments(dir_));
  std::vector<SegmentInfo> rotated;
  for (const SegmentInfo& s : all) {
    if (!s.open) rotated.push_back(s);
  }
  std::vector<bool> remove(rotated.size(), false);
  if (options_.retention_age_ms > 0) {
    int64_t cutoff = options_.now_ms() - options_.retention_age_ms;
    for (size_t i = 0; i < rotated.size(); ++i) {
      bool expired = i + 1 < rotated.size() ? rotated[i + 1].first_time_ms <= cutoff
                                            : have_last_rotated_ && last_rotated_end_ms_ <= cutoff;
      if (expired) remove[i] = true;
    }
  }
  if (options_.retention_bytes > 0) {
    uint64_t total = 0;
    for (size_t i = 0; i < rotated.size(); ++i) {
      if (!remove[i]) total += rotated[i].size_bytes;
    }
    for (size_t i = 0; i < rotated.size() && total > options_.retention_bytes; ++i) {
      if (remove[i]) continue;
      remove[i] = true;
      total -= rotated[i].size_bytes;
    }
  }
  bool removed_any = false;
  for (size_t i = 0; i < rotated.size(); ++i) {
    if (!remove[i]) continue;
    std::error_code ec;
    fs::remove(rotated[i].path, ec);
    if (ec) return Internal("cannot remove " + rotated[i].path.string() + ": " + ec.message());
    removed_any = true;
  }
  return removed_any ? FsyncDir(dir_) : Status::Ok();
}

}  // namespace ferry::monitor

#include "ferry/monitor/log_cursor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace ferry::monitor {
namespace {

namespace fs = std::filesystem;

constexpr int kForgetAfterPolls = 3;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status Errno(std::string_view what, const fs::path& path) {
  return Internal(std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

// Reads up to out->size() bytes at `offset`; shrinks `out` to what was read.
Status ReadAt(int fd, uint64_t offset, std::string* out, const fs::path& path) {
  size_t done = 0;
  while (done < out->size()) {
    ssize_t n =
        ::pread(fd, out->data() + done, out->size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot read", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out->resize(done);
  return Status::Ok();
}

// "at byte N: why" (N relative to the parsed bytes) → "why".
std::string Reason(const std::string& tail_error) {
  if (tail_error.starts_with("at byte ")) {
    size_t colon = tail_error.find(": ");
    if (colon != std::string::npos) return tail_error.substr(colon + 2);
  }
  return tail_error;
}

}  // namespace

LogCursor::LogCursor(fs::path dir, int64_t since_ms, int64_t until_ms)
    : dir_(std::move(dir)), since_ms_(since_ms), until_ms_(until_ms) {}

Status LogCursor::Poll(const std::function<void(PredictionRecord&&)>& sink) {
  for (auto& [key, state] : files_) ++state.unseen_polls;
  pending_bytes_ = 0;
  // current.open is opened before the folder is listed: every segment rotated
  // before it was created is then in the listing, so reading the listed
  // rotated segments first and this file last keeps the segment order even
  // when a rotation happens meanwhile.
  fs::path open_path = dir_ / kOpenSegmentName;
  Fd open_fd(::open(open_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (open_fd.get() < 0 && errno != ENOENT && errno != ENOTDIR) {
    return Errno("cannot open", open_path);
  }
  FERRY_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments, ListSegments(dir_));
  for (const SegmentInfo& segment : segments) {
    if (segment.open) continue;
    Fd fd(OpenUnlessDone(segment.path));
    if (fd.get() == kDone) continue;
    if (fd.get() < 0) {
      if (errno == ENOENT) continue;  // expired since the listing
      return Errno("cannot open", segment.path);
    }
    FERRY_RETURN_IF_ERROR(ReadSegmentFile(segment.path, fd.get(), /*open=*/false, sink));
  }
  if (open_fd.get() >= 0) {
    FERRY_RETURN_IF_ERROR(ReadSegmentFile(open_path, open_fd.get(), /*open=*/true, sink));
  }
  std::erase_if(files_,
                [](const auto& entry) { return entry.second.unseen_polls >= kForgetAfterPolls; });
  return Status::Ok();
}

Status LogCursor::PollLast(uint64_t n, const std::function<void(PredictionRecord&&)>& sink) {
  for (auto& [key, state] : files_) ++state.unseen_polls;
  pending_bytes_ = 0;
  fs::path open_path = dir_ / kOpenSegmentName;  // opened before the listing, as in Poll
  Fd open_fd(::open(open_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (open_fd.get() < 0 && errno != ENOENT && errno != ENOTDIR) {
    return Errno("cannot open", open_path);
  }
  FERRY_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments, ListSegments(dir_));
  // One group per file, newest first. current.open may be rotated after it
  // was opened and be listed again under its new name: same file, same group.
  std::vector<std::vector<PredictionRecord>> newest_first;
  std::map<FileKey, size_t> group_of;
  uint64_t have = 0;
  auto collect = [&](const fs::path& path, int fd, bool open) -> Status {
    struct stat st;
    if (::fstat(fd, &st) != 0) return Errno("cannot stat", path);
    auto [it, added] = group_of.emplace(FileKey(st.st_dev, st.st_ino), newest_first.size());
    if (added) newest_first.emplace_back();
    std::vector<PredictionRecord>& group = newest_first[it->second];
    size_t before = group.size();
    FERRY_RETURN_IF_ERROR(ReadSegmentFile(
        path, fd, open, [&](PredictionRecord&& r) { group.push_back(std::move(r)); }));
    have += group.size() - before;
    return Status::Ok();
  };
  if (open_fd.get() >= 0) FERRY_RETURN_IF_ERROR(collect(open_path, open_fd.get(), true));
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    if (it->open) continue;
    if (have >= n) {
      MarkDone(it->path);
      continue;
    }
    Fd fd(OpenUnlessDone(it->path));
    if (fd.get() == kDone) continue;
    if (fd.get() < 0) {
      if (errno == ENOENT) continue;
      return Errno("cannot open", it->path);
    }
    FERRY_RETURN_IF_ERROR(collect(it->path, fd.get(), false));
  }
  uint64_t drop = have > n ? have - n : 0;
  for (auto group = newest_first.rbegin(); group != newest_first.rend(); ++group) {
    for (PredictionRecord& r : *group) {
      if (drop > 0) {
        --drop;
      } else {
        sink(std::move(r));
      }
    }
  }
  std::erase_if(files_,
                [](const auto& entry) { return entry.second.unseen_polls >= kForgetAfterPolls; });
  return Status::Ok();
}

void LogCursor::MarkDone(const fs::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return;  // expired since the listing
  FileState& state = files_[FileKey(st.st_dev, st.st_ino)];
  state = FileState{};
  state.done = true;
  state.name = path.filename().string();
}

int LogCursor::OpenUnlessDone(const fs::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    auto known = files_.find(FileKey(st.st_dev, st.st_ino));
    if (known != files_.end() && known->second.done &&
        known->second.name == path.filename().string()) {
      known->second.unseen_polls = 0;
      return kDone;
    }
  }
  return ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

Status LogCursor::ReadSegmentFile(const fs::path& path, int fd, bool open,
                                  const std::function<void(PredictionRecord&&)>& sink) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Errno("cannot stat", path);
  FileKey key(st.st_dev, st.st_ino);
  FileState& state = files_[key];
  std::string name = path.filename().string();
  state.unseen_polls = 0;
  auto first_frame = [&]() -> Result<std::string> {
    std::string first(kRecordFrameBytes, '\0');
    FERRY_RETURN_IF_ERROR(ReadAt(fd, kSegmentHeaderBytes, &first, path));
    return first;
  };
  if (state.done) {
    // Read already: a rotated segment keeps its name until deleted, and the
    // current.open opened before the listing may have been rotated and read
    // under its new name meanwhile. Anything else reuses a deleted one's inode.
    bool same = !open && state.name == name;
    if (open && !state.first_frame.empty()) {
      FERRY_ASSIGN_OR_RETURN(std::string first, first_frame());
      same = first == state.first_frame;
    }
    if (same) return Status::Ok();
    state = FileState{};
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (state.offset > 0) {
    FERRY_ASSIGN_OR_RETURN(std::string first, first_frame());
    if (first != state.first_frame || size < state.offset) state = FileState{};  // a reused inode
  }
  // Parse from the first unread frame (from the header the first time).
  std::string bytes(size - state.offset, '\0');
  FERRY_RETURN_IF_ERROR(ReadAt(fd, state.offset, &bytes, path));
  const uint64_t base = state.offset;
  SegmentContents contents = ParseSegmentPart(bytes, &state.read, since_ms_);
  uint64_t end = base + bytes.size() - contents.skipped_bytes;
  if (end > kSegmentHeaderBytes) {
    if (state.first_frame.empty())
      state.first_frame = bytes.substr(kSegmentHeaderBytes, kRecordFrameBytes);
    state.offset = end;
  } else {
    state.read = SegmentReadState{};  // the header alone, perhaps still being written
  }
  for (PredictionRecord& r : contents.records) {
    if (r.time_ms <= until_ms_) sink(std::move(r));
  }
  if (contents.skipped_bytes > 0) {
    last_tail_error_ =
        name + ": at byte " + std::to_string(end) + ": " + Reason(contents.tail_error);
  }
  if (open) {
    pending_bytes_ += contents.skipped_bytes;
  } else {
    skipped_bytes_ += contents.skipped_bytes;
    state.done = true;
    state.name = std::move(name);
  }
  return Status::Ok();
}

}  // namespace ferry::monitor

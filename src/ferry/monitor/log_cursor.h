#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "ferry/base/status.h"
#include "ferry/monitor/prediction_log.h"

namespace ferry::monitor {

// Reads one model's prediction-log folder incrementally, while a SegmentLog
// may be writing, rotating and expiring segments in it (`ferry logs tail
// --follow`, `ferry logs export`). Not thread-safe; one cursor per reader.
//
// Files are followed by identity (device, inode, and the first record frame,
// so a reused inode is seen as a new file), not by name: when current.open is
// rotated to "<t>-<seq>.seg" between two polls, reading resumes where it
// stopped. Over the cursor's life each record is passed at most once, and
// every record that was in a segment at some poll and not expired by
// retention before the poll that would have read it is passed.
class LogCursor {
 public:
  // Records with since_ms <= time_ms <= until_ms are passed; the others are
  // read and dropped.
  explicit LogCursor(std::filesystem::path dir,
                     int64_t since_ms = std::numeric_limits<int64_t>::min(),
                     int64_t until_ms = std::numeric_limits<int64_t>::max());

  // Passes every record written since the previous call (everything on the
  // first call) to `sink`, in segment order. An absent folder holds no record.
  // A bad frame in a rotated segment ends that segment for good (its bytes go
  // to skipped_bytes()); in current.open it may be a write in progress, so it
  // is read again next time (its bytes are pending_bytes() until then).
  // NotFound when `dir` is not a folder; Internal on a read error.
  Status Poll(const std::function<void(PredictionRecord&&)>& sink);
  // As Poll, but passes only the last `n` of those records (in order), reading
  // segments from the newest back until it has them: older unread segments
  // are marked read without being opened, so `tail -n` costs what it prints.
  Status PollLast(uint64_t n, const std::function<void(PredictionRecord&&)>& sink);

  // Bytes of torn or corrupt tails skipped in rotated segments so far.
  uint64_t skipped_bytes() const { return skipped_bytes_; }
  // Bytes at the end of current.open not readable as records at the last Poll.
  uint64_t pending_bytes() const { return pending_bytes_; }
  // Why the last skip happened ("<file>: at byte N: checksum mismatch").
  const std::string& last_tail_error() const { return last_tail_error_; }

 private:
  using FileKey = std::pair<dev_t, ino_t>;
  struct FileState {
    uint64_t offset = 0;      // file bytes consumed; 0 = no record yet
    std::string first_frame;  // bytes [8, 20) once a record was read
    bool done = false;        // a rotated segment read to its end
    std::string name;         // its file name, once done
    int unseen_polls = 0;     // polls whose listing did not show the file
    SegmentReadState read;    // what the records up to `offset` defined
  };
  static constexpr int kDone = -2;
  // An open descriptor, -1 (errno set), or kDone for a rotated segment read
  // to its end.
  int OpenUnlessDone(const std::filesystem::path& path);
  // Marks a rotated segment read without reading it.
  void MarkDone(const std::filesystem::path& path);
  // Reads the unread part of the file `fd` refers to; `open` for current.open.
  Status ReadSegmentFile(const std::filesystem::path& path, int fd, bool open,
                         const std::function<void(PredictionRecord&&)>& sink);

  std::filesystem::path dir_;
  int64_t since_ms_;
  int64_t until_ms_;
  std::map<FileKey, FileState> files_;
  uint64_t skipped_bytes_ = 0;
  uint64_t pending_bytes_ = 0;
  std::string last_tail_error_;
};

}  // namespace ferry::monitor

#pragma once

// Writing a model's prediction log: segment files in one folder, rotated by
// size and age, with retention (the format is in prediction_log.h).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/base/status.h"
#include "ferry/monitor/prediction_log.h"

namespace ferry::monitor {

struct SegmentLogOptions {
  uint64_t max_segment_bytes = 64u << 20;  // rotate once the segment reaches this size
  int64_t max_segment_age_ms = 3'600'000;  // rotate when older (0 = never by age)
  uint64_t retention_bytes = 0;            // keep rotated segments up to this total (0 = all)
  int64_t retention_age_ms = 0;            // delete segments whose records are older (0 = keep)
  std::function<int64_t()> now_ms;         // defaults to the system clock
};

// Appends records to <dir>/current.open and rotates it to
// "<first_time_ms>-<seq>.seg" (flush, fsync, rename, fsync of the folder):
// a record is durable once its segment is rotated. Not thread-safe (one
// writer; PredictionLogger owns one on its thread).
//
// Retention runs after each rotation (and at Open): oldest rotated segments go
// first while their total exceeds retention_bytes; a rotated segment is expired
// when the segment after it started at or before now - retention_age_ms (the
// newest rotated one: when its last record is that old, if this process wrote it).
class SegmentLog {
 public:
  // Creates the folder if needed. A leftover current.open (a crash) is rotated
  // first, torn tail and all (deleted instead if it holds no record).
  static Result<std::unique_ptr<SegmentLog>> Open(const std::filesystem::path& dir,
                                                  SegmentLogOptions options);
  ~SegmentLog();  // flushes and closes current.open without rotating
  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;

  // Rotates first if the open segment is too old; then buffers the record and
  // rotates if the segment reached max_segment_bytes.
  // `validate_json` as for AppendRecord.
  Status Append(const PredictionRecord& record, bool validate_json = true);
  // Appends records already framed (AppendRecord, AppendRowRecord) whose
  // times span [first_time_ms, last_time_ms]; rotates as Append, by size
  // after the whole run. Rows must refer to schemas added before.
  Status AppendFrames(std::string_view frames, int64_t first_time_ms, int64_t last_time_ms);
  // A framed schema record (AppendSchemaRecord) to write at the start of every
  // segment from now on, and now into the open one.
  void AddSchema(std::string frame);
  // Rotates the open segment if it is older than max_segment_age_ms.
  Status RotateIfExpired();
  // Writes buffered bytes to current.open (no fsync). After a write error the
  // segment is closed and rotated as is (its torn tail is skipped by readers).
  Status Flush();
  // Rotates the open segment now (no-op when none is open).
  Status Rotate();

  const std::filesystem::path& dir() const { return dir_; }

 private:
  SegmentLog(std::filesystem::path dir, SegmentLogOptions options);
  Status OpenSegment(int64_t first_time_ms);
  // Buffers `frames` into the open segment, counting their bytes.
  void Buffer(std::string_view frames);
  Status RecoverLeftover();
  // Closes current.open after a write error and rotates it as a crash leftover.
  void Abandon();
  Status ApplyRetention();

  std::filesystem::path dir_;
  SegmentLogOptions options_;
  int fd_ = -1;
  std::string buffer_;
  uint64_t segment_bytes_ = 0;  // written + buffered
  int64_t first_time_ms_ = 0;
  int64_t opened_at_ms_ = 0;
  int64_t last_time_ms_ = 0;
  bool have_last_rotated_ = false;
  int64_t last_rotated_end_ms_ = 0;  // last record time of the newest rotated segment
  uint64_t next_seq_ = 1;
  std::vector<std::string> schemas_;  // framed schema records
};

}  // namespace ferry::monitor

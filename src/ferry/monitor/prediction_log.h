#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/base/status.h"

namespace ferry::monitor {

// One served prediction. inputs_json / outputs_json are JSON texts given by
// the caller (validated when appended; read back byte for byte).
struct PredictionRecord {
  int64_t time_ms = 0;
  std::string model;
  int64_t version = 0;
  std::string key;
  std::string inputs_json;
  std::string outputs_json;
  int64_t latency_us = 0;

  bool operator==(const PredictionRecord&) const = default;
};

// Segment file format (little-endian):
//   header: "FPLG" + u32 format version (1)
//   record: [u32 payload length][u64 checksum][payload]
// checksum = libsodium crypto_shorthash (SipHash-2-4) of the payload with the
// fixed 16-byte key kChecksumKey, the 8 output bytes stored as they come.
// payload = one compact JSON object:
//   {"time_ms":..,"model":"..","version":..,"key":"..","inputs":<json>,
//    "outputs":<json>,"latency_us":..}
inline constexpr std::string_view kSegmentMagic = "FPLG";
inline constexpr uint32_t kSegmentFormatVersion = 1;
inline constexpr size_t kSegmentHeaderBytes = 8;
inline constexpr size_t kRecordFrameBytes = 12;
inline constexpr std::string_view kChecksumKey = "ferry-predlog-k1";
// Longest payload accepted by the writer and believed by the reader.
inline constexpr uint32_t kMaxPayloadBytes = 16u << 20;
inline constexpr std::string_view kOpenSegmentName = "current.open";

// The framed bytes of one record. InvalidArgument if inputs/outputs are not
// valid JSON or the payload exceeds kMaxPayloadBytes.
Result<std::string> EncodeRecord(const PredictionRecord& record);
// Appends the framed bytes to `out` (nothing on error). `validate_json`
// false trusts inputs/outputs to be JSON (a producer that writes them itself).
Status AppendRecord(const PredictionRecord& record, bool validate_json, std::string* out);

// Parses one payload (no frame). InvalidArgument when it is not a record.
Result<PredictionRecord> DecodePayload(std::string_view payload);

// ---- Reading ----------------------------------------------------------------

struct SegmentContents {
  std::vector<PredictionRecord> records;  // with time_ms >= since_ms
  // Bytes at the end of the file not returned as records: a torn or corrupt
  // tail (length past EOF, checksum mismatch, bad JSON, bad header). Reading
  // stops at the first bad frame; nothing after it is trusted.
  uint64_t skipped_bytes = 0;
  std::string tail_error;  // empty when skipped_bytes == 0
};

// Parses segment bytes. Never fails: damage is reported in skipped_bytes.
SegmentContents ParseSegment(std::string_view bytes,
                             int64_t since_ms = std::numeric_limits<int64_t>::min());

// Reads one segment file. NotFound if it cannot be read.
Result<SegmentContents> ReadSegment(const std::filesystem::path& path,
                                    int64_t since_ms = std::numeric_limits<int64_t>::min());

struct SegmentInfo {
  std::filesystem::path path;
  int64_t first_time_ms = 0;  // from the name; 0 for current.open
  uint64_t seq = 0;           // from the name; 0 for current.open
  bool open = false;          // true for current.open
  uint64_t size_bytes = 0;
};

// The folder's segments: rotated ones ("<first_time_ms>-<seq>.seg") ordered by
// (first_time_ms, seq), then current.open if present. Other files are ignored.
// An absent folder is an empty list; NotFound only if it is not a folder.
Result<std::vector<SegmentInfo>> ListSegments(const std::filesystem::path& dir);

// Every record of the folder (in segment order) with time_ms >= since_ms.
struct LogContents {
  std::vector<PredictionRecord> records;
  uint64_t skipped_bytes = 0;  // summed over segments
};
Result<LogContents> ReadLog(const std::filesystem::path& dir,
                            int64_t since_ms = std::numeric_limits<int64_t>::min());

// ---- Writing ----------------------------------------------------------------

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
};

}  // namespace ferry::monitor

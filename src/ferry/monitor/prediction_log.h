#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <span>
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
//   header: "FPLG" + u32 format version (2; readers also accept 1)
//   record: [u32 payload length][u64 checksum][payload]
// checksum = libsodium crypto_shorthash (SipHash-2-4) of the payload with the
// fixed 16-byte key kChecksumKey, the 8 output bytes stored as they come.
// A payload is one of (format 1 has JSON records only):
//   JSON record: one compact JSON object (first byte '{'):
//     {"time_ms":..,"model":"..","version":..,"key":"..","inputs":<json>,
//      "outputs":<json>,"latency_us":..}
//   segment start (0x03): u8 kind, i64 opened_ms, u64 random nonce. The first
//     record of every format-2 segment, so no two segments start alike.
//   schema (0x01): u8 kind, u32 id, str model, i64 version, u32 n, n × str
//     column name, u32 m, m × str output name (str = u32 length + bytes).
//     Written after the segment start for every schema the writer knows, and
//     when a schema is added to an open segment; a row may only refer to a
//     schema defined before it in the same segment.
//   row (0x02): u8 kind, u32 schema id, i64 time_ms, i64 latency_us, str key,
//     u32 n, n × f32 inputs (the schema's columns, in order), u8 k, k × output
//     {u16 index into the schema's outputs, u8 1 = array / 0 = scalar,
//      u32 width, width × f32}.
//     Read back as a PredictionRecord whose inputs are {"<column>":v,...} and
//     outputs {"<output>":v or [v,...],...} (v as by AppendJsonFloat).
inline constexpr std::string_view kSegmentMagic = "FPLG";
inline constexpr uint32_t kSegmentFormatVersion = 2;
inline constexpr size_t kSegmentHeaderBytes = 8;
inline constexpr size_t kRecordFrameBytes = 12;
// A format-2 segment's bytes before its first schema or prediction: the
// header and the segment start record.
inline constexpr size_t kSegmentStartBytes = kSegmentHeaderBytes + kRecordFrameBytes + 17;
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

// Parses one JSON payload (no frame). InvalidArgument when it is not a record.
Result<PredictionRecord> DecodePayload(std::string_view payload);

// The names binary rows of one model version refer to.
struct RowSchema {
  std::string model;
  int64_t version = 0;
  std::vector<std::string> columns;  // input features, in row order
  std::vector<std::string> outputs;  // output tensors a row may carry
};
// Appends the framed schema record `id`.
void AppendSchemaRecord(uint32_t id, const RowSchema& schema, std::string* out);

// One output of a binary row: `values` of the schema's output `index`; an
// array in the JSON form unless `scalar` (then values has one element).
struct RowOutput {
  uint16_t index = 0;
  bool scalar = true;
  std::span<const float> values;
};
// Appends the framed row record of one prediction (see the format above).
// False (nothing appended) when it would exceed kMaxPayloadBytes or carry
// more than 255 outputs.
bool AppendRowRecord(uint32_t schema, int64_t time_ms, int64_t latency_us, std::string_view key,
                     std::span<const float> inputs, std::span<const RowOutput> outputs,
                     std::string* out);

// ---- Reading ----------------------------------------------------------------

// What a reader of one segment learns from its first records and needs for
// the later ones: the format and the row schemas defined so far.
struct SegmentReadState {
  uint32_t format = 0;  // 0 until the header was read
  struct Schema {
    std::string model;
    int64_t version = 0;
    std::vector<std::string> column_keys;  // "\"name\":" per column
    std::vector<std::string> output_keys;  // "\"name\":" per output
  };
  std::map<uint32_t, Schema> schemas;
};

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
// Parses the records of a segment that follow those already parsed with
// `state` (a fresh state: `bytes` starts with the segment header). A
// SegmentContents as ParseSegment's, for this part; `state` learns what it
// defines.
SegmentContents ParseSegmentPart(std::string_view bytes, SegmentReadState* state,
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

// The first bytes of a new segment: the header and its segment start record
// (opened_ms, nonce); kSegmentStartBytes long.
std::string SegmentStart(int64_t opened_ms, uint64_t nonce);

}  // namespace ferry::monitor

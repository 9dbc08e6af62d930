#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "ferry/base/result.h"

namespace ferry::batch {

// Identifies an input file, to refuse resuming against a different or changed file.
struct InputIdentity {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string head_sha256;  // hex SHA-256 of the first MiB as stored

  bool operator==(const InputIdentity&) const = default;
};
// Reads the identity of a regular file. NotFound / Unavailable on I/O errors.
Result<InputIdentity> IdentifyInput(const std::filesystem::path& path);

// Where an interrupted job stands. Everything before `next_offset` in the input is accounted for:
// its rows are in the first `output_bytes` bytes of the partial output (and its bad rows in the
// first `errors_bytes` bytes of the errors file), both synced to disk before the checkpoint was
// written.
struct Checkpoint {
  std::string job;  // fingerprint of what shapes the output (bundle digest, flags)
  InputIdentity input;
  uint64_t next_offset = 0;  // decoded input offset of the next unscored record
  int64_t lines_done = 0;    // physical lines between the job's first record and next_offset
  uint64_t output_bytes = 0;
  uint64_t errors_bytes = 0;
  int64_t rows_scored = 0;
  int64_t rows_skipped = 0;
  std::string stats_json;  // ScoreStats::ToJson()
};

// The checkpoint file of an output: "<output>.ferry-checkpoint".
std::filesystem::path CheckpointPath(const std::filesystem::path& output);
// The partial output being written: "<output>.partial".
std::filesystem::path PartialPath(const std::filesystem::path& output);

// Writes atomically (temporary file, fsync, rename).
Status WriteCheckpoint(const std::filesystem::path& path, const Checkpoint& cp);
// NotFound when there is none; InvalidArgument "<path>: not a Ferry checkpoint: …" when damaged.
Result<Checkpoint> ReadCheckpoint(const std::filesystem::path& path);

}  // namespace ferry::batch

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/base/result.h"

namespace ferry::batch {

// How rows are divided between the N processes of a sharded job.
enum class ShardBy {
  kByteRange,  // shard i takes the records that start in its 1/N of the input's bytes
  kKey,        // shard i takes the rows whose key hashes to i (KeyShard)
};

// One shard of a job: index in [0, count). {0, 1} is the whole input.
struct ShardSpec {
  int64_t index = 0;
  int64_t count = 1;
  ShardBy by = ShardBy::kByteRange;

  bool whole() const { return count == 1; }
};

// Parses "i/N" with 0 <= i < N <= 1,000,000. InvalidArgument otherwise, naming the expected form.
Result<ShardSpec> ParseShard(std::string_view text);
// Parses "bytes" | "key".
Result<ShardBy> ParseShardBy(std::string_view text);

// The shard that owns a row with this key: FNV-1a (64-bit) of the key's bytes, modulo `count`.
// Stable across machines and releases: it is part of the sharding contract. Thread-safe.
int64_t KeyShard(std::string_view key, int64_t count);

// The byte range [begin, end) of shard `index` of `count` over the data bytes [data_begin,
// data_end): the records starting in it are the shard's. Boundaries are not yet aligned to
// record starts (see ChunkReader / AlignToRecordStart).
struct ByteRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};
ByteRange ShardByteRange(uint64_t data_begin, uint64_t data_end, int64_t index, int64_t count);

}  // namespace ferry::batch

#include "ferry/batch/shard.h"

#include <charconv>

namespace ferry::batch {

Result<ShardSpec> ParseShard(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("--shard: expected i/N with 0 <= i < N (e.g. 0/4), got '" +
                           std::string(text) + "'");
  };
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return bad();
  ShardSpec s;
  const char* b = text.data();
  auto r1 = std::from_chars(b, b + slash, s.index);
  auto r2 = std::from_chars(b + slash + 1, b + text.size(), s.count);
  if (slash == 0 || r1.ec != std::errc() || r1.ptr != b + slash || r2.ec != std::errc() ||
      r2.ptr != b + text.size() || slash + 1 == text.size()) {
    return bad();
  }
  if (s.count < 1 || s.count > 1'000'000 || s.index < 0 || s.index >= s.count) return bad();
  return s;
}

Result<ShardBy> ParseShardBy(std::string_view text) {
  if (text == "bytes") return ShardBy::kByteRange;
  if (text == "key") return ShardBy::kKey;
  return InvalidArgument("--shard-by: expected bytes or key, got '" + std::string(text) + "'");
}

int64_t KeyShard(std::string_view key, int64_t count) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int64_t>(h % static_cast<uint64_t>(count));
}

ByteRange ShardByteRange(uint64_t data_begin, uint64_t data_end, int64_t index, int64_t count) {
  // floor(size * i / count) without overflow: size = q * count + r.
  const uint64_t size = data_end - data_begin;
  const uint64_t n = static_cast<uint64_t>(count);
  const uint64_t q = size / n, r = size % n;
  auto at = [&](int64_t i) {
    const uint64_t k = static_cast<uint64_t>(i);
    return data_begin + q * k + r * k / n;
  };
  return {at(index), at(index + 1)};
}

}  // namespace ferry::batch

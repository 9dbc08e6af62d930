#include "ferry/table/separator_index.h"

#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ferry::table {
namespace {

// Bit i set when p[i] (0 <= i < 64) is ',' or '\n'.
inline uint64_t SeparatorMask(const char* p) {
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i newline = _mm_set1_epi8('\n');
  uint64_t mask = 0;
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    const __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, newline));
    mask |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(hit))) << (16 * i);
  }
  return mask;
#else
  uint64_t mask = 0;
  for (int i = 0; i < 64; ++i) {
    mask |= static_cast<uint64_t>(p[i] == ',' || p[i] == '\n') << i;
  }
  return mask;
#endif
}

// Writes base + the position of every set bit of mask to out (room for 64 entries), in order;
// returns how many. The first 8 are written whatever the count (a CSV block of 64 bytes holds
// few fields), so the common case takes no branch per bit.
inline size_t Flatten(uint64_t mask, uint32_t base, uint32_t* out) {
  const size_t count = static_cast<size_t>(std::popcount(mask));
  for (int i = 0; i < 8; ++i) {
    out[i] = base + static_cast<uint32_t>(std::countr_zero(mask));
    mask &= mask - 1;
  }
  if (count > 8) {
    for (size_t i = 8; i < count; ++i) {
      out[i] = base + static_cast<uint32_t>(std::countr_zero(mask));
      mask &= mask - 1;
    }
  }
  return count;
}

}  // namespace

void SeparatorIndex::Build(const char* data, size_t n) {
  // A 64-byte block adds at most 64 entries; keep room for one more block ahead of the writes.
  if (offsets_.size() < 128) offsets_.resize(128);
  size_ = 0;
  size_t pos = 0;
  auto room = [&] {
    if (offsets_.size() - size_ < 64) offsets_.resize(offsets_.size() * 2);
  };
  for (; pos + 64 <= n; pos += 64) {
    room();
    size_ +=
        Flatten(SeparatorMask(data + pos), static_cast<uint32_t>(pos), offsets_.data() + size_);
  }
  if (pos < n) {
    char tail[64] = {};
    std::memcpy(tail, data + pos, n - pos);
    room();
    size_ += Flatten(SeparatorMask(tail), static_cast<uint32_t>(pos), offsets_.data() + size_);
  }
}

}  // namespace ferry::table

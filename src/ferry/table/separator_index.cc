#include "ferry/table/separator_index.h"

#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "ferry/table/csv_simd.h"

namespace ferry::table {
namespace {

// Room a block may write past the entries it adds (the AVX-512 path stores 16 at a time).
constexpr size_t kSlack = 64 + 16;

// The generic way: bits of the separators of one 64-byte block, then one entry per bit.
size_t IndexBlockPortable(const char* p, uint32_t base, uint32_t* out, bool* quote,
                          bool* non_ascii) {
  uint64_t comma = 0, newline = 0;
  for (int i = 0; i < 64; ++i) {
    comma |= static_cast<uint64_t>(p[i] == ',') << i;
    newline |= static_cast<uint64_t>(p[i] == '\n') << i;
    *quote |= p[i] == '"';
    *non_ascii |= static_cast<unsigned char>(p[i]) > 0x7F;
  }
  size_t count = 0;
  for (uint64_t m = comma | newline; m != 0; m &= m - 1) {
    const int bit = std::countr_zero(m);
    out[count++] = (base + static_cast<uint32_t>(bit) + 1) |
                   (static_cast<uint32_t>((newline >> bit) & 1) << 31);
  }
  return count;
}

#if defined(__x86_64__)
#define FERRY_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,bmi,popcnt")))

// (GCC 12's unmasked forms of some intrinsics start from _mm512_undefined_*(), which
// -Wmaybe-uninitialized flags: the masked forms with every lane set do the same.)
// Sixteen entries from the bytes of `at` (position + 1) and `kind` (0x80 for a '\n').
FERRY_TARGET_AVX512 inline void Store16(__m128i at, __m128i kind, __m512i base, uint32_t* out) {
  const __m512i e = _mm512_or_si512(
      _mm512_add_epi32(_mm512_maskz_cvtepu8_epi32(0xFFFF, at), base),
      _mm512_maskz_slli_epi32(0xFFFF, _mm512_maskz_cvtepu8_epi32(0xFFFF, kind), 24));
  _mm512_storeu_si512(out, e);
}

// The same with AVX-512: the positions of the separators compressed into bytes, then widened
// 16 at a time.
FERRY_TARGET_AVX512 size_t IndexBlockAvx512(const char* p, uint32_t base, uint32_t* out,
                                            bool* quote, bool* non_ascii) {
  const __m512i v = _mm512_loadu_si512(p);
  *non_ascii |= _mm512_movepi8_mask(v) != 0;
  *quote |= _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"')) != 0;
  const __mmask64 newline = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
  const __mmask64 sep = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(',')) | newline;
  const size_t count = static_cast<size_t>(std::popcount(static_cast<uint64_t>(sep)));
  const __m512i iota = _mm512_set_epi8(
      63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41,
      40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18,
      17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  // Byte j: the position of the j-th separator, plus 1; with bit 7 of `kind` for a '\n'.
  const __m512i at = _mm512_maskz_compress_epi8(sep, _mm512_add_epi8(iota, _mm512_set1_epi8(1)));
  const __m512i kind =
      _mm512_maskz_compress_epi8(sep, _mm512_maskz_set1_epi8(newline, static_cast<char>(0x80)));
  const __m512i base32 = _mm512_set1_epi32(static_cast<int>(base));
  Store16(_mm512_maskz_extracti32x4_epi32(0xF, at, 0),
          _mm512_maskz_extracti32x4_epi32(0xF, kind, 0), base32, out);
  if (count > 16) {
    Store16(_mm512_maskz_extracti32x4_epi32(0xF, at, 1),
            _mm512_maskz_extracti32x4_epi32(0xF, kind, 1), base32, out + 16);
    if (count > 32) {
      Store16(_mm512_maskz_extracti32x4_epi32(0xF, at, 2),
              _mm512_maskz_extracti32x4_epi32(0xF, kind, 2), base32, out + 32);
      if (count > 48) {
        Store16(_mm512_maskz_extracti32x4_epi32(0xF, at, 3),
                _mm512_maskz_extracti32x4_epi32(0xF, kind, 3), base32, out + 48);
      }
    }
  }
  return count;
}

bool HasAvx512() {
  static const bool supported =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi") &&
      __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("bmi") &&
      __builtin_cpu_supports("popcnt");
  return supported;
}
#else
bool HasAvx512() { return false; }
size_t IndexBlockAvx512(const char* p, uint32_t base, uint32_t* out, bool* quote, bool* non_ascii) {
  return IndexBlockPortable(p, base, out, quote, non_ascii);
}
#endif

}  // namespace

void SeparatorIndex::Build(const char* data, size_t n, bool allow_simd) {
  const bool avx512 = allow_simd && HasAvx512() && CsvSimdAllowed();
  size_ = 0;
  saw_quote_ = false;
  saw_non_ascii_ = false;
  if (offsets_.size() < 1 + kSlack) offsets_.resize(1 + kSlack);
  offsets_[0] = 0;
  auto block = [&](const char* p, size_t pos) {
    if (offsets_.size() - 1 - size_ < kSlack) offsets_.resize(offsets_.size() * 2);
    uint32_t* out = offsets_.data() + 1 + size_;
    const uint32_t base = static_cast<uint32_t>(pos);
    size_ += avx512 ? IndexBlockAvx512(p, base, out, &saw_quote_, &saw_non_ascii_)
                    : IndexBlockPortable(p, base, out, &saw_quote_, &saw_non_ascii_);
  };
  size_t pos = 0;
  for (; pos + 64 <= n; pos += 64) block(data + pos, pos);
  if (pos < n) {
    char tail[64] = {};
    std::memcpy(tail, data + pos, n - pos);
    block(tail, pos);
  }
}

}  // namespace ferry::table

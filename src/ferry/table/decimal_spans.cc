// The AVX-512 decimal converter (decimal_spans.h), compiled for its instruction set with target
// attributes so that the rest of the binary still runs on any x86-64.
//
// Each field is loaded as the 16 bytes that end where it ends, so that it sits right-aligned in
// a 128-bit lane (the bytes before it masked to zero); four fields fill a 512-bit vector. In each
// lane the digits before the '.' move one byte to the right over it, leaving up to 15 digit
// values right-aligned, which three multiply-adds and one 64-bit multiplication turn into the
// mantissa. Two such vectors (the even and the odd fields of a group of eight) give eight
// mantissas, converted to double (exact below 2^53) and divided by 10^places (exact up to 10^15):
// one correctly rounded IEEE division, Clinger's fast path, as ScanSimpleDecimal.
#include "ferry/table/decimal_spans.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <bit>

namespace ferry::table {
namespace {

#define FERRY_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,bmi,bmi2,lzcnt,popcnt")))

alignas(64) constexpr char kZeros[16] = {};
// GCC 12's unmasked forms of some intrinsics start from _mm512_undefined_*(), which
// -Wmaybe-uninitialized flags: the masked forms with every lane set do the same.
constexpr __mmask8 kAll8 = 0xFF;
alignas(64) constexpr double kPow10Low[8] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
alignas(64) constexpr double kPow10High[8] = {1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// Per 16-bit lane of x: its top bit set when the lane is not zero (SWAR, no carry across lanes).
inline uint64_t NonZeroLanes(uint64_t x) {
  constexpr uint64_t kLow15 = 0x7FFF7FFF7FFF7FFF;
  return (((x & kLow15) + kLow15) | x) & ~kLow15;
}

// Four fields in the lanes of one vector.
struct Quad {
  __m512i digits;  // per lane: the digit values, right-aligned, '.' squeezed out
  __m512i places;  // per lane, in both qwords: digits after the '.'
  uint64_t bad;    // top bit of lane j set: field j is left alone
  uint64_t minus;  // top bit of lane j set: field j is negative
};

// Loads fields idx[0..3] (of n) into a Quad.
FERRY_TARGET_AVX512 inline Quad LoadQuad(const char* data, const uint32_t* begin,
                                         const uint32_t* end, size_t n, const size_t idx[4]) {
  uint64_t field_mask = 0, first_mask = 0;
  __m128i lanes[4];
  for (int j = 0; j < 4; ++j) {
    const size_t i = idx[j];
    const uint32_t len = i < n ? end[i] - begin[i] : 0;
    const bool fits = i < n && len >= 1 && len <= 16 && end[i] >= 16;
    const char* src = fits ? data + end[i] - 16 : kZeros;
    lanes[j] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    const uint64_t first = fits ? uint64_t{1} << (16 - len) : 0;
    field_mask |= ((uint64_t{0x10000} - first) & (fits ? 0xFFFF : 0)) << (16 * j);
    first_mask |= first << (16 * j);
  }
  __m512i v = _mm512_inserti32x4(_mm512_setzero_si512(), lanes[0], 0);
  v = _mm512_inserti32x4(v, lanes[1], 1);
  v = _mm512_inserti32x4(v, lanes[2], 2);
  v = _mm512_inserti32x4(v, lanes[3], 3);
  const __m512i t = _mm512_sub_epi8(v, _mm512_set1_epi8('0'));
  const uint64_t digit = _mm512_mask_cmple_epu8_mask(field_mask, t, _mm512_set1_epi8(9));
  const uint64_t dot = _mm512_mask_cmpeq_epi8_mask(field_mask, v, _mm512_set1_epi8('.'));
  const uint64_t minus = _mm512_mask_cmpeq_epi8_mask(field_mask, v, _mm512_set1_epi8('-'));
  const uint64_t dot_lanes = NonZeroLanes(dot);
  // A field is taken when every byte is a digit, a '.' or a '-' in front; it has at most one '.'
  // and 1 to 15 digits (16 only when the first of 16 bytes is a digit and there is no '.').
  uint64_t bad =
      NonZeroLanes((field_mask & ~(digit | dot | (minus & first_mask))) | (minus & ~first_mask)) |
      (~NonZeroLanes(digit) & 0x8000800080008000) |
      (NonZeroLanes(digit & 0x0001000100010001) & ~dot_lanes);
  // The bytes up to the '.' take their left neighbour: with the '.' at lane byte p that is bits
  // 0..p, (dot << 1) - 1 per lane when a lane has exactly one '.' (else the lane is bad and the
  // lanes after it are recomputed one by one).
  uint64_t shift_mask = (dot << 1) - (dot_lanes >> 15);
  if (std::popcount(dot) != std::popcount(dot_lanes)) {
    shift_mask = 0;
    for (int j = 0; j < 4; ++j) {
      const uint32_t d = static_cast<uint32_t>(dot >> (16 * j)) & 0xFFFF;
      if ((d & (d - 1)) != 0) {
        bad |= uint64_t{0x8000} << (16 * j);
      } else {
        shift_mask |= static_cast<uint64_t>((d << 1) - (d != 0 ? 1 : 0)) << (16 * j);
      }
    }
  }
  const __m512i values = _mm512_maskz_mov_epi8(digit, t);
  Quad q;
  q.digits = _mm512_mask_mov_epi8(values, shift_mask, _mm512_bslli_epi128(values, 1));
  // Places: the '.' byte weighted 15 - p, summed per qword and then per lane.
  const __m512i weights =
      _mm512_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7,
                      8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                      14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i halves =
      _mm512_sad_epu8(_mm512_maskz_mov_epi8(dot, weights), _mm512_setzero_si512());
  q.places = _mm512_add_epi64(halves, _mm512_maskz_shuffle_epi32(0xFFFF, halves, _MM_PERM_BADC));
  q.bad = bad;
  q.minus = NonZeroLanes(minus);
  return q;
}

// Eight fields from base (of n): their magnitudes, in order, with *bad and *negative (bit e for
// field base + e).
FERRY_TARGET_AVX512 inline __m512d ConvertEight(const char* data, const uint32_t* begin,
                                                const uint32_t* end, size_t n, size_t base,
                                                uint64_t* bad, __mmask8* negative) {
  const size_t even[4] = {base, base + 2, base + 4, base + 6};
  const size_t odd[4] = {base + 1, base + 3, base + 5, base + 7};
  const Quad a = LoadQuad(data, begin, end, n, even);
  const Quad b = LoadQuad(data, begin, end, n, odd);
  const __m512i pairs10 = _mm512_set1_epi16(0x010A);         // bytes (10, 1)
  const __m512i pairs100 = _mm512_set1_epi32(0x00010064);    // words (100, 1)
  const __m512i pairs10000 = _mm512_set1_epi32(0x00012710);  // words (10000, 1)
  // Per lane: 8 two-digit words, 4 four-digit dwords; packed, a's four then b's four words.
  const __m512i a4 = _mm512_madd_epi16(_mm512_maddubs_epi16(a.digits, pairs10), pairs100);
  const __m512i b4 = _mm512_madd_epi16(_mm512_maddubs_epi16(b.digits, pairs10), pairs100);
  const __m512i eight = _mm512_madd_epi16(_mm512_packus_epi32(a4, b4), pairs10000);
  // Per lane: dwords (a high 8 digits, a low 8, b high, b low); qword 2j = a's field, 2j+1 = b's.
  const __m512i high = _mm512_and_si512(eight, _mm512_set1_epi64(0xFFFFFFFF));
  const __m512i low = _mm512_maskz_srli_epi64(kAll8, eight, 32);
  const __m512i mantissa =
      _mm512_add_epi64(_mm512_maskz_mul_epu32(kAll8, high, _mm512_set1_epi64(100000000)), low);
  const __m512i places = _mm512_maskz_unpacklo_epi64(kAll8, a.places, b.places);
  constexpr uint64_t kTops = 0x8000800080008000;
  *bad = _pdep_u64(_pext_u64(a.bad, kTops), 0x55) | _pdep_u64(_pext_u64(b.bad, kTops), 0xAA);
  *negative = static_cast<__mmask8>(_pdep_u64(_pext_u64(a.minus, kTops), 0x55) |
                                    _pdep_u64(_pext_u64(b.minus, kTops), 0xAA));
  const __m512d divisor =
      _mm512_permutex2var_pd(_mm512_load_pd(kPow10Low), places, _mm512_load_pd(kPow10High));
  return _mm512_div_pd(_mm512_cvtepu64_pd(mantissa), divisor);
}

// The sign bit set where `negative` (so "-0" is -0.0, as ScanSimpleDecimal).
FERRY_TARGET_AVX512 inline __m512d Signed(__m512d v, __mmask8 negative) {
  return _mm512_mask_xor_pd(v, negative, v, _mm512_set1_pd(-0.0));
}

FERRY_TARGET_AVX512 uint64_t ToFloat(const char* data, const uint32_t* begin, const uint32_t* end,
                                     size_t n, float* out) {
  uint64_t bad = 0;
  for (size_t base = 0; base < n; base += 8) {
    uint64_t b = 0;
    __mmask8 negative = 0;
    const __m512d magnitude = ConvertEight(data, begin, end, n, base, &b, &negative);
    const __m512d v = Signed(magnitude, negative);
    const __m256 f = _mm512_maskz_cvtpd_ps(kAll8, v);
    if (base + 8 <= n) {
      _mm256_storeu_ps(out + base, f);
    } else {
      _mm256_mask_storeu_ps(out + base, static_cast<__mmask8>((1u << (n - base)) - 1), f);
    }
    bad |= b << base;
  }
  return n == 64 ? bad : bad & ((uint64_t{1} << n) - 1);
}

FERRY_TARGET_AVX512 uint64_t ToDouble(const char* data, const uint32_t* begin, const uint32_t* end,
                                      size_t n, double* out) {
  uint64_t bad = 0;
  for (size_t base = 0; base < n; base += 8) {
    uint64_t b = 0;
    __mmask8 negative = 0;
    const __m512d magnitude = ConvertEight(data, begin, end, n, base, &b, &negative);
    const __m512d v = Signed(magnitude, negative);
    if (base + 8 <= n) {
      _mm512_storeu_pd(out + base, v);
    } else {
      _mm512_mask_storeu_pd(out + base, static_cast<__mmask8>((1u << (n - base)) - 1), v);
    }
    bad |= b << base;
  }
  return n == 64 ? bad : bad & ((uint64_t{1} << n) - 1);
}

bool HasAvx512() {
  static const bool supported =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
      __builtin_cpu_supports("popcnt");
  return supported;
}

}  // namespace

DecimalSpansToFloat Avx512DecimalSpansToFloat() { return HasAvx512() ? &ToFloat : nullptr; }
DecimalSpansToDouble Avx512DecimalSpansToDouble() { return HasAvx512() ? &ToDouble : nullptr; }

}  // namespace ferry::table

#else  // not x86-64

namespace ferry::table {

DecimalSpansToFloat Avx512DecimalSpansToFloat() { return nullptr; }
DecimalSpansToDouble Avx512DecimalSpansToDouble() { return nullptr; }

}  // namespace ferry::table

#endif

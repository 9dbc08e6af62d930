// The AVX-512 decimal converter (decimal_fields.h), compiled for its instruction set with target
// attributes so that the rest of the binary still runs on any x86-64.
//
// Eight fields at a time. Their bounds are loaded as two vectors (the index entries before and
// at each field), giving lengths and ends. Each field is loaded as the 16 bytes that end where
// it ends, so that it sits right-aligned in a 128-bit lane (the bytes before it masked off); the
// even fields fill one 512-bit vector, the odd ones another. In each lane the digits before the
// '.' move one byte to the right over it, leaving up to 15 digit values right-aligned, which
// three multiply-adds and one 64-bit multiplication turn into the mantissa; sums of absolute
// differences over weighted bytes count per lane the places after the '.', the digits, a leading
// '-' and any stray byte. The eight mantissas are converted to double (exact below 2^53) and
// divided by 10^places (exact up to 10^15): one correctly rounded IEEE division, Clinger's fast
// path, as ScanSimpleDecimal.
#include "ferry/table/decimal_fields.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <bit>
#include <type_traits>

#include "ferry/table/csv_simd.h"

namespace ferry::table {
namespace {

#define FERRY_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,bmi,bmi2,popcnt")))
// Inlined into the loops, so that their constants are set up once per call, not per eight fields.
#define FERRY_INLINE_AVX512 FERRY_TARGET_AVX512 inline __attribute__((always_inline))

constexpr uint32_t kStartMask = 0x7FFFFFFF;  // SeparatorIndex::Start
// GCC 12's unmasked forms of some intrinsics start from _mm512_undefined_*(), which
// -Wmaybe-uninitialized flags: the masked forms with every lane set do the same.
constexpr __mmask8 kAll8 = 0xFF;
constexpr __mmask16 kAll16 = 0xFFFF;
alignas(64) constexpr double kPow10Low[8] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
alignas(64) constexpr double kPow10High[8] = {1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// Byte q of every lane: 15 - q.
FERRY_INLINE_AVX512 __m512i Reversed() {
  return _mm512_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6,
                         7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                         13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

// Per lane, in both of its qwords: the sum of its bytes.
FERRY_INLINE_AVX512 __m512i LaneSums(__m512i bytes) {
  const __m512i halves = _mm512_sad_epu8(bytes, _mm512_setzero_si512());
  return _mm512_add_epi64(halves, _mm512_maskz_shuffle_epi32(kAll16, halves, _MM_PERM_BADC));
}

// Four fields in the lanes of one vector.
struct Quad {
  __m512i digits;  // per lane: the digit values, right-aligned, '.' squeezed out
  __m512i dots;    // per lane, both qwords: 16 per '.', plus the places after it when one
  __m512i info;    // per lane, both qwords: 64 per stray byte, 32 for a leading '-', 1 per digit
};

// The four fields whose ends are ends[0..3] and lengths the dwords `lens` selects.
FERRY_INLINE_AVX512 Quad LoadQuad(const char* data, const uint32_t ends[4], __m512i lens,
                                  __m512i select) {
  __m512i v =
      _mm512_inserti32x4(_mm512_setzero_si512(),
                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + ends[0] - 16)), 0);
  v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + ends[1] - 16)),
                         1);
  v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + ends[2] - 16)),
                         2);
  v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + ends[3] - 16)),
                         3);
  // Every byte of a lane holds its field's length (0 for a field left alone).
  const __m512i len_bytes = _mm512_mullo_epi32(_mm512_maskz_permutexvar_epi32(kAll16, select, lens),
                                               _mm512_set1_epi32(0x01010101));
  const __m512i reversed = Reversed();
  const __mmask64 field = _mm512_cmpgt_epi8_mask(len_bytes, reversed);  // q >= 16 - len
  const __mmask64 first = _mm512_cmpeq_epi8_mask(
      len_bytes, _mm512_add_epi8(reversed, _mm512_set1_epi8(1)));  // q == 16 - len
  const __m512i t = _mm512_sub_epi8(v, _mm512_set1_epi8('0'));
  const __mmask64 digit = _mm512_mask_cmple_epu8_mask(field, t, _mm512_set1_epi8(9));
  const __mmask64 dot = _mm512_mask_cmpeq_epi8_mask(field, v, _mm512_set1_epi8('.'));
  const __mmask64 minus = _mm512_mask_cmpeq_epi8_mask(field, v, _mm512_set1_epi8('-'));
  const __mmask64 leading_minus = minus & first;
  const __mmask64 stray = field & ~(digit | dot | leading_minus);
  Quad q;
  q.dots = LaneSums(_mm512_maskz_add_epi8(dot, reversed, _mm512_set1_epi8(16)));
  __m512i info = _mm512_maskz_set1_epi8(digit, 1);
  info = _mm512_mask_mov_epi8(info, leading_minus, _mm512_set1_epi8(32));
  info = _mm512_mask_mov_epi8(info, stray, _mm512_set1_epi8(64));
  q.info = LaneSums(info);
  // The bytes up to the '.' at lane byte p (bytes q <= p, i.e. places <= 15 - q) take their
  // left neighbour. `places` is the lane's dot sum less 16: in a lane without a '.' it wraps
  // above any 15 - q. Byte 0 always does: it is a digit only in a 16-digit field, which is left
  // alone anyway.
  const __m512i places =
      _mm512_sub_epi8(_mm512_shuffle_epi8(q.dots, _mm512_setzero_si512()), _mm512_set1_epi8(16));
  const __mmask64 shift = _mm512_cmple_epu8_mask(places, reversed) | __mmask64{0x0001000100010001};
  const __m512i values = _mm512_maskz_mov_epi8(digit, t);
  q.digits = _mm512_mask_mov_epi8(values, shift, _mm512_bslli_epi128(values, 1));
  return q;
}

// Fields base + 0..7 (of n): their magnitudes, in order, with *left (bit e: field base + e left
// alone) and *negative.
FERRY_INLINE_AVX512 __m512d ConvertEight(const char* data, const uint32_t* bounds, size_t n,
                                         size_t base, uint64_t* left, __mmask8* negative) {
  const __mmask8 valid = n - base >= 8 ? kAll8 : static_cast<__mmask8>((1u << (n - base)) - 1);
  const __m256i mask31 = _mm256_set1_epi32(static_cast<int>(kStartMask));
  const __m256i starts =
      _mm256_and_si256(_mm256_maskz_loadu_epi32(valid, bounds + base - 1), mask31);
  const __m256i ends =
      _mm256_sub_epi32(_mm256_and_si256(_mm256_maskz_loadu_epi32(valid, bounds + base), mask31),
                       _mm256_set1_epi32(1));
  const __m256i lens = _mm256_sub_epi32(ends, starts);
  const __m256i sixteen = _mm256_set1_epi32(16);
  const __mmask8 fits =
      valid &
      _mm256_cmple_epu32_mask(_mm256_sub_epi32(lens, _mm256_set1_epi32(1)), _mm256_set1_epi32(15)) &
      _mm256_cmpge_epu32_mask(ends, sixteen);
  alignas(32) uint32_t at[8];  // where each field's 16 bytes end (16 for those left alone)
  _mm256_store_si256(reinterpret_cast<__m256i*>(at), _mm256_mask_mov_epi32(sixteen, fits, ends));
  const __m512i fitting_lens = _mm512_maskz_inserti64x4(kAll8, _mm512_setzero_si512(),
                                                        _mm256_maskz_mov_epi32(fits, lens), 0);
  const __m512i even = _mm512_set_epi32(6, 6, 6, 6, 4, 4, 4, 4, 2, 2, 2, 2, 0, 0, 0, 0);
  const __m512i odd = _mm512_set_epi32(7, 7, 7, 7, 5, 5, 5, 5, 3, 3, 3, 3, 1, 1, 1, 1);
  const uint32_t even_at[4] = {at[0], at[2], at[4], at[6]};
  const uint32_t odd_at[4] = {at[1], at[3], at[5], at[7]};
  const Quad a = LoadQuad(data, even_at, fitting_lens, even);
  const Quad b = LoadQuad(data, odd_at, fitting_lens, odd);
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
  const __m512i dots = _mm512_maskz_unpacklo_epi64(kAll8, a.dots, b.dots);
  const __m512i info = _mm512_maskz_unpacklo_epi64(kAll8, a.info, b.info);
  const __m512i digits = _mm512_and_si512(info, _mm512_set1_epi64(31));
  // Taken: no stray byte, at most one '.', 1 to 15 digits.
  const __mmask8 taken = fits & _mm512_cmplt_epu64_mask(info, _mm512_set1_epi64(64)) &
                         _mm512_cmplt_epu64_mask(dots, _mm512_set1_epi64(32)) &
                         _mm512_cmpneq_epu64_mask(digits, _mm512_setzero_si512()) &
                         _mm512_cmpneq_epu64_mask(digits, _mm512_set1_epi64(16));
  *left = static_cast<uint8_t>(~taken & valid);
  *negative = _mm512_test_epi64_mask(info, _mm512_set1_epi64(32));
  // The places are the low 4 bits of `dots`, which is all permutex2var reads of an index.
  const __m512d divisor =
      _mm512_permutex2var_pd(_mm512_load_pd(kPow10Low), dots, _mm512_load_pd(kPow10High));
  return _mm512_div_pd(_mm512_cvtepu64_pd(mantissa), divisor);
}

// The sign bit set where `negative` (so "-0" is -0.0, as ScanSimpleDecimal).
FERRY_INLINE_AVX512 __m512d Signed(__m512d v, __mmask8 negative) {
  return _mm512_mask_xor_pd(v, negative, v, _mm512_set1_pd(-0.0));
}

// Converts fields [0, n) into out (float or double), eight at a time.
template <typename T>
FERRY_TARGET_AVX512 uint64_t Convert(const char* data, const uint32_t* bounds, size_t n, T* out) {
  uint64_t left = 0;
  for (size_t base = 0; base < n; base += 8) {
    uint64_t l = 0;
    __mmask8 negative = 0;
    const __m512d magnitude = ConvertEight(data, bounds, n, base, &l, &negative);
    const __m512d v = Signed(magnitude, negative);
    const __mmask8 lanes = n - base >= 8 ? kAll8 : static_cast<__mmask8>((1u << (n - base)) - 1);
    if constexpr (std::is_same_v<T, float>) {
      _mm256_mask_storeu_ps(out + base, lanes, _mm512_maskz_cvtpd_ps(kAll8, v));
    } else {
      _mm512_mask_storeu_pd(out + base, lanes, v);
    }
    left |= l << base;
  }
  return left;
}

FERRY_TARGET_AVX512 uint64_t ToFloat(const char* data, const uint32_t* bounds, size_t n,
                                     float* out) {
  return Convert(data, bounds, n, out);
}

FERRY_TARGET_AVX512 uint64_t ToDouble(const char* data, const uint32_t* bounds, size_t n,
                                      double* out) {
  return Convert(data, bounds, n, out);
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

DecimalFieldsToFloat Avx512DecimalFieldsToFloat() {
  return HasAvx512() && CsvSimdAllowed() ? &ToFloat : nullptr;
}
DecimalFieldsToDouble Avx512DecimalFieldsToDouble() {
  return HasAvx512() && CsvSimdAllowed() ? &ToDouble : nullptr;
}

}  // namespace ferry::table

#else  // not x86-64

namespace ferry::table {

DecimalFieldsToFloat Avx512DecimalFieldsToFloat() { return nullptr; }
DecimalFieldsToDouble Avx512DecimalFieldsToDouble() { return nullptr; }

}  // namespace ferry::table

#endif

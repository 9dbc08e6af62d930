#pragma once

// A fast, exact scanner for plain decimal spellings, for hot loops that parse numbers in place
// (`ferry batch`'s chunk parser, `ferry monitor drift`'s scan). Header-only so that it inlines.

#include <bit>
#include <cstdint>
#include <cstring>

namespace ferry::table {

// A plain decimal as read: (negative ? -1 : 1) * mantissa * 10^exponent, with mantissa <= 2^53
// and |exponent| <= 22 (so DecimalValue is exact).
struct DecimalParts {
  uint64_t mantissa = 0;
  int exponent = 0;
  bool negative = false;
};

namespace internal {

inline constexpr double kExactPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                         1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// From the exponent on: the rest of ScanSimpleDecimalParts once the digits are read (p after
// them, m the mantissa of `digits` digits, exponent the power of ten of its last digit).
inline const char* FinishDecimal(const char* p, const char* end, bool negative, uint64_t m,
                                 int digits, int exponent, DecimalParts* out) {
  if (digits == 0 || digits > 19) return nullptr;
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool exp_negative = p != end && *p == '-';
    if (p != end && (*p == '-' || *p == '+')) ++p;
    int e = 0, n = 0;
    while (p != end && static_cast<unsigned>(*p - '0') < 10 && n < 4) {
      e = e * 10 + (*p++ - '0');
      ++n;
    }
    if (n == 0) return nullptr;
    exponent += exp_negative ? -e : e;
  }
  if (m > (uint64_t{1} << 53) || exponent < -22 || exponent > 22) return nullptr;
  out->mantissa = m;
  out->exponent = exponent;
  out->negative = negative;
  return p;
}

// One digit at a time.
inline const char* ScanDecimalBytewise(const char* p, const char* end, bool negative,
                                       DecimalParts* out) {
  uint64_t m = 0;
  int digits = 0;
  int exponent = 0;
  while (p != end && static_cast<unsigned>(*p - '0') < 10) {
    m = m * 10 + static_cast<unsigned>(*p++ - '0');
    ++digits;
  }
  if (p != end && *p == '.') {
    ++p;
    while (p != end && static_cast<unsigned>(*p - '0') < 10) {
      m = m * 10 + static_cast<unsigned>(*p++ - '0');
      ++digits;
      --exponent;
    }
  }
  return FinishDecimal(p, end, negative, m, digits, exponent, out);
}

// The 8 bytes at p, the first in the lowest byte.
inline uint64_t Load8(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, sizeof x);
  if constexpr (std::endian::native == std::endian::big) x = __builtin_bswap64(x);
  return x;
}

// Digit values (x - '0' per byte) of the 8 bytes in x; *count = how many bytes from the lowest
// are digits before the first that is not (8 if all are). Bytes after that one are garbage.
inline uint64_t DigitRun(uint64_t x, int* count) {
  const uint64_t t = x - 0x3030303030303030;
  // A byte's high bit is set in `bad` when it is no digit; a borrow or carry only reaches the
  // bytes after the first such byte.
  const uint64_t bad = (t | (t + 0x7676767676767676)) & 0x8080808080808080;
  *count = bad == 0 ? 8 : std::countr_zero(bad) >> 3;
  return t;
}

// The number written by the first `count` (1..8) digit values of t (SWAR, 3 multiplications).
inline uint64_t DigitsValue(uint64_t t, int count) {
  t <<= 8 * (8 - count);  // drops the garbage; the digits become the last of 8, zeros before
  t = t * 10 + (t >> 8);
  t = (((t & 0x000000FF000000FF) * (100 + (uint64_t{1000000} << 32))) +
       (((t >> 16) & 0x000000FF000000FF) * (1 + (uint64_t{10000} << 32)))) >>
      32;
  return static_cast<uint32_t>(t);
}

}  // namespace internal

// ScanSimpleDecimal without the last step: the spelling's parts (same spellings accepted).
inline const char* ScanSimpleDecimalParts(const char* p, const char* end, DecimalParts* out) {
  static constexpr uint64_t kPow10Int[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
  const bool negative = p != end && *p == '-';
  p += negative ? 1 : 0;
  // Word at a time when there are bytes enough after p: the integer digits, then the fraction's,
  // 8 bytes each; more than 7 of either take the bytewise way (same result).
  if (end - p >= 17) {
    int n_int = 0;
    const uint64_t x = internal::Load8(p);
    const uint64_t t_int = internal::DigitRun(x, &n_int);
    if (n_int < 8) {
      const char* q = p + n_int;
      if (*q == '.') {
        // The common case, at most 8 digits in all ("-0.123456"): the integer digits and the
        // first 8 - n_int bytes after the '.' joined into one word, converted at once.
        const uint64_t before = n_int == 0 ? 0 : x & (~uint64_t{0} >> (64 - 8 * n_int));
        const uint64_t joined = before | (internal::Load8(q + 1) << (8 * n_int));
        int n_all = 0;
        const uint64_t t_all = internal::DigitRun(joined, &n_all);
        if (n_all < 8 || static_cast<unsigned>(q[9 - n_int] - '0') >= 10) {
          const uint64_t m = n_all == 0 ? 0 : internal::DigitsValue(t_all, n_all);
          const int n_frac = n_all - n_int;
          const char* after = q + 1 + n_frac;
          if ((*after | 0x20) != 'e') {  // no exponent: 1 to 8 digits, 0 to 8 places, all exact
            if (n_all == 0) return nullptr;
            out->mantissa = m;
            out->exponent = -n_frac;
            out->negative = negative;
            return after;
          }
          return internal::FinishDecimal(after, end, negative, m, n_all, -n_frac, out);
        }
      }
      uint64_t m = n_int == 0 ? 0 : internal::DigitsValue(t_int, n_int);
      int n_frac = 0;
      if (*q == '.') {
        const uint64_t t_frac = internal::DigitRun(internal::Load8(q + 1), &n_frac);
        if (n_frac < 8) {
          if (n_frac > 0) m = m * kPow10Int[n_frac] + internal::DigitsValue(t_frac, n_frac);
          return internal::FinishDecimal(q + 1 + n_frac, end, negative, m, n_int + n_frac, -n_frac,
                                         out);
        }
      } else {
        return internal::FinishDecimal(q, end, negative, m, n_int, 0, out);
      }
    }
  }
  return internal::ScanDecimalBytewise(p, end, negative, out);
}

// The value of `d`, correctly rounded (Clinger's fast path: one IEEE operation on exact operands).
inline double DecimalValue(const DecimalParts& d) {
  double v = static_cast<double>(d.mantissa);
  v = d.exponent < 0 ? v / internal::kExactPow10[-d.exponent]
                     : v * internal::kExactPow10[d.exponent];
  // v >= +0: setting the sign bit negates it, without a branch on the (unpredictable) sign.
  return std::bit_cast<double>(std::bit_cast<uint64_t>(v) | (uint64_t{d.negative} << 63));
}

// Scans a plain decimal spelling starting at p ("-12.5", "3e-4", "1.", ".5", "1.5E+07"): an
// optional '-', digits with an optional '.', at least one and at most 19 digits in all (leading
// zeros count), then an optional exponent 'e'/'E', optional sign, 1 to 4 digits. The value is
// computed by Clinger's fast path (the mantissa at most 2^53 and the power of ten within 10^±22
// are exact doubles, so one IEEE multiplication or division rounds correctly): it equals
// std::from_chars' result for the same characters.
//
// Returns where the spelling stops (never past `end`; the caller checks that a delimiter follows)
// and sets *out, or returns nullptr (and leaves *out alone) for anything else: a '+' sign, spaces,
// "inf", "nan", hexadecimal, more than 19 digits, a mantissa above 2^53, an exponent outside
// ±22 after moving the decimal point, an 'e' without digits. Callers fall back to a general parser
// (table::ParseNumber) for those.
inline const char* ScanSimpleDecimal(const char* p, const char* end, double* out) {
  DecimalParts d;
  const char* q = ScanSimpleDecimalParts(p, end, &d);
  if (q != nullptr) *out = DecimalValue(d);
  return q;
}

}  // namespace ferry::table

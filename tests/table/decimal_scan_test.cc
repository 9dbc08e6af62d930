#include "ferry/table/decimal_scan.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

namespace ferry::table {
namespace {

// Scans the whole of `s`: true when ScanSimpleDecimal takes it and stops at its end. Scans it
// twice: alone (the bytewise way near the end of the data) and followed by a delimiter and more
// bytes (the word-at-a-time way), which must agree.
bool ScanAll(const std::string& s, double* out) {
  const char* end = s.data() + s.size();
  double alone = -12345;
  const bool took = ScanSimpleDecimal(s.data(), end, &alone) == end;
  const std::string padded = s + ",12345678901234567890123456789";
  double within = -12345;
  const char* q = ScanSimpleDecimal(padded.data(), padded.data() + padded.size(), &within);
  const bool took_within = q == padded.data() + s.size();
  EXPECT_EQ(took, took_within) << s;
  if (took && took_within) {
    EXPECT_EQ(std::memcmp(&alone, &within, sizeof alone), 0) << s;
  }
  *out = alone;
  return took;
}

// std::from_chars' value for the whole of `s` (which must be one number).
double FromChars(const std::string& s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  EXPECT_EQ(ec, std::errc()) << s;
  EXPECT_EQ(ptr, s.data() + s.size()) << s;
  return v;
}

void ExpectSameBits(double a, double b, const std::string& s) {
  uint64_t x, y;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  EXPECT_EQ(x, y) << s << ": " << a << " vs " << b;
}

TEST(DecimalScanTest, ExactOnRandomSpellings) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(0, 3);
  std::uniform_int_distribution<int> scale(-30, 30);
  int taken_6g = 0, taken_17g = 0;
  char buf[64];
  for (int i = 0; i < 200000; ++i) {
    double v = normal(rng) * std::pow(10.0, scale(rng));
    for (const char* fmt : {"%.6g", "%.17g", "%.3f", "%.15g"}) {
      std::snprintf(buf, sizeof buf, fmt, v);
      std::string s(buf);
      double got = -12345;
      if (ScanAll(s, &got)) {
        ExpectSameBits(got, FromChars(s), s);
        if (std::strcmp(fmt, "%.6g") == 0) ++taken_6g;
        if (std::strcmp(fmt, "%.17g") == 0) ++taken_17g;
      }
    }
  }
  // The fast path must cover the common spellings, not just be exact on a few.
  EXPECT_GT(taken_6g, 140000);
  EXPECT_GT(taken_17g, 5000);
}

TEST(DecimalScanTest, ExactOnEdgeSpellings) {
  for (const char* s : {"0",
                        "-0",
                        "0.0",
                        "1.",
                        ".5",
                        "-.5",
                        "1e5",
                        "1E5",
                        "1e+5",
                        "1e-5",
                        "1.e5",
                        "123456789",
                        "9007199254740992",
                        "900719925474099.2",
                        "1e22",
                        "1e-22",
                        "4.35",
                        "0.1",
                        "0.3",
                        "0000000000000000001",
                        "00001.5e0003",
                        "10000000000e20",
                        "8.5e-06",
                        "0.000123"}) {
    double got = -12345;
    ASSERT_TRUE(ScanAll(s, &got)) << s;
    ExpectSameBits(got, FromChars(s), s);
  }
  double v = 0;
  ASSERT_TRUE(ScanAll("-0", &v));
  EXPECT_TRUE(std::signbit(v));
}

TEST(DecimalScanTest, RejectsWhatItCannotDoExactly) {
  for (const char* s : {"",
                        "-",
                        ".",
                        "-.",
                        "+1",
                        " 1",
                        "e5",
                        "1e",
                        "1e+",
                        "1e-",
                        "inf",
                        "-inf",
                        "nan",
                        "NA",
                        "0x10",
                        "12345678901234567890",  // 20 digits
                        "9007199254740993",      // above 2^53
                        "1.7976931348623157",
                        "-1234567890123456789e-22",
                        "1e23",
                        "1e-23",
                        "0.1e-22",
                        "1e99999"}) {
    std::string text(s);
    const char* end = text.data() + text.size();
    double v = 42;
    const char* q = ScanSimpleDecimal(text.data(), end, &v);
    EXPECT_TRUE(q == nullptr || q != end) << s;
    if (q == nullptr) {
      EXPECT_EQ(v, 42) << s << ": *out changed";
    }
  }
}

TEST(DecimalScanTest, StopsAtTheFirstCharacterAfterTheNumber) {
  std::string text = "-1.25e2,7\n";
  double v = 0;
  const char* q = ScanSimpleDecimal(text.data(), text.data() + text.size(), &v);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(*q, ',');
  EXPECT_EQ(v, -125.0);
  // Never reads past `end`: a prefix that ends inside the number.
  v = 0;
  q = ScanSimpleDecimal(text.data(), text.data() + 3, &v);  // "-1."
  ASSERT_EQ(q, text.data() + 3);
  EXPECT_EQ(v, -1.0);
  // Five exponent digits: stops after four; the caller sees a digit, not a delimiter.
  std::string long_exp = "1e00001,";
  q = ScanSimpleDecimal(long_exp.data(), long_exp.data() + long_exp.size(), &v);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(*q, '1');
  // Trailing text is not consumed.
  std::string junk = "12abc";
  q = ScanSimpleDecimal(junk.data(), junk.data() + junk.size(), &v);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(*q, 'a');
}

}  // namespace
}  // namespace ferry::table

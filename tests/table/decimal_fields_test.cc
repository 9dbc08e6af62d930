#include "ferry/table/decimal_fields.h"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "ferry/table/decimal_scan.h"
#include "ferry/table/separator_index.h"

namespace ferry::table {
namespace {

// Fields laid out as a CSV line after `lead` bytes, with their bounds and their SeparatorIndex
// entries (bounds()[-1] is where the first field starts; the last entry is a line end).
struct Line {
  std::string text;
  std::vector<uint32_t> begin, end;
  std::vector<uint32_t> entries;
  const uint32_t* bounds() const { return entries.data() + 1; }
};

Line MakeLine(const std::vector<std::string>& fields, size_t lead = 32) {
  Line l;
  l.text.assign(lead, '9');  // digits before the first field must not leak into it
  l.entries.push_back(static_cast<uint32_t>(lead));
  for (size_t i = 0; i < fields.size(); ++i) {
    l.begin.push_back(static_cast<uint32_t>(l.text.size()));
    l.text += fields[i];
    l.end.push_back(static_cast<uint32_t>(l.text.size()));
    const bool last = i + 1 == fields.size();
    l.text += last ? '\n' : ',';
    l.entries.push_back(static_cast<uint32_t>(l.text.size()) |
                        (last ? SeparatorIndex::kLineEnd : 0));
  }
  l.text.append(64, '7');
  return l;
}

// True when s is a spelling the converter must take: "-?D*(.D*)?" with 1 to 15 digits, at most
// 16 bytes.
bool MustTake(const std::string& s) {
  if (s.empty() || s.size() > 16) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  int digits = 0, dots = 0;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      ++digits;
    } else if (s[i] == '.') {
      ++dots;
    } else {
      return false;
    }
  }
  return dots <= 1 && digits >= 1 && digits <= 15;
}

// Checks the converters on `fields`: a field taken has ScanSimpleDecimal's value (and
// std::from_chars'), bit for bit, as double and as float; MustTake fields are taken; fields
// ScanSimpleDecimal refuses are never taken.
void Check(const std::vector<std::string>& fields) {
  DecimalFieldsToFloat to_float = Avx512DecimalFieldsToFloat();
  DecimalFieldsToDouble to_double = Avx512DecimalFieldsToDouble();
  ASSERT_NE(to_float, nullptr);
  ASSERT_NE(to_double, nullptr);
  ASSERT_LE(fields.size(), kMaxDecimalFields);
  const Line l = MakeLine(fields);
  std::vector<float> f(fields.size() + 8, 12345.f);
  std::vector<double> d(fields.size() + 8, 12345.0);
  const uint64_t left_f = to_float(l.text.data(), l.bounds(), fields.size(), f.data());
  const uint64_t left_d = to_double(l.text.data(), l.bounds(), fields.size(), d.data());
  EXPECT_EQ(left_f, left_d);
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string& s = fields[i];
    const bool taken = ((left_d >> i) & 1) == 0;
    if (MustTake(s)) {
      EXPECT_TRUE(taken) << "'" << s << "'";
    }
    double want = 0;
    const char* stop =
        ScanSimpleDecimal(l.text.data() + l.begin[i], l.text.data() + l.text.size(), &want);
    const bool scalar_takes = stop == l.text.data() + l.end[i];
    if (!taken) continue;
    ASSERT_TRUE(scalar_takes) << "'" << s << "' taken, but not a plain decimal";
    EXPECT_EQ(std::bit_cast<uint64_t>(d[i]), std::bit_cast<uint64_t>(want))
        << "'" << s << "': " << d[i] << " != " << want;
    EXPECT_EQ(std::bit_cast<uint32_t>(f[i]), std::bit_cast<uint32_t>(static_cast<float>(want)))
        << "'" << s << "'";
    double from_chars = 0;
    std::from_chars(s.data(), s.data() + s.size(), from_chars);
    EXPECT_EQ(std::bit_cast<uint64_t>(d[i]), std::bit_cast<uint64_t>(from_chars)) << s;
  }
  // Nothing written past n.
  EXPECT_EQ(f[fields.size()], 12345.f);
  EXPECT_EQ(d[fields.size()], 12345.0);
}

bool Supported() { return Avx512DecimalFieldsToFloat() != nullptr; }

TEST(DecimalFieldsTest, PlainSpellings) {
  if (!Supported()) GTEST_SKIP() << "no AVX-512 on this CPU";
  Check({"1.13354",
         "-0.319769",
         "0",
         "-0",
         "5",
         "12",
         "1.5",
         "-2.25",
         "0.0549299",
         "123456.789",
         "-.5",
         ".5",
         "1.",
         "-1.",
         "000000000000001",
         "0.00000000000001",
         "-1234567.1234567",
         "123456789012345",
         "999999999999999",
         "-999999999999999",
         "3.14159265358979",
         "0.1",
         "0.7",
         "100000000000000",
         "1234567.89012345"});
}

TEST(DecimalFieldsTest, LeavesOtherSpellingsAlone) {
  if (!Supported()) GTEST_SKIP() << "no AVX-512 on this CPU";
  Check({"",
         ".",
         "-",
         "-.",
         "+1",
         "1e5",
         "1E5",
         "1.2.3",
         "--1",
         "1-2",
         " 1",
         "1 ",
         "nan",
         "inf",
         "0x10",
         "1234567890123456",
         "12345678901234567",
         "1.234567890123456",
         "١",
         "1,5",
         "-1234567.12345678",
         "\t1",
         "1\r",
         "NA"});
}

TEST(DecimalFieldsTest, EveryCountAndOrder) {
  if (!Supported()) GTEST_SKIP() << "no AVX-512 on this CPU";
  for (size_t n = 0; n <= kMaxDecimalFields; ++n) {
    std::vector<std::string> fields;
    for (size_t i = 0; i < n; ++i) {
      fields.push_back((i % 3 == 0 ? "-" : "") + std::to_string(i) + "." + std::to_string(n));
    }
    Check(fields);
  }
}

TEST(DecimalFieldsTest, FieldsNearTheStartAreLeftAlone) {
  if (!Supported()) GTEST_SKIP() << "no AVX-512 on this CPU";
  // A field ending before byte 16 would need bytes before the data: left to the caller.
  const Line l = MakeLine({"1.5", "2.5", "3.25", "4.5", "5.5"}, 0);
  float out[5];
  const uint64_t left = Avx512DecimalFieldsToFloat()(l.text.data(), l.bounds(), 5, out);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ((left >> i) & 1, l.end[i] < 16 ? 1u : 0u) << i;
    if (l.end[i] >= 16) {
      EXPECT_EQ(out[i], std::stof(l.text.substr(l.begin[i], 4)));
    }
  }
}

TEST(DecimalFieldsTest, RandomSpellingsAgreeWithTheScalarScanner) {
  if (!Supported()) GTEST_SKIP() << "no AVX-512 on this CPU";
  std::mt19937_64 rng(17);
  const std::string alphabet = "0123456789012345678901234567890123456789..--e+ x";
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::string> fields(1 + rng() % kMaxDecimalFields);
    for (std::string& f : fields) {
      const size_t len = rng() % 19;
      for (size_t i = 0; i < len; ++i) f += alphabet[rng() % alphabet.size()];
    }
    Check(fields);
  }
}

TEST(DecimalFieldsTest, RandomNumbersAsPrintfWritesThem) {
  if (!Supported()) GTEST_SKIP() << "no AVX-512 on this CPU";
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal(0, 1e3);
  const char* formats[] = {"%.6g", "%.9g", "%.3f", "%.15g", "%.0f", "%.12f"};
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> fields(kMaxDecimalFields);
    for (std::string& f : fields) {
      char buf[64];
      double v = normal(rng) / std::pow(10.0, static_cast<double>(rng() % 8));
      std::snprintf(buf, sizeof buf, formats[rng() % 6], v);
      f = buf;
    }
    Check(fields);
  }
}

TEST(SeparatorIndexTest, FindsEveryCommaAndLineEnd) {
  std::mt19937_64 rng(11);
  SeparatorIndex index;
  for (int round = 0; round < 300; ++round) {
    std::string s(rng() % 700, 'a');
    for (char& c : s) c = ",\na1.\r"[rng() % 6];
    if (round % 3 == 0 && !s.empty()) s[rng() % s.size()] = '"';
    if (round % 5 == 0 && !s.empty()) s[rng() % s.size()] = '\xC3';
    std::vector<uint32_t> want;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == ',' || s[i] == '\n') {
        want.push_back(static_cast<uint32_t>(i + 1) |
                       (s[i] == '\n' ? SeparatorIndex::kLineEnd : 0));
      }
    }
    for (bool simd : {true, false}) {  // the AVX-512 way (where the CPU has it) and the portable
      index.Build(s.data(), s.size(), simd);
      ASSERT_EQ(index.size(), want.size()) << simd;
      EXPECT_EQ(std::vector<uint32_t>(index.entries(), index.entries() + index.size()), want);
      EXPECT_EQ(index.entries()[-1], 0u);
      EXPECT_EQ(index.saw_quote(), s.find('"') != std::string::npos);
      EXPECT_EQ(index.saw_non_ascii(), s.find('\xC3') != std::string::npos);
    }
  }
}

TEST(SeparatorIndexTest, RecordShapeAndContentEnd) {
  const std::string s = "a,bb,c\r\nd,e\n,\n";
  SeparatorIndex index;
  index.Build(s.data(), s.size());
  ASSERT_EQ(index.size(), 7u);
  const uint32_t* e = index.entries();
  EXPECT_TRUE(SeparatorIndex::IsRecord(e, 3));
  EXPECT_FALSE(SeparatorIndex::IsRecord(e, 2));  // the second entry is no line end
  EXPECT_FALSE(SeparatorIndex::IsRecord(e, 4));  // a line end before the last
  EXPECT_TRUE(SeparatorIndex::IsRecord(e + 3, 2));
  EXPECT_EQ(SeparatorIndex::ContentEnd(s.data(), e + 1), 4u);   // "bb"
  EXPECT_EQ(SeparatorIndex::ContentEnd(s.data(), e + 2), 6u);   // "c" without its CR
  EXPECT_EQ(SeparatorIndex::ContentEnd(s.data(), e + 6), 13u);  // "" at the end
}

}  // namespace
}  // namespace ferry::table

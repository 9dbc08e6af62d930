#include "ferry/train/split.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>

#include "testing/test_util.h"

namespace ferry::train {
namespace {

using ::testing::HasSubstr;

DataTable MakeTable(const std::vector<std::string>& keys) {
  DataTable t;
  t.name = "data.csv";
  t.columns = {"id", "x"};
  t.cells.resize(2);
  for (size_t i = 0; i < keys.size(); ++i) {
    t.cells[0].push_back(keys[i]);
    t.cells[1].push_back(std::to_string(i));
    t.lines.push_back(static_cast<int64_t>(i) + 2);
  }
  return t;
}

std::vector<std::string> Keys(int n, int start = 0) {
  std::vector<std::string> keys;
  for (int i = start; i < start + n; ++i) keys.push_back("user-" + std::to_string(i));
  return keys;
}

// key text → part, from a split result.
std::map<std::string, int> PartsByKey(const DataTable& t, const SplitRows& rows) {
  std::map<std::string, int> out;
  for (int p = 0; p < 3; ++p) {
    for (int64_t r : rows.parts[p]) out[t.cells[0][r]] = p;
  }
  return out;
}

TEST(SplitRatiosTest, AcceptsValidAndRejectsBad) {
  EXPECT_TRUE(CheckSplitRatios({0.7, 0.15, 0.15}).ok());
  EXPECT_TRUE(CheckSplitRatios({1.0, 0.0, 0.0}).ok());
  EXPECT_TRUE(CheckSplitRatios({0.5, 0.5 - 5e-10, 0.0}).ok());
  Status s = CheckSplitRatios({0.7, 0.2, 0.2});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "ratios: must sum to 1, got 1.0999999999999999");
  s = CheckSplitRatios({1.2, -0.2, 0.0});
  EXPECT_EQ(s.message(), "ratios: train must be in [0, 1], got 1.2");
  s = CheckSplitRatios({0.5, std::nan(""), 0.5});
  EXPECT_EQ(s.message(), "ratios: validation must be in [0, 1], got nan");
}

TEST(SplitHasherTest, DeterministicInUnitIntervalAndSeedDependent) {
  SplitHasher a(""), b(""), c("other-seed");
  int differ = 0;
  for (const std::string& k : Keys(200)) {
    double u = a.Unit(k);
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
    EXPECT_EQ(u, b.Unit(k));
    if (u != c.Unit(k)) ++differ;
  }
  EXPECT_GT(differ, 190);
}

TEST(SplitPartTest, CumulativeBoundsAndZeroRatios) {
  SplitRatios r{0.7, 0.15, 0.15};
  EXPECT_EQ(PartOf(0.0, r), SplitPart::kTrain);
  EXPECT_EQ(PartOf(0.6999, r), SplitPart::kTrain);
  EXPECT_EQ(PartOf(0.7001, r), SplitPart::kValidation);
  EXPECT_EQ(PartOf(0.8499, r), SplitPart::kValidation);
  EXPECT_EQ(PartOf(0.8501, r), SplitPart::kTest);
  EXPECT_EQ(PartOf(0.9999999, r), SplitPart::kTest);
  SplitRatios no_test{0.5, 0.5 - 5e-10, 0.0};
  EXPECT_EQ(PartOf(0.99999999999, no_test), SplitPart::kValidation);
  SplitRatios only_test{0.0, 0.0, 1.0};
  EXPECT_EQ(PartOf(0.0, only_test), SplitPart::kTest);
}

TEST(SplitTableTest, DeterministicAndInInputOrder) {
  DataTable t = MakeTable(Keys(1000));
  SplitOptions options{"id", {}, "s1"};
  Result<SplitRows> a = SplitTable(t, options);
  Result<SplitRows> b = SplitTable(t, options);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok());
  size_t total = 0;
  for (int p = 0; p < 3; ++p) {
    EXPECT_EQ(a->parts[p], b->parts[p]);
    EXPECT_TRUE(std::is_sorted(a->parts[p].begin(), a->parts[p].end()));
    total += a->parts[p].size();
  }
  EXPECT_EQ(total, 1000u);
}

TEST(SplitTableTest, SameKeySameSplitWhenShuffledOrExtended) {
  std::vector<std::string> keys = Keys(2000);
  DataTable original = MakeTable(keys);
  SplitOptions options{"id", {0.6, 0.2, 0.2}, "seed"};
  Result<SplitRows> base = SplitTable(original, options);
  ASSERT_TRUE(base.ok());
  std::map<std::string, int> expected = PartsByKey(original, *base);

  std::vector<std::string> shuffled = keys;
  std::mt19937 rng(42);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  std::vector<std::string> extra = Keys(500, 5000);
  shuffled.insert(shuffled.begin() + 700, extra.begin(), extra.end());
  shuffled.push_back(keys[3]);  // a repeated key lands with its twin
  DataTable changed = MakeTable(shuffled);
  Result<SplitRows> again = SplitTable(changed, options);
  ASSERT_TRUE(again.ok());
  std::map<std::string, int> got = PartsByKey(changed, *again);
  for (const auto& [key, part] : expected) EXPECT_EQ(got.at(key), part) << key;
  int twins = 0;
  for (int p = 0; p < 3; ++p) {
    for (int64_t r : again->parts[p]) twins += changed.cells[0][r] == keys[3] ? 1 : 0;
    if (expected.at(keys[3]) != p) {
      for (int64_t r : again->parts[p]) EXPECT_NE(changed.cells[0][r], keys[3]);
    }
  }
  EXPECT_EQ(twins, 2);
}

TEST(SplitTableTest, RatiosRoughlyRespectedOn10kRows) {
  DataTable t = MakeTable(Keys(10000));
  SplitOptions options{"id", {0.7, 0.15, 0.15}, ""};
  Result<SplitRows> rows = SplitTable(t, options);
  ASSERT_TRUE(rows.ok());
  // Binomial(10000, p): sd = sqrt(10000 p (1-p)) is 45.8 for 0.7 and 35.7 for
  // 0.15; allow 5 sd.
  EXPECT_NEAR(static_cast<double>(rows->parts[0].size()), 7000.0, 5 * 45.8);
  EXPECT_NEAR(static_cast<double>(rows->parts[1].size()), 1500.0, 5 * 35.7);
  EXPECT_NEAR(static_cast<double>(rows->parts[2].size()), 1500.0, 5 * 35.7);
}

TEST(SplitTableTest, ZeroRatioPartGetsNoRows) {
  DataTable t = MakeTable(Keys(3000));
  Result<SplitRows> rows = SplitTable(t, {"id", {0.8, 0.0, 0.2}, ""});
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->parts[1].empty());
  EXPECT_NEAR(static_cast<double>(rows->parts[0].size()), 2400.0, 5 * 21.9);
}

TEST(SplitTableTest, SeedChangesTheSplit) {
  DataTable t = MakeTable(Keys(1000));
  Result<SplitRows> a = SplitTable(t, {"id", {}, "a"});
  Result<SplitRows> b = SplitTable(t, {"id", {}, "b"});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->parts[0], b->parts[0]);
}

TEST(SplitTableTest, Errors) {
  DataTable t = MakeTable({"a", "b", "", "d"});
  Result<SplitRows> r = SplitTable(t, {"user", {}, ""});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "data.csv: no column named 'user' (columns: id, x)");
  r = SplitTable(t, {"id", {}, ""});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "data.csv:4: column 'id' is empty");
  r = SplitTable(MakeTable({"a"}), {"id", {0.5, 0.6, 0.0}, ""});
  EXPECT_THAT(r.status().message(), HasSubstr("must sum to 1"));
}

TEST(SplitTableTest, EmptyTableGivesEmptyParts) {
  Result<SplitRows> r = SplitTable(MakeTable({}), {"id", {}, ""});
  ASSERT_TRUE(r.ok());
  for (int p = 0; p < 3; ++p) EXPECT_TRUE(r->parts[p].empty());
}

}  // namespace
}  // namespace ferry::train

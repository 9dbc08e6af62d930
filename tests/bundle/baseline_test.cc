// Baseline profiling: columns, categories, compressed input, and parity with NumPy.
#include "ferry/bundle/baseline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bundle/baseline_test_util.h"
#include "ferry/base/sha256.h"
#include "testing/test_util.h"

namespace ferry::bundle {
namespace {

using baseline_testing::Categorical;
using baseline_testing::kSmallCsv;
using baseline_testing::Numeric;
using baseline_testing::ProfileText;
using ::ferry::testing::TempDir;
using ::ferry::testing::WriteTextFile;

TEST(BaselineTest, ProfilesNumericAndCategoricalColumns) {
  TempDir dir;
  auto b = ProfileText(dir, kSmallCsv);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->rows, 5);
  EXPECT_EQ(b->source_digest, Sha256Hex(kSmallCsv));
  ASSERT_EQ(b->features.size(), 4u);

  EXPECT_EQ(b->features[0].name, "age");
  EXPECT_EQ(b->features[0].kind(), FeatureKind::kNumeric);
  const NumericProfile& age = Numeric(*b, 0);
  EXPECT_EQ(age.count, 4);
  EXPECT_EQ(age.missing, 1);
  EXPECT_EQ(age.min, 25);
  EXPECT_EQ(age.max, 40);
  EXPECT_EQ(age.mean, 32.5);
  EXPECT_DOUBLE_EQ(age.std, std::sqrt(31.25));  // population std of 25, 30, 35, 40
  // numpy.quantile([25, 30, 35, 40], [.1, ..., 1]) (linear).
  std::vector<double> cuts = {26.5, 28, 29.5, 31, 32.5, 34, 35.5, 37, 38.5, 40};
  ASSERT_EQ(age.cut_points.size(), cuts.size());
  for (size_t i = 0; i < cuts.size(); ++i) EXPECT_DOUBLE_EQ(age.cut_points[i], cuts[i]) << i;
  EXPECT_EQ(age.bin_counts, (std::vector<int64_t>{1, 0, 0, 1, 0, 0, 1, 0, 0, 1}));

  EXPECT_EQ(b->features[1].name, "city");
  EXPECT_EQ(b->features[1].kind(), FeatureKind::kCategorical);
  const CategoricalProfile& city = Categorical(*b, 1);
  EXPECT_EQ(city.count, 4);
  EXPECT_EQ(city.missing, 1);
  EXPECT_EQ(city.categories,
            (std::map<std::string, int64_t>{{"Berlin", 1}, {"London", 1}, {"Paris", 2}}));

  const NumericProfile& income = Numeric(*b, 2);
  EXPECT_EQ(income.count, 3);
  EXPECT_EQ(income.missing, 2);
  EXPECT_EQ(income.min, 1000.5);
  EXPECT_EQ(income.max, 2000);
  EXPECT_DOUBLE_EQ(income.mean, 4500.5 / 3);

  // Numeric until the last row: the earlier values keep their spelling as categories.
  EXPECT_EQ(b->features[3].kind(), FeatureKind::kCategorical);
  const CategoricalProfile& flag = Categorical(*b, 3);
  EXPECT_EQ(flag.count, 5);
  EXPECT_EQ(flag.missing, 0);
  EXPECT_EQ(flag.categories, (std::map<std::string, int64_t>{{"0", 1}, {"1", 3}, {"abc", 1}}));
}

TEST(BaselineTest, KeepsTheMostFrequentCategories) {
  TempDir dir;
  BaselineOptions options;
  options.max_categories = 2;
  auto b = ProfileText(dir, "c\nz\ny\nx\nz\ny\nz\nw\n\nNA\n", options);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  // z:3, y:2 kept; x and w (1 each) summed.
  EXPECT_EQ(Categorical(*b, 0).categories,
            (std::map<std::string, int64_t>{{"__other__", 2}, {"y", 2}, {"z", 3}}));
  EXPECT_EQ(Categorical(*b, 0).count, 7);
  EXPECT_EQ(Categorical(*b, 0).missing, 1);  // the blank line is skipped, not a missing value

  // Ties are broken by byte order.
  options.max_categories = 1;
  b = ProfileText(dir, "c\nb\na\n", options);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Categorical(*b, 0).categories,
            (std::map<std::string, int64_t>{{"__other__", 1}, {"a", 1}}));
}

TEST(BaselineTest, LateNonNumberKeepsEarlierSpellings) {
  TempDir dir;
  auto b = ProfileText(dir, "zip\n02134\n2134\n1.50\n02134\nK1A 0B1\n");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(
      Categorical(*b, 0).categories,
      (std::map<std::string, int64_t>{{"02134", 2}, {"1.50", 1}, {"2134", 1}, {"K1A 0B1", 1}}));

  // Past 10 * max_categories distinct numbers, their spellings are rebuilt from the values.
  BaselineOptions options;
  options.max_categories = 2;  // spellings tracked up to 20 distinct
  std::string csv = "v\n1.50\n1.50\ninf\n";
  for (int i = 0; i < 30; ++i) csv += std::to_string(100 + i) + ".0\n";
  csv += "x\n";
  b = ProfileText(dir, csv, options);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const CategoricalProfile& v = Categorical(*b, 0);
  EXPECT_EQ(v.count, 34);
  EXPECT_EQ(v.categories,
            (std::map<std::string, int64_t>{{"1.5", 2}, {"100", 1}, {"__other__", 31}}));
}

TEST(BaselineTest, SelectsColumnsInTheGivenOrder) {
  TempDir dir;
  BaselineOptions options;
  options.columns = {"income", "age"};
  auto b = ProfileText(dir, kSmallCsv, options);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->features.size(), 2u);
  EXPECT_EQ(b->features[0].name, "income");
  EXPECT_EQ(b->features[1].name, "age");
  EXPECT_EQ(Numeric(*b, 1).count, 4);

  options.columns = {"age", "nope"};
  auto missing = ProfileText(dir, kSmallCsv, options);
  EXPECT_EQ(missing.status().ToString(),
            "NOT_FOUND: " + (dir / "train.csv").string() + ": no column named 'nope'");
  options.columns = {"age", "age"};
  EXPECT_EQ(ProfileText(dir, kSmallCsv, options).status().ToString(),
            "INVALID_ARGUMENT: column 'age' listed twice");
  options.columns = {};
  options.max_categories = 0;
  EXPECT_EQ(ProfileText(dir, kSmallCsv, options).status().code(), StatusCode::kInvalidArgument);
}

TEST(BaselineTest, EdgeColumns) {
  TempDir dir;
  auto b = ProfileText(dir, "empty,const,inf\n,7,inf\nNA,7,1\n,7,-inf\n");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  // All missing: numeric with no figures.
  const NumericProfile& empty = Numeric(*b, 0);
  EXPECT_EQ(empty.count, 0);
  EXPECT_EQ(empty.missing, 3);
  EXPECT_TRUE(std::isnan(empty.min) && std::isnan(empty.std));
  EXPECT_TRUE(empty.cut_points.empty());
  EXPECT_TRUE(empty.bin_counts.empty());
  // One value: one cut point holding everything.
  const NumericProfile& constant = Numeric(*b, 1);
  EXPECT_EQ(constant.cut_points, (std::vector<double>{7}));
  EXPECT_EQ(constant.bin_counts, (std::vector<int64_t>{3}));
  EXPECT_EQ(constant.std, 0);
  // Infinities are counted as missing.
  const NumericProfile& inf = Numeric(*b, 2);
  EXPECT_EQ(inf.count, 1);
  EXPECT_EQ(inf.missing, 2);
  EXPECT_EQ(inf.max, 1);
}

TEST(BaselineTest, ReadsCompressedCsv) {
  TempDir dir;
  WriteTextFile(dir / "train.csv", kSmallCsv);
  std::string cmd =
      "gzip -c '" + (dir / "train.csv").string() + "' > '" + (dir / "train.csv.gz").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto b = ProfileCsv((dir / "train.csv.gz").string(), {});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->rows, 5);
  EXPECT_EQ(b->source_digest, *Sha256File(dir / "train.csv.gz"));  // the bytes as stored
  EXPECT_EQ(Numeric(*b, 0).count, 4);
}

TEST(BaselineTest, CsvErrorsPassThrough) {
  TempDir dir;
  auto b = ProfileText(dir, "a,b\n1,2\n3\n");
  EXPECT_EQ(b.status().ToString(),
            "INVALID_ARGUMENT: " + (dir / "train.csv").string() + ":3: expected 2 fields, got 1");
  EXPECT_EQ(ProfileCsv((dir / "nope.csv").string(), {}).status().code(), StatusCode::kNotFound);
}

// Runs `command` and returns its standard output; fails the test if it exits non-zero.
std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed: " << command;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  int rc = ::pclose(pipe);
  EXPECT_EQ(rc, 0) << command << "\n" << out;
  return out;
}

void ExpectClose(double got, double want, const std::string& what) {
  double tolerance = 1e-9 * std::max(1.0, std::fabs(want));
  EXPECT_NEAR(got, want, tolerance) << what;
}

// numpy computes the reference: mean, std (ddof=0), min, max, the deduplicated quantiles at
// 0.1..1.0 (default "linear" method) and the bin counts under the documented bin rule.
const char kNumpyScript[] = R"PY(
import sys
import numpy as np
import pandas as pd
df = pd.read_csv(sys.argv[1], keep_default_na=False)
for name in df.columns:
    col = df[name].astype(str).str.strip()
    col = col[~col.isin(["", "NA", "nan", "NaN", "NAN"])]
    v = col.astype(float).to_numpy()
    v = v[np.isfinite(v)]
    q = np.quantile(v, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    cuts = [q[0]] + [x for prev, x in zip(q, q[1:]) if x != prev]
    bins = np.minimum(np.searchsorted(cuts, v, side="left"), len(cuts) - 1)
    counts = np.bincount(bins, minlength=len(cuts))
    print(name, len(v), repr(float(v.min())), repr(float(v.max())), repr(float(v.mean())),
          repr(float(v.std())), len(cuts), *[repr(float(c)) for c in cuts],
          *[int(c) for c in counts])
)PY";

TEST(BaselineTest, MatchesNumpy) {
  TempDir dir;
  std::mt19937 rng(2024);
  std::normal_distribution<double> normal(50, 12);
  std::exponential_distribution<double> expo(0.3);
  std::uniform_int_distribution<int> small(0, 4);
  std::string csv = "normal,skewed,few,mostly_same,negative\n";
  const int kRows = 2345;
  for (int r = 0; r < kRows; ++r) {
    char line[256];
    std::snprintf(line, sizeof(line), "%.17g,%.6f,%d,%d,%.3e\n", normal(rng), expo(rng), small(rng),
                  r % 97 == 0 ? r : 3, -expo(rng) * 1e6);
    std::string row = line;
    if (r % 13 == 0) row = "," + row.substr(row.find(',') + 1);  // a missing value
    if (r % 29 == 0) row = "NA," + row.substr(row.find(',') + 1);
    csv += row;
  }
  WriteTextFile(dir / "train.csv", csv);
  WriteTextFile(dir / "reference.py", kNumpyScript);
  std::string out = RunCommand("/usr/bin/python3 '" + (dir / "reference.py").string() + "' '" +
                               (dir / "train.csv").string() + "'");

  auto b = ProfileCsv((dir / "train.csv").string(), {});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->rows, kRows);
  std::istringstream lines(out);
  std::string line;
  size_t checked = 0;
  while (std::getline(lines, line)) {
    std::istringstream in(line);
    std::string name;
    int64_t count;
    double min, max, mean, std;
    size_t ncuts;
    in >> name >> count >> min >> max >> mean >> std >> ncuts;
    std::vector<double> cuts(ncuts);
    for (double& c : cuts) in >> c;
    std::vector<int64_t> bins(ncuts);
    for (int64_t& c : bins) in >> c;
    ASSERT_FALSE(in.fail()) << line;

    const FeatureProfile& f = b->features.at(checked);
    ASSERT_EQ(f.name, name);
    ASSERT_EQ(f.kind(), FeatureKind::kNumeric) << name;
    const NumericProfile& p = std::get<NumericProfile>(f.stats);
    EXPECT_EQ(p.count, count) << name;
    EXPECT_EQ(p.missing, kRows - count) << name;
    EXPECT_EQ(p.min, min) << name;
    EXPECT_EQ(p.max, max) << name;
    ExpectClose(p.mean, mean, name + " mean");
    ExpectClose(p.std, std, name + " std");
    ASSERT_EQ(p.cut_points.size(), ncuts) << name;
    for (size_t i = 0; i < ncuts; ++i) {
      ExpectClose(p.cut_points[i], cuts[i], name + " cut " + std::to_string(i));
    }
    EXPECT_EQ(p.bin_counts, bins) << name;
    ++checked;
  }
  EXPECT_EQ(checked, b->features.size());
  // The columns exercise collapsed cut points.
  EXPECT_LT(Numeric(*b, 2).cut_points.size(), 10u);
  EXPECT_LT(Numeric(*b, 3).cut_points.size(), 10u);
}

}  // namespace
}  // namespace ferry::bundle

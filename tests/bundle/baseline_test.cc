#include "ferry/bundle/baseline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ferry/base/sha256.h"
#include "testing/test_util.h"

namespace ferry::bundle {
namespace {

using ::ferry::testing::TempDir;
using ::ferry::testing::WriteTextFile;

const char kSmallCsv[] =
    "age,city,income,flag\n"
    "30,Paris,1000.5,1\n"
    "NA,London,,0\n"
    "25,Paris,2000,1\n"
    "40,,NaN,1\n"
    "35,Berlin,1500,abc\n";

Result<Baseline> ProfileText(const TempDir& dir, const std::string& csv,
                             const BaselineOptions& options = {}) {
  WriteTextFile(dir / "train.csv", csv);
  return ProfileCsv((dir / "train.csv").string(), options);
}

const NumericProfile& Numeric(const Baseline& b, size_t i) {
  return std::get<NumericProfile>(b.features.at(i).stats);
}
const CategoricalProfile& Categorical(const Baseline& b, size_t i) {
  return std::get<CategoricalProfile>(b.features.at(i).stats);
}

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

TEST(BaselineTest, JsonFormatIsPinned) {
  Baseline b;
  b.rows = 3;
  b.source_digest = std::string(64, 'a');
  NumericProfile n;
  n.count = 2;
  n.missing = 1;
  n.min = 0.5;
  n.max = 2;
  n.mean = 1.25;
  n.std = 0.75;
  n.cut_points = {0.5, 2};
  n.bin_counts = {1, 1};
  CategoricalProfile c;
  c.count = 3;
  c.categories = {{"b", 1}, {"a \"q\"", 2}};
  b.features.push_back({"x", n});
  b.features.push_back({"y", c});
  EXPECT_EQ(BaselineToJson(b),
            "{\"format\":\"ferry.baseline/v1\",\"rows\":3,\"source\":{\"sha256\":\"" +
                std::string(64, 'a') +
                "\"},\"features\":[{\"name\":\"x\",\"kind\":\"numeric\",\"count\":2,"
                "\"missing\":1,\"min\":0.5,\"max\":2,\"mean\":1.25,\"std\":0.75,"
                "\"cut_points\":[0.5,2],\"bin_counts\":[1,1]},{\"name\":\"y\",\"kind\":"
                "\"categorical\",\"count\":3,\"missing\":0,\"categories\":{\"a \\\"q\\\"\":2,"
                "\"b\":1}}]}");
}

void ExpectSameNumeric(const NumericProfile& p, const NumericProfile& q, const std::string& name) {
  EXPECT_EQ(p.count, q.count) << name;
  EXPECT_EQ(p.missing, q.missing) << name;
  for (auto [u, v] : {std::pair{p.min, q.min}, {p.max, q.max}, {p.mean, q.mean}, {p.std, q.std}}) {
    if (std::isnan(u)) {
      EXPECT_TRUE(std::isnan(v)) << name;
    } else {
      EXPECT_EQ(u, v) << name;  // exact: shortest round-trip text
    }
  }
  EXPECT_EQ(p.cut_points, q.cut_points) << name;
  EXPECT_EQ(p.bin_counts, q.bin_counts) << name;
}

void ExpectSameBaseline(const Baseline& a, const Baseline& b) {
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.source_digest, b.source_digest);
  ASSERT_EQ(a.prediction.has_value(), b.prediction.has_value());
  if (a.prediction) {
    EXPECT_EQ(a.prediction->output, b.prediction->output);
    ExpectSameNumeric(a.prediction->stats, b.prediction->stats, "prediction");
  }
  ASSERT_EQ(a.features.size(), b.features.size());
  for (size_t i = 0; i < a.features.size(); ++i) {
    const FeatureProfile& x = a.features[i];
    const FeatureProfile& y = b.features[i];
    EXPECT_EQ(x.name, y.name);
    ASSERT_EQ(x.kind(), y.kind()) << x.name;
    if (x.kind() == FeatureKind::kNumeric) {
      ExpectSameNumeric(std::get<NumericProfile>(x.stats), std::get<NumericProfile>(y.stats),
                        x.name);
    } else {
      const auto& p = std::get<CategoricalProfile>(x.stats);
      const auto& q = std::get<CategoricalProfile>(y.stats);
      EXPECT_EQ(p.count, q.count);
      EXPECT_EQ(p.missing, q.missing);
      EXPECT_EQ(p.categories, q.categories);
    }
  }
}

TEST(BaselineTest, JsonRoundTrip) {
  TempDir dir;
  const std::string csv =
      std::string(kSmallCsv) + "33.333333333333336,\"Zürich, \"\"CH\"\"\",1e-300,1\n";
  auto b = ProfileText(dir, csv);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  std::string json = BaselineToJson(*b);
  auto parsed = ParseBaselineJson(json, "baseline.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ExpectSameBaseline(*b, *parsed);
  EXPECT_EQ(BaselineToJson(*parsed), json);
  // A profile of data alone has no prediction profile and no "prediction" key.
  EXPECT_FALSE(parsed->prediction.has_value());
  EXPECT_EQ(json.find("\"prediction\""), std::string::npos) << json;

  // An all-missing column (null figures) survives too.
  auto edge = ProfileText(dir, "e,f\n,1\nNA,2\n");
  ASSERT_TRUE(edge.ok());
  std::string edge_json = BaselineToJson(*edge);
  EXPECT_NE(edge_json.find("\"min\":null,\"max\":null,\"mean\":null,\"std\":null,"
                           "\"cut_points\":[],\"bin_counts\":[]"),
            std::string::npos)
      << edge_json;
  auto edge_parsed = ParseBaselineJson(edge_json, "baseline.json");
  ASSERT_TRUE(edge_parsed.ok()) << edge_parsed.status().ToString();
  ExpectSameBaseline(*edge, *edge_parsed);
}

TEST(BaselineTest, ProfileNumbersIsTheNumericColumnProfile) {
  TempDir dir;
  auto b = ProfileText(dir, "v\n0.25\nNA\n3\ninf\n-1.5\n0.25\nNaN\n7\n");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  NumericProfile p = ProfileNumbers({0.25, nan, 3, inf, -1.5, 0.25, nan, 7});
  EXPECT_EQ(p.count, 5);
  EXPECT_EQ(p.missing, 3);  // NaN and +-inf
  ExpectSameNumeric(p, Numeric(*b, 0), "v");

  NumericProfile none = ProfileNumbers({nan, -inf});
  EXPECT_EQ(none.count, 0);
  EXPECT_EQ(none.missing, 2);
  EXPECT_TRUE(std::isnan(none.mean));
  EXPECT_TRUE(none.cut_points.empty());
  EXPECT_EQ(ProfileNumbers({}).missing, 0);
}

Baseline WithPrediction() {
  Baseline b;
  b.rows = 3;
  b.source_digest = std::string(64, 'a');
  NumericProfile n;
  n.count = 3;
  n.min = 0.5;
  n.max = 2;
  n.mean = 1;
  n.std = 0.75;
  n.cut_points = {0.5, 2};
  n.bin_counts = {2, 1};
  b.features.push_back({"x", n});
  PredictionProfile p;
  p.output = "probability";
  p.stats.count = 2;
  p.stats.missing = 1;
  p.stats.min = 0.125;
  p.stats.max = 0.875;
  p.stats.mean = 0.5;
  p.stats.std = 0.375;
  p.stats.cut_points = {0.125, 0.875};
  p.stats.bin_counts = {1, 1};
  b.prediction = p;
  return b;
}

TEST(BaselineTest, PredictionProfileJsonIsPinnedAndRoundTrips) {
  const Baseline b = WithPrediction();
  const std::string json = BaselineToJson(b);
  EXPECT_EQ(json, "{\"format\":\"ferry.baseline/v1\",\"rows\":3,\"source\":{\"sha256\":\"" +
                      std::string(64, 'a') +
                      "\"},\"features\":[{\"name\":\"x\",\"kind\":\"numeric\",\"count\":3,"
                      "\"missing\":0,\"min\":0.5,\"max\":2,\"mean\":1,\"std\":0.75,"
                      "\"cut_points\":[0.5,2],\"bin_counts\":[2,1]}],\"prediction\":{\"output\":"
                      "\"probability\",\"count\":2,\"missing\":1,\"min\":0.125,\"max\":0.875,"
                      "\"mean\":0.5,\"std\":0.375,\"cut_points\":[0.125,0.875],"
                      "\"bin_counts\":[1,1]}}");
  auto parsed = ParseBaselineJson(json, "baseline.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_TRUE(parsed->prediction.has_value());
  ExpectSameBaseline(b, *parsed);
  EXPECT_EQ(BaselineToJson(*parsed), json);

  // No value at all (every prediction missing): null figures, empty bins.
  Baseline empty = WithPrediction();
  empty.prediction->stats = ProfileNumbers(std::vector<double>(3, std::nan("")));
  std::string empty_json = BaselineToJson(empty);
  auto empty_parsed = ParseBaselineJson(empty_json, "baseline.json");
  ASSERT_TRUE(empty_parsed.ok()) << empty_parsed.status().ToString();
  ExpectSameBaseline(empty, *empty_parsed);
}

TEST(BaselineTest, MalformedPredictionProfileErrorsNameTheField) {
  const std::string valid = BaselineToJson(WithPrediction());
  auto edit = [&](const std::string& from, const std::string& to) {
    std::string json = valid;
    size_t at = json.find(from, json.find("\"prediction\""));
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) json.replace(at, from.size(), to);
    return json;
  };
  struct Case {
    std::string json;
    std::string message;
  };
  const Case cases[] = {
      {edit("{\"output\"", "[{\"output\""), "b.json: not valid JSON: "},
      {edit("\"prediction\":{", "\"prediction\":[1],\"p\":{"),
       "b.json: prediction: expected an object"},
      {edit("\"output\":\"probability\",", ""), "b.json: prediction.output: missing"},
      {edit("\"probability\"", "1"), "b.json: prediction.output: expected a string"},
      {edit("\"probability\"", "\"\""), "b.json: prediction.output: empty"},
      {edit("\"count\":2", "\"count\":-2"),
       "b.json: prediction.count: expected a non-negative integer"},
      {edit("\"missing\":1", "\"missing\":0"),
       "b.json: prediction: count (2) + missing (0) != rows (3)"},
      {edit("\"min\":0.125", "\"min\":null"), "b.json: prediction.min: expected a number"},
      {edit("\"min\":0.125", "\"min\":1"), "b.json: prediction.min: greater than max"},
      {edit("\"std\":0.375,", ""), "b.json: prediction.std: missing"},
      {edit("[0.125,0.875]", "[0.875,0.125]"),
       "b.json: prediction.cut_points[1]: cut points must be strictly increasing"},
      {edit("\"bin_counts\":[1,1]", "\"bin_counts\":[2]"),
       "b.json: prediction.bin_counts: 1 entries, expected 2 (one per cut point)"},
      {edit("\"bin_counts\":[1,1]", "\"bin_counts\":[1,2]"),
       "b.json: prediction.bin_counts: sum to 3, expected count 2"},
  };
  for (const Case& c : cases) {
    auto b = ParseBaselineJson(c.json, "b.json");
    ASSERT_FALSE(b.ok()) << c.json;
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument) << c.json;
    if (c.message.back() == ' ') {
      EXPECT_EQ(b.status().message().rfind(c.message, 0), 0u) << b.status().message();
    } else {
      EXPECT_EQ(b.status().message(), c.message) << c.json;
    }
  }
}

// A valid document; the malformed cases edit one piece of it.
const std::string kValidJson =
    "{\"format\":\"ferry.baseline/v1\",\"rows\":3,\"source\":{\"sha256\":\"" +
    std::string(64, 'a') +
    "\"},\"features\":[{\"name\":\"x\",\"kind\":\"numeric\",\"count\":2,\"missing\":1,"
    "\"min\":0.5,\"max\":2,\"mean\":1.25,\"std\":0.75,\"cut_points\":[0.5,2],"
    "\"bin_counts\":[1,1]},{\"name\":\"y\",\"kind\":\"categorical\",\"count\":3,"
    "\"missing\":0,\"categories\":{\"a\":2,\"b\":1}}]}";

std::string Edit(std::string json, const std::string& from, const std::string& to) {
  size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) json.replace(at, from.size(), to);
  return json;
}

TEST(BaselineTest, ParsesTheValidDocument) {
  auto b = ParseBaselineJson(kValidJson, "b.json");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->rows, 3);
  EXPECT_EQ(Numeric(*b, 0).cut_points, (std::vector<double>{0.5, 2}));
  EXPECT_EQ(Categorical(*b, 1).categories, (std::map<std::string, int64_t>{{"a", 2}, {"b", 1}}));
  // Unknown keys are ignored.
  EXPECT_TRUE(
      ParseBaselineJson(Edit(kValidJson, "\"rows\"", "\"extra\":[1],\"rows\""), "b.json").ok());
}

TEST(BaselineTest, MalformedJsonErrorsNameFileAndField) {
  struct Case {
    std::string json;
    std::string message;
  };
  const Case cases[] = {
      {"{\"format\":", "b.json: not valid JSON: "},
      {"[1]", "b.json: (top level): expected an object"},
      {Edit(kValidJson, "ferry.baseline/v1", "ferry.baseline/v2"),
       "b.json: format: expected \"ferry.baseline/v1\", got \"ferry.baseline/v2\""},
      {Edit(kValidJson, "\"rows\":3,", ""), "b.json: rows: missing"},
      {Edit(kValidJson, "\"rows\":3", "\"rows\":-3"),
       "b.json: rows: expected a non-negative integer"},
      {Edit(kValidJson, "\"rows\":3", "\"rows\":3.5"),
       "b.json: rows: expected a non-negative integer"},
      {Edit(kValidJson, std::string(64, 'a'), "abc"),
       "b.json: source.sha256: expected 64 lower-case hex digits"},
      {Edit(kValidJson, "\"features\":[", "\"features\":{\"a\":1},\"f\":["),
       "b.json: features: expected an array"},
      {Edit(kValidJson, "\"bin_counts\":[1,1]", "\"bin_counts\":[2]"),
       "b.json: features[0].bin_counts: 1 entries, expected 2 (one per cut point)"},
      {Edit(kValidJson, "\"bin_counts\":[1,1]", "\"bin_counts\":[1,-1]"),
       "b.json: features[0].bin_counts[1]: expected a non-negative integer"},
      {Edit(kValidJson, "\"bin_counts\":[1,1]", "\"bin_counts\":[1,2]"),
       "b.json: features[0].bin_counts: sum to 3, expected count 2"},
      {Edit(kValidJson, "\"cut_points\":[0.5,2]", "\"cut_points\":[2,0.5]"),
       "b.json: features[0].cut_points[1]: cut points must be strictly increasing"},
      {Edit(kValidJson, "\"cut_points\":[0.5,2]", "\"cut_points\":[0.5,\"2\"]"),
       "b.json: features[0].cut_points[1]: expected a number"},
      {Edit(kValidJson, "\"count\":2,\"missing\":1", "\"count\":-2,\"missing\":1"),
       "b.json: features[0].count: expected a non-negative integer"},
      {Edit(kValidJson, "\"count\":2,\"missing\":1", "\"count\":2,\"missing\":2"),
       "b.json: features[0]: count (2) + missing (2) != rows (3)"},
      {Edit(kValidJson, "\"min\":0.5", "\"min\":null"),
       "b.json: features[0].min: expected a number"},
      {Edit(kValidJson, "\"std\":0.75,", ""), "b.json: features[0].std: missing"},
      {Edit(kValidJson, "\"kind\":\"numeric\"", "\"kind\":\"text\""),
       "b.json: features[0].kind: expected \"numeric\" or \"categorical\", got \"text\""},
      {Edit(kValidJson, "\"name\":\"y\"", "\"name\":\"x\""),
       "b.json: features[1].name: duplicate feature 'x'"},
      {Edit(kValidJson, "\"name\":\"y\"", "\"name\":\"\""), "b.json: features[1].name: empty"},
      {Edit(kValidJson, "{\"a\":2,\"b\":1}", "{\"a\":2,\"b\":2}"),
       "b.json: features[1].categories: sum to 4, expected count 3"},
      {Edit(kValidJson, "{\"a\":2,\"b\":1}", "{\"a\":2,\"b\":\"1\"}"),
       "b.json: features[1].categories[\"b\"]: expected a non-negative integer"},
      {Edit(kValidJson, "{\"a\":2,\"b\":1}", "{\"a\":1,\"a\":1,\"b\":1}"),
       "b.json: features[1].categories[\"a\"]: duplicate category"},
      {Edit(kValidJson, "\"categories\":", "\"cats\":"), "b.json: features[1].categories: missing"},
  };
  for (const Case& c : cases) {
    auto b = ParseBaselineJson(c.json, "b.json");
    ASSERT_FALSE(b.ok()) << c.json;
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument) << c.json;
    if (c.message.back() == ' ') {  // prefix only (the JSON library's wording follows)
      EXPECT_EQ(b.status().message().rfind(c.message, 0), 0u) << b.status().message();
    } else {
      EXPECT_EQ(b.status().message(), c.message) << c.json;
    }
  }
}

}  // namespace
}  // namespace ferry::bundle

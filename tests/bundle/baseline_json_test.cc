// The baseline JSON document: its pinned format, round trips, the prediction
// profile, and errors that name the file and the field.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "bundle/baseline_test_util.h"
#include "ferry/bundle/baseline.h"
#include "testing/test_util.h"

namespace ferry::bundle {
namespace {

using baseline_testing::Categorical;
using baseline_testing::kSmallCsv;
using baseline_testing::Numeric;
using baseline_testing::ProfileText;
using ::ferry::testing::TempDir;

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

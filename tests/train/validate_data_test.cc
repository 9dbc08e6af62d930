#include "ferry/train/validate_data.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "ferry/base/files.h"
#include "ferry/bundle/archive.h"
#include "ferry/bundle/baseline.h"
#include "ferry/train/data_table.h"
#include "ferry/train/validate_drift.h"
#include "ferry/train/validate_schema.h"
#include "testing/test_util.h"

namespace ferry::train {
namespace {

using ::ferry::testing::TempDir;
using ::ferry::testing::WriteTextFile;
using ::testing::HasSubstr;

// A reference (schema + baseline) and a data file, checked with ValidateData.
class ValidateDataTest : public ::testing::Test {
 protected:
  ValidationReport Check(const std::string& reference_csv, const std::string& data_csv,
                         const ValidateDataOptions& options = {}) {
    WriteTextFile(dir_ / "reference.csv", reference_csv);
    WriteTextFile(dir_ / "data.csv", data_csv);
    bundle::BaselineOptions profile_options;
    profile_options.max_categories = kSchemaMaxCategories;
    Result<bundle::Baseline> reference =
        bundle::ProfileCsv((dir_ / "reference.csv").string(), profile_options);
    Result<bundle::Baseline> profile =
        bundle::ProfileCsv((dir_ / "data.csv").string(), profile_options);
    Result<DataTable> data = ReadDataTable((dir_ / "data.csv").string());
    EXPECT_TRUE(reference.ok()) << reference.status().ToString();
    EXPECT_TRUE(profile.ok()) << profile.status().ToString();
    EXPECT_TRUE(data.ok()) << data.status().ToString();
    reference_ = *reference;
    profile_ = *profile;
    data_ = *data;
    schema_ = SchemaFromProfile(reference_);
    ValidationInputs in;
    in.data = &data_;
    in.data_profile = &profile_;
    in.schema = &schema_;
    in.baseline = &reference_;
    return ValidateData(in, options);
  }

  TempDir dir_;
  bundle::Baseline reference_;
  bundle::Baseline profile_;
  DataTable data_;
  DataSchema schema_;
};

const Anomaly* FindAnomaly(const ValidationReport& r, const std::string& kind,
                           const std::string& column) {
  for (const Anomaly& a : r.anomalies) {
    if (a.kind == kind && a.column == column) return &a;
  }
  return nullptr;
}

double NumberOf(const Anomaly& a, const std::string& key) {
  for (const AnomalyNumber& n : a.numbers) {
    if (n.key == key) return n.value;
  }
  ADD_FAILURE() << "no number " << key;
  return NAN;
}

// 1..100 as a CSV column `x` plus a categorical `c`.
std::string Reference() {
  std::string csv = "x,c\n";
  for (int i = 1; i <= 100; ++i) csv += std::to_string(i) + "," + (i % 2 ? "a" : "b") + "\n";
  return csv;
}

TEST(PsiTest, MatchesHandComputedValues) {
  // e = (0.5, 0.3, 0.2), a = (0.3, 0.3, 0.4):
  // (0.3-0.5)*ln(0.3/0.5) + 0 + (0.4-0.2)*ln(0.4/0.2)
  //   = 0.2*0.5108256 + 0.2*0.6931472 = 0.2407946
  EXPECT_NEAR(Psi({50, 30, 20}, {30, 30, 40}), 0.2407946, 1e-7);
  // An empty bin counts as 1e-4: e = (1, 1e-4), a = (0.5, 0.5):
  // (0.5-1)*ln(0.5) + (0.5-1e-4)*ln(0.5/1e-4) = 0.3465736 + 0.4999*8.5171932 = 4.6043185
  EXPECT_NEAR(Psi({100, 0}, {50, 50}), 4.6043185, 1e-7);
  EXPECT_EQ(Psi({10, 20, 30}, {1, 2, 3}), 0.0);
}

TEST(BinLikeBaselineTest, NumericBinsFollowTheBaselineRule) {
  bundle::FeatureProfile f;
  f.name = "x";
  bundle::NumericProfile p;
  p.count = 6;
  p.cut_points = {1, 2, 3};
  p.bin_counts = {2, 2, 2};
  f.stats = p;
  // bin 0: v <= 1; bin 1: 1 < v <= 2; bin 2: v > 2 (open above).
  auto b = BinLikeBaseline(f, {"0.5", "1", "1.5", "2", "2.5", "99", "", "NA", "inf"});
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->expected, (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(b->actual, (std::vector<int64_t>{2, 2, 2}));
  EXPECT_FALSE(BinLikeBaseline(f, {"1", "abc"}).has_value());
  EXPECT_FALSE(BinLikeBaseline(f, {"", "NA"}).has_value());
}

TEST(BinLikeBaselineTest, CategoricalUnseenValuesGetTheirOwnBin) {
  bundle::FeatureProfile f;
  f.name = "c";
  bundle::CategoricalProfile p;
  p.count = 4;
  p.categories = {{"a", 3}, {"b", 1}};
  f.stats = p;
  auto b = BinLikeBaseline(f, {"a", "z", "b", "y", ""});
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->expected, (std::vector<int64_t>{3, 1, 0}));
  EXPECT_EQ(b->actual, (std::vector<int64_t>{1, 1, 2}));
  b = BinLikeBaseline(f, {"a", "b"});  // nothing unseen: no extra bin
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->expected, (std::vector<int64_t>{3, 1}));
  p.categories = {{"a", 3}, {std::string(bundle::kOtherCategory), 1}};
  f.stats = p;
  b = BinLikeBaseline(f, {"a", "z", "a"});  // unseen values go to __other__ (sorts first)
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->expected, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(b->actual, (std::vector<int64_t>{1, 2}));
}

TEST_F(ValidateDataTest, SameDataHasNoAnomaly) {
  ValidationReport r = Check(Reference(), Reference());
  EXPECT_TRUE(r.anomalies.empty());
  EXPECT_TRUE(r.passed);
  ASSERT_EQ(r.features.size(), 2u);
  EXPECT_EQ(r.features[0].name, "x");
  ASSERT_TRUE(r.features[0].psi.has_value());
  EXPECT_EQ(*r.features[0].psi, 0.0);
  EXPECT_EQ(r.rows, 100);
}

TEST_F(ValidateDataTest, MissingColumnIsAnError) {
  ValidationReport r = Check(Reference(), "x\n1\n2\n");
  const Anomaly* a = FindAnomaly(r, "missing_column", "c");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->severity, Severity::kError);
  EXPECT_EQ(a->message, "column 'c' is in the schema but not in the data");
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.errors, 1);

  ValidateDataOptions options;
  options.label = "c";
  r = Check(Reference(), "x\n1\n2\n", options);
  EXPECT_EQ(FindAnomaly(r, "missing_column", "c")->message,
            "label column 'c' is in the schema but not in the data");
}

TEST_F(ValidateDataTest, NewColumnIsAWarning) {
  ValidationReport r = Check("x\n1\n2\n", "x,extra\n1,q\n2,r\n");
  const Anomaly* a = FindAnomaly(r, "new_column", "extra");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->severity, Severity::kWarning);
  EXPECT_EQ(a->message, "column 'extra' is not in the schema");
  EXPECT_TRUE(r.passed);  // fail_on defaults to [error]
  EXPECT_EQ(r.warnings, 1);
}

TEST_F(ValidateDataTest, TypeChangeIsAnError) {
  ValidationReport r = Check("x\n1\n2\n", "x\n1\nNA\nabc\n");
  const Anomaly* a = FindAnomaly(r, "type_change", "x");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->severity, Severity::kError);
  EXPECT_EQ(a->message,
            "column 'x' is numeric in the schema but not in the data (e.g. 'abc' at line 4)");
  EXPECT_EQ(a->examples, std::vector<std::string>{"abc"});
  EXPECT_EQ(FindAnomaly(r, "out_of_range", "x"), nullptr);
  EXPECT_FALSE(r.passed);
}

TEST_F(ValidateDataTest, OutOfRangeCountsValuesBelowAndAbove) {
  ValidationReport r = Check("x\n0\n10\n5\n", "x\n-1\n3\n11\n12\nNA\n");
  const Anomaly* a = FindAnomaly(r, "out_of_range", "x");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->severity, Severity::kWarning);
  EXPECT_EQ(NumberOf(*a, "count"), 3);
  EXPECT_EQ(NumberOf(*a, "below"), 1);
  EXPECT_EQ(NumberOf(*a, "above"), 2);
  EXPECT_EQ(NumberOf(*a, "data_min"), -1);
  EXPECT_EQ(NumberOf(*a, "data_max"), 12);
  EXPECT_EQ(a->message,
            "3 values of column 'x' outside the seen range [0, 10]: 1 below, 2 above "
            "(data range -1 to 12)");
}

TEST_F(ValidateDataTest, NewCategoryListsExamplesAndCount) {
  std::string data = "c\na\nb\n";
  for (int i = 0; i < 12; ++i) data += "n" + std::to_string(i) + "\nn" + std::to_string(i) + "\n";
  ValidationReport r = Check("c\na\nb\na\n", data);
  const Anomaly* a = FindAnomaly(r, "new_category", "c");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->severity, Severity::kWarning);
  EXPECT_EQ(NumberOf(*a, "count"), 24);
  EXPECT_EQ(NumberOf(*a, "distinct"), 12);
  ASSERT_EQ(a->examples.size(), 10u);
  EXPECT_EQ(a->examples.front(), "n0");
  EXPECT_EQ(a->examples.back(), "n9");
  EXPECT_THAT(a->message, HasSubstr("24 values of column 'c' in 12 categories not seen before, "
                                    "e.g. 'n0', 'n1', "));
}

TEST_F(ValidateDataTest, CategoricalSchemaAcceptsNumbersItHasSeen) {
  ValidationReport r = Check("c\nx\n1\n2\n", "c\n1\n2\n3\n");
  const Anomaly* a = FindAnomaly(r, "new_category", "c");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->examples, std::vector<std::string>{"3"});
  EXPECT_EQ(a->message, "1 value of column 'c' in 1 category not seen before, e.g. '3'");
  EXPECT_EQ(FindAnomaly(r, "type_change", "c"), nullptr);
}

TEST_F(ValidateDataTest, MissingRateJump) {
  // Reference: 1 of 10 missing; data: 3 of 10 (a rise of 0.2 > 0.1).
  std::string reference = "x,k\n";
  std::string data = "x,k\n";
  for (int i = 0; i < 10; ++i) {
    reference += (i < 1 ? std::string("") : std::to_string(i)) + ",k\n";
    data += (i < 3 ? std::string(i == 0 ? "" : i == 1 ? "NA" : "NaN") : std::to_string(i)) + ",k\n";
  }
  ValidationReport r = Check(reference, data);
  const Anomaly* a = FindAnomaly(r, "missing_rate_jump", "x");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->severity, Severity::kWarning);
  EXPECT_EQ(NumberOf(*a, "expected"), 0.1);
  EXPECT_EQ(NumberOf(*a, "actual"), 0.3);
  EXPECT_EQ(a->message, "missing rate of column 'x' rose from 10.0% to 30.0% (more than 10.0%)");
  EXPECT_EQ(FindAnomaly(r, "missing_rate_jump", "k"), nullptr);
  ValidateDataOptions loose;
  loose.missing_rate_jump = 0.25;
  r = Check(reference, data, loose);
  EXPECT_EQ(FindAnomaly(r, "missing_rate_jump", "x"), nullptr);
}

TEST_F(ValidateDataTest, CategoricalDriftMatchesHandComputedPsi) {
  std::string reference = "c\n";
  std::string data = "c\n";
  for (int i = 0; i < 100; ++i) reference += i % 2 ? "a\n" : "b\n";
  for (int i = 0; i < 100; ++i) data += i < 90 ? "a\n" : "b\n";
  ValidationReport r = Check(reference, data);
  // e = (0.5, 0.5), a = (0.9, 0.1):
  // (0.9-0.5)*ln(0.9/0.5) + (0.1-0.5)*ln(0.1/0.5) = 0.4*0.5877867 + 0.4*1.6094379 = 0.8788898
  ASSERT_TRUE(r.features[0].psi.has_value());
  EXPECT_NEAR(*r.features[0].psi, 0.8788898, 1e-7);
  const Anomaly* a = FindAnomaly(r, "drift", "c");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->severity, Severity::kWarning);
  EXPECT_NEAR(NumberOf(*a, "psi"), 0.8788898, 1e-7);
  EXPECT_EQ(a->message, "column 'c' drifted from the baseline: PSI 0.87889 above 0.2");
}

TEST_F(ValidateDataTest, NumericDriftOverBaselineCutPoints) {
  // Reference 1..100: deciles at 10.9, 20.8, …, 100; bins of 10 values each.
  // Data 91..100 (10 values) and 101..190: all in the last bin (open above).
  std::string data = "x,c\n";
  for (int i = 91; i <= 190; ++i) data += std::to_string(i) + (i % 2 ? ",a\n" : ",b\n");
  ValidateDataOptions options;
  options.psi_threshold = 1.0;
  ValidationReport r = Check(Reference(), data, options);
  // e_i = 0.1 for every bin; a = (1e-4 × 9, 1): 9*(1e-4-0.1)*ln(1e-4/0.1) + 0.9*ln(10)
  double expected = 9 * (1e-4 - 0.1) * std::log(1e-4 / 0.1) + 0.9 * std::log(10.0);
  ASSERT_TRUE(r.features[0].psi.has_value());
  EXPECT_NEAR(*r.features[0].psi, expected, 1e-9);
  ASSERT_NE(FindAnomaly(r, "drift", "x"), nullptr);
  ASSERT_NE(FindAnomaly(r, "out_of_range", "x"), nullptr);
  ASSERT_TRUE(r.features[1].psi.has_value());
  EXPECT_EQ(*r.features[1].psi, 0.0);  // c: still half a, half b
  EXPECT_EQ(FindAnomaly(r, "drift", "c"), nullptr);
}

TEST_F(ValidateDataTest, NoSchemaAndNoBaselineMeansNothingToCompare) {
  WriteTextFile(dir_ / "data.csv", "x\n1\n");
  Result<bundle::Baseline> profile = bundle::ProfileCsv((dir_ / "data.csv").string(), {});
  Result<DataTable> data = ReadDataTable((dir_ / "data.csv").string());
  ASSERT_TRUE(profile.ok());
  ASSERT_TRUE(data.ok());
  ValidationInputs in;
  in.data = &*data;
  in.data_profile = &*profile;
  ValidationReport r = ValidateData(in, {});
  EXPECT_TRUE(r.anomalies.empty());
  ASSERT_EQ(r.features.size(), 1u);
  EXPECT_FALSE(r.features[0].psi.has_value());
  EXPECT_EQ(ValidationReportToJson(r),
            "{\"format\":\"ferry.validation/v1\",\"data\":{\"sha256\":\"" + data->source_sha256 +
                "\",\"rows\":1},\"passed\":true,\"counts\":{\"error\":0,\"warning\":0},"
                "\"anomalies\":[],\"features\":[{\"name\":\"x\",\"psi\":null,\"missing_rate\":0}]}"
                "\n");
}

TEST_F(ValidateDataTest, FailOnDecidesPassedAndTheSummary) {
  const std::string reference = "x,y,z\n1,2,a\n";
  const std::string data = "x,w\nabc,1\n";  // missing y, z; new w; type change x
  ValidationReport r = Check(reference, data);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.errors, 3);
  EXPECT_EQ(r.warnings, 1);
  ValidateDataOptions defaults;
  EXPECT_EQ(FailureSummary(r, defaults),
            "3 anomalies of severity error: missing_column 'y', missing_column 'z', "
            "type_change 'x'");

  ValidateDataOptions warnings_only;
  warnings_only.fail_on = {Severity::kWarning};
  r = Check(reference, data, warnings_only);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(FailureSummary(r, warnings_only), "1 anomaly of severity warning: new_column 'w'");

  ValidateDataOptions both;
  both.fail_on = {Severity::kError, Severity::kWarning};
  r = Check(reference, data, both);
  EXPECT_THAT(FailureSummary(r, both), HasSubstr("4 anomalies of severity error or warning: "));

  ValidateDataOptions never;
  never.fail_on = {};
  r = Check(reference, data, never);
  EXPECT_TRUE(r.passed);
  EXPECT_EQ(FailureSummary(r, never), "");
}

TEST_F(ValidateDataTest, ReportBytesAreDeterministic) {
  std::string data = "x,c,new\n";
  for (int i = 0; i < 50; ++i) data += std::to_string(i * 3) + "," + (i % 5 ? "a" : "q") + ",1\n";
  std::string first = ValidationReportToJson(Check(Reference(), data));
  std::string second = ValidationReportToJson(Check(Reference(), data));
  EXPECT_EQ(first, second);
  EXPECT_THAT(first, HasSubstr("{\"format\":\"ferry.validation/v1\",\"data\":{\"sha256\":\""));
  EXPECT_THAT(first, HasSubstr("\"passed\":true,\"counts\":{\"error\":0,\"warning\":"));
  EXPECT_THAT(first, HasSubstr("{\"column\":\"new\",\"kind\":\"new_column\","
                               "\"severity\":\"warning\",\"message\":\"column 'new' is not in "
                               "the schema\"}"));
  EXPECT_THAT(first, HasSubstr("\"kind\":\"new_category\",\"severity\":\"warning\","));
  EXPECT_THAT(first, HasSubstr("\"count\":10,\"distinct\":1,\"examples\":[\"q\"]}"));
}

// --- schema ---

Result<DataSchema> SchemaOf(const TempDir& dir, const std::string& csv) {
  WriteTextFile(dir / "s.csv", csv);
  bundle::BaselineOptions options;
  options.max_categories = kSchemaMaxCategories;
  FERRY_ASSIGN_OR_RETURN(bundle::Baseline b, bundle::ProfileCsv((dir / "s.csv").string(), options));
  return SchemaFromProfile(b);
}

TEST(SchemaTest, InfersAndWritesDeterministicJson) {
  TempDir dir;
  Result<DataSchema> s = SchemaOf(dir, "age,city,empty\n30,Paris,\nNA,London,\n25.5,Paris,NA\n");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(SchemaToJson(*s),
            "{\"format\":\"ferry.schema/v1\",\"rows\":3,\"source\":{\"sha256\":\"" +
                s->source_sha256 +
                "\"},\"columns\":["
                "{\"name\":\"age\",\"kind\":\"numeric\",\"missing_rate\":0.3333333333333333,"
                "\"min\":25.5,\"max\":30},"
                "{\"name\":\"city\",\"kind\":\"categorical\",\"missing_rate\":0,"
                "\"categories\":[\"London\",\"Paris\"],\"categories_complete\":true},"
                "{\"name\":\"empty\",\"kind\":\"numeric\",\"missing_rate\":1,"
                "\"min\":null,\"max\":null}]}\n");
  Result<DataSchema> again = ParseSchemaJson(SchemaToJson(*s), "schema.json");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(SchemaToJson(*again), SchemaToJson(*s));
}

TEST(SchemaTest, CapsTheCategorySet) {
  TempDir dir;
  std::string csv = "c\n";
  for (int i = 0; i < 1005; ++i) csv += "v" + std::to_string(i) + "\n";
  Result<DataSchema> s = SchemaOf(dir, csv);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->columns[0].categories.size(), kSchemaMaxCategories);
  EXPECT_FALSE(s->columns[0].categories_complete);
}

TEST(SchemaTest, ParseSortsCategoriesAndRejectsBadDocuments) {
  const std::string head =
      "{\"format\":\"ferry.schema/v1\",\"rows\":2,\"source\":{\"sha256\":\"\"},";
  Result<DataSchema> s = ParseSchemaJson(
      head +
          "\"columns\":[{\"name\":\"c\",\"kind\":\"categorical\",\"missing_rate\":0,"
          "\"categories\":[\"b\",\"a\",\"b\"],\"categories_complete\":true}]}",
      "s.json");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->columns[0].categories, (std::vector<std::string>{"a", "b"}));

  struct Case {
    std::string json;
    std::string message;
  };
  const Case cases[] = {
      {"[1]", "s.json: (document): expected a JSON object"},
      {"{\"format\":\"ferry.baseline/v1\"}",
       "s.json: format: expected \"ferry.schema/v1\", got \"ferry.baseline/v1\""},
      {"{\"format\":\"ferry.schema/v1\",\"rows\":-1}",
       "s.json: rows: expected a non-negative integer"},
      {head + "\"columns\":[{\"name\":\"x\",\"kind\":\"text\",\"missing_rate\":0}]}",
       "s.json: columns[0].kind: expected \"numeric\" or \"categorical\", got \"text\""},
      {head + "\"columns\":[{\"name\":\"x\",\"kind\":\"numeric\",\"missing_rate\":2,\"min\":0,"
              "\"max\":1}]}",
       "s.json: columns[0].missing_rate: expected a number in [0, 1]"},
      {head + "\"columns\":[{\"name\":\"x\",\"kind\":\"numeric\",\"missing_rate\":0,\"min\":3,"
              "\"max\":1}]}",
       "s.json: columns[0].min: greater than max"},
      {head + "\"columns\":[{\"name\":\"x\",\"kind\":\"numeric\",\"missing_rate\":0,\"min\":0,"
              "\"max\":1},{\"name\":\"x\",\"kind\":\"numeric\",\"missing_rate\":0,\"min\":0,"
              "\"max\":1}]}",
       "s.json: columns[1].name: column 'x' listed twice"},
      {head + "\"columns\":[{\"name\":\"c\",\"kind\":\"categorical\",\"missing_rate\":0,"
              "\"categories\":[1]}]}",
       "s.json: columns[0].categories[0]: expected a string"},
      {head + "\"columns\":[{\"name\":\"\"}]}", "s.json: columns[0].name: empty"},
  };
  for (const Case& c : cases) {
    Result<DataSchema> r = ParseSchemaJson(c.json, "s.json");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(r.status().message(), c.message) << c.json;
  }
  EXPECT_THAT(ParseSchemaJson("{", "s.json").status().message(),
              HasSubstr("s.json: not valid JSON: "));
}

// --- baselines from files and bundles ---

constexpr const char* kManifest = R"(apiVersion: ferry/v1
kind: ModelBundle
name: m
framework: xgboost
artifact: model.ubj
task: binary_classification
signature:
  inputs:
    - name: features
      datatype: FP32
      shape: [-1, 1]
      features: [x]
  outputs:
    - name: probability
      datatype: FP32
      shape: [-1]
)";

TEST(LoadBaselineTest, ReadsJsonFilesBundleFoldersAndPackedBundles) {
  TempDir dir;
  WriteTextFile(dir / "train.csv", Reference());
  Result<bundle::Baseline> profile = bundle::ProfileCsv((dir / "train.csv").string(), {});
  ASSERT_TRUE(profile.ok());
  std::string json = bundle::BaselineToJson(*profile);
  WriteTextFile(dir / "baseline.json", "\n  " + json);

  Result<bundle::Baseline> from_json = LoadBaseline(dir / "baseline.json");
  ASSERT_TRUE(from_json.ok()) << from_json.status().ToString();
  EXPECT_EQ(bundle::BaselineToJson(*from_json), json);

  WriteTextFile(dir / "b" / "ferry.yaml", std::string(kManifest) + "baseline: baseline.json\n");
  WriteTextFile(dir / "b" / "model.ubj", "not read");
  WriteTextFile(dir / "b" / "baseline.json", json);
  Result<bundle::Baseline> from_folder = LoadBaseline(dir / "b");
  ASSERT_TRUE(from_folder.ok()) << from_folder.status().ToString();
  EXPECT_EQ(bundle::BaselineToJson(*from_folder), json);

  ASSERT_TRUE(bundle::PackDirectory(dir / "b", dir / "bundle").ok());
  Result<bundle::Baseline> from_packed = LoadBaseline(dir / "bundle");
  ASSERT_TRUE(from_packed.ok()) << from_packed.status().ToString();
  EXPECT_EQ(bundle::BaselineToJson(*from_packed), json);
}

TEST(LoadBaselineTest, Errors) {
  TempDir dir;
  Result<bundle::Baseline> r = LoadBaseline(dir / "nope");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), (dir / "nope").string() + " does not exist");

  WriteTextFile(dir / "b" / "ferry.yaml", kManifest);
  WriteTextFile(dir / "b" / "model.ubj", "not read");
  r = LoadBaseline(dir / "b");
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(), (dir / "b").string() + ": the bundle has no baseline");

  WriteTextFile(dir / "bad.json", "{\"format\":\"x\"}");
  r = LoadBaseline(dir / "bad.json");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("bad.json: format"));

  WriteTextFile(dir / "junk", "not an archive");
  EXPECT_FALSE(LoadBaseline(dir / "junk").ok());
}

TEST(SeverityTest, ParsesNames) {
  EXPECT_EQ(*ParseSeverity("error"), Severity::kError);
  EXPECT_EQ(*ParseSeverity("warning"), Severity::kWarning);
  EXPECT_EQ(ParseSeverity("fatal").status().message(),
            "unknown severity 'fatal' (expected error, warning)");
}

}  // namespace
}  // namespace ferry::train

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "ferry/base/files.h"
#include "ferry/bundle/baseline.h"
#include "ferry/pipeline/steps/builtin_step.h"
#include "pipeline_steps/step_test_util.h"
#include "testing/test_util.h"

namespace ferry::pipeline {
namespace {

using ferry::testing::TempDir;
using ferry::testing::WriteTextFile;
using ::testing::HasSubstr;

std::string Csv(int from, int to, const std::string& category) {
  std::string csv = "x,c,y\n";
  for (int i = from; i <= to; ++i) {
    csv += std::to_string(i) + "," + (i % 3 ? category : std::string("b")) + "," +
           std::to_string(i % 2) + "\n";
  }
  return csv;
}

class ValidateDataStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "out");
    WriteTextFile(dir_ / "ref.csv", Csv(1, 100, "a"));
    WriteTextFile(dir_ / "same.csv", Csv(1, 100, "a"));
  }

  Status Run(const std::string& with_json) {
    log_.str("");
    return testing::RunStep(
        {"ferry/validate-data", with_json, dir_.path(), dir_ / "out", "", &log_});
  }

  std::string Output(const std::string& name) { return testing::ReadOutput(dir_ / "out" / name); }

  TempDir dir_;
  std::ostringstream log_;
};

TEST_F(ValidateDataStepTest, PassesOnDataLikeTheReference) {
  Status s = Run(R"({"data":"same.csv","reference":"ref.csv"})");
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string report = Output("report");
  EXPECT_THAT(report, HasSubstr("\"passed\":true,\"counts\":{\"error\":0,\"warning\":0},"
                                "\"anomalies\":[]"));
  EXPECT_THAT(report, HasSubstr("{\"name\":\"x\",\"psi\":0,\"missing_rate\":0}"));
  EXPECT_THAT(Output("schema"), HasSubstr("{\"format\":\"ferry.schema/v1\",\"rows\":100,"));
  EXPECT_THAT(log_.str(), HasSubstr("schema: inferred from "));
  EXPECT_THAT(log_.str(), HasSubstr("baseline: the reference's profile"));
  EXPECT_THAT(log_.str(), HasSubstr("passed"));
}

TEST_F(ValidateDataStepTest, FailsOnErrorsButWritesOutputsFirst) {
  WriteTextFile(dir_ / "bad.csv", "x,c\nabc,a\n");
  Status s = Run(R"({"data":"bad.csv","reference":"ref.csv"})");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "ferry/validate-data: 2 anomalies of severity error: missing_column 'y', "
            "type_change 'x'");
  EXPECT_THAT(Output("report"), HasSubstr("\"passed\":false,\"counts\":{\"error\":2,"));
  EXPECT_THAT(Output("schema"), HasSubstr("\"name\":\"y\""));
  EXPECT_THAT(log_.str(), HasSubstr("  error type_change: column 'x' is numeric"));

  s = Run(R"({"data":"bad.csv","reference":"ref.csv","fail_on":[]})");
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_THAT(Output("report"), HasSubstr("\"passed\":true"));
}

TEST_F(ValidateDataStepTest, FailOnWarningsAndThresholds) {
  WriteTextFile(dir_ / "drifted.csv", Csv(60, 160, "z"));
  Status s = Run(R"({"data":"drifted.csv","reference":"ref.csv"})");
  EXPECT_TRUE(s.ok()) << s.ToString();  // only warnings
  std::string report = Output("report");
  EXPECT_THAT(report, HasSubstr("\"kind\":\"out_of_range\""));
  EXPECT_THAT(report, HasSubstr("\"kind\":\"new_category\""));
  EXPECT_THAT(report, HasSubstr("\"kind\":\"drift\""));

  s = Run(R"({"data":"drifted.csv","reference":"ref.csv","fail_on":"warning"})");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("anomalies of severity warning: out_of_range 'x', "));

  s = Run(R"({"data":"drifted.csv","reference":"ref.csv","psi_threshold":1000})");
  EXPECT_TRUE(s.ok());
  EXPECT_THAT(Output("report"), ::testing::Not(HasSubstr("\"kind\":\"drift\"")));
}

TEST_F(ValidateDataStepTest, ExcludedColumnsAreNotChecked) {
  WriteTextFile(dir_ / "bad.csv", "x,c\nabc,a\n");
  Status s = Run(R"({"data":"bad.csv","reference":"ref.csv","exclude":["x","y"]})");
  EXPECT_TRUE(s.ok()) << s.ToString();  // type_change 'x' and missing_column 'y' are not checked
  std::string report = Output("report");
  EXPECT_THAT(report, HasSubstr("\"passed\":true,\"counts\":{\"error\":0,"));
  EXPECT_THAT(report, ::testing::Not(HasSubstr("\"name\":\"x\"")));
  EXPECT_THAT(report, HasSubstr("\"name\":\"c\""));
}

TEST_F(ValidateDataStepTest, PinnedSchemaAndSeparateBaseline) {
  ASSERT_TRUE(Run(R"({"data":"ref.csv"})").ok());  // schema from the data itself
  EXPECT_THAT(log_.str(), HasSubstr("schema: inferred from the data"));
  EXPECT_THAT(Output("report"), HasSubstr("\"psi\":null"));
  std::string schema = Output("schema");
  WriteTextFile(dir_ / "schema.json", schema);

  bundle::BaselineOptions options;
  Result<bundle::Baseline> baseline = bundle::ProfileCsv((dir_ / "ref.csv").string(), options);
  ASSERT_TRUE(baseline.ok());
  WriteTextFile(dir_ / "baseline.json", bundle::BaselineToJson(*baseline));

  WriteTextFile(dir_ / "extra.csv", "x,c,y,w\n5,a,1,q\n");
  Status s = Run(R"({"data":"extra.csv","schema":"schema.json","baseline":"baseline.json"})");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Output("schema"), schema);  // the pinned schema is passed on unchanged
  EXPECT_THAT(Output("report"), HasSubstr("\"kind\":\"new_column\""));
  EXPECT_THAT(Output("report"), HasSubstr("{\"name\":\"w\",\"psi\":null"));
  EXPECT_THAT(log_.str(), HasSubstr("schema: read from "));
}

TEST_F(ValidateDataStepTest, SameInputsGiveIdenticalBytes) {
  WriteTextFile(dir_ / "drifted.csv", Csv(60, 160, "z"));
  ASSERT_TRUE(Run(R"({"data":"drifted.csv","reference":"ref.csv"})").ok());
  std::string first = Output("report") + Output("schema");
  ASSERT_TRUE(Run(R"({"data":"drifted.csv","reference":"ref.csv"})").ok());
  EXPECT_EQ(first, Output("report") + Output("schema"));
}

TEST_F(ValidateDataStepTest, BadInputsGiveClearErrors) {
  Status s = Run(R"({"data":"same.csv","fail_on":["error","fatal"]})");
  EXPECT_EQ(
      s.message(),
      "ferry/validate-data: with.fail_on: unknown severity 'fatal' (expected error, warning)");
  s = Run(R"({"data":"same.csv","psi_threshold":"high"})");
  EXPECT_THAT(s.message(), HasSubstr("ferry/validate-data: with.psi_threshold: expected a number"));
  s = Run(R"({"data":"same.csv","missing_rate_jump":"2"})");
  EXPECT_THAT(s.message(), HasSubstr("ferry/validate-data: with.missing_rate_jump: "));
  s = Run(R"({"data":"nope.csv"})");
  EXPECT_THAT(s.message(), HasSubstr("ferry/validate-data: with.data: "));
  s = Run(R"({"data":"same.csv","reference":"nope.csv"})");
  EXPECT_THAT(s.message(), HasSubstr("ferry/validate-data: with.reference: "));
  WriteTextFile(dir_ / "bad_schema.json", "{\"format\":\"other\"}");
  s = Run(R"({"data":"same.csv","schema":"bad_schema.json"})");
  EXPECT_THAT(s.message(), HasSubstr("ferry/validate-data: with.schema: "));
  EXPECT_THAT(s.message(), HasSubstr("bad_schema.json: format: expected \"ferry.schema/v1\""));
  s = Run(R"({"data":"same.csv","baseline":"nope"})");
  EXPECT_THAT(s.message(), HasSubstr("ferry/validate-data: with.baseline: "));
  WriteTextFile(dir_ / "broken.csv", "x,c\n1,\"a\n");
  s = Run(R"({"data":"broken.csv"})");
  EXPECT_THAT(s.message(), HasSubstr("ferry/validate-data: with.data: "));
  EXPECT_THAT(s.message(), HasSubstr("broken.csv"));
}

}  // namespace
}  // namespace ferry::pipeline

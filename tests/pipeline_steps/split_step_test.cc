#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "ferry/base/files.h"
#include "ferry/pipeline/steps/builtin_step.h"
#include "pipeline_steps/step_test_util.h"
#include "testing/test_util.h"

namespace ferry::pipeline {
namespace {

using ferry::testing::TempDir;
using ferry::testing::WriteTextFile;
using ::testing::HasSubstr;

class SplitStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "out");
    std::string csv = "id,x,note\n";
    for (int i = 0; i < 300; ++i) {
      csv += "k" + std::to_string(i) + "," + std::to_string(i * 0.5) + "," +
             (i % 7 == 0 ? "\"has, comma\"" : "plain") + "\n";
    }
    WriteTextFile(dir_ / "data.csv", csv);
  }

  Status Run(const std::string& with_json, std::ostream* log = nullptr) {
    return testing::RunStep({"ferry/split", with_json, dir_.path(), dir_ / "out", "", log});
  }

  std::string Output(const std::string& name) { return testing::ReadOutput(dir_ / "out" / name); }

  TempDir dir_;
};

int CountRows(const std::string& csv) {
  int lines = 0;
  bool quoted = false;
  for (char c : csv) {
    if (c == '"') quoted = !quoted;
    if (c == '\n' && !quoted) ++lines;
  }
  return lines - 1;  // header
}

TEST_F(SplitStepTest, WritesThreeFilesWithHeaderAndAllRows) {
  std::ostringstream log;
  Status s = Run(R"({"data":"data.csv","key":"id"})", &log);
  ASSERT_TRUE(s.ok()) << s.ToString();
  int total = 0;
  for (const char* name : {"train", "validation", "test"}) {
    std::string csv = Output(name);
    EXPECT_EQ(csv.rfind("id,x,note\n", 0), 0u) << name;
    total += CountRows(csv);
  }
  EXPECT_EQ(total, 300);
  EXPECT_THAT(Output("train"), HasSubstr("\"has, comma\""));
  EXPECT_THAT(log.str(), HasSubstr("300 rows by 'id'"));
  EXPECT_THAT(log.str(), HasSubstr("  train: "));
  EXPECT_THAT(log.str(), HasSubstr("  validation: "));
  EXPECT_THAT(log.str(), HasSubstr("  test: "));
}

TEST_F(SplitStepTest, SameInputsGiveIdenticalBytes) {
  ASSERT_TRUE(Run(R"({"data":"data.csv","key":"id","seed":"x"})").ok());
  std::string first = Output("train") + Output("validation") + Output("test");
  ASSERT_TRUE(Run(R"({"data":"data.csv","key":"id","seed":"x"})").ok());
  EXPECT_EQ(first, Output("train") + Output("validation") + Output("test"));
}

TEST_F(SplitStepTest, MissingRatioIsZero) {
  Status s = Run(R"({"data":"data.csv","key":"id","ratios":{"train":0.5,"test":0.5}})");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Output("validation"), "id,x,note\n");
  EXPECT_GT(CountRows(Output("train")), 100);
  EXPECT_GT(CountRows(Output("test")), 100);
}

TEST_F(SplitStepTest, BadInputsGiveClearErrors) {
  Status s = Run(R"({"data":"data.csv","key":"id","ratios":{"train":0.5,"valid":0.5}})");
  EXPECT_EQ(s.message(),
            "ferry/split: with.ratios: unknown part 'valid' (expected train, validation, test)");
  s = Run(R"({"data":"data.csv","key":"id","ratios":{"train":0.5,"test":0.4}})");
  EXPECT_EQ(s.message(), "ferry/split: with.ratios: must sum to 1, got 0.90000000000000002");
  s = Run(R"({"data":"data.csv","key":"id","ratios":{"train":"half"}})");
  EXPECT_THAT(s.message(), HasSubstr("ferry/split: with.ratios: 'train': expected a number"));
  s = Run(R"({"data":"data.csv","key":"user"})");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("ferry/split: with.key: "));
  EXPECT_THAT(s.message(), HasSubstr("no column named 'user' (columns: id, x, note)"));
  s = Run(R"({"data":"nope.csv","key":"id"})");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("ferry/split: with.data: "));
  EXPECT_THAT(s.message(), HasSubstr("nope.csv"));
  s = Run(R"({"data":"data.csv"})");
  EXPECT_EQ(s.message(), "ferry/split: with.key: is required");

  WriteTextFile(dir_ / "holes.csv", "id,x\na,1\n,2\n");
  s = Run(R"({"data":"holes.csv","key":"id"})");
  EXPECT_THAT(s.message(), HasSubstr("holes.csv:3: column 'id' is empty"));
}

}  // namespace
}  // namespace ferry::pipeline

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>
#include <string>

#include "ferry/base/files.h"
#include "ferry/bundle/bundle.h"
#include "ferry/bundle/bundle_source.h"
#include "ferry/pipeline/steps/builtin_step.h"
#include "ferry/registry/registry.h"
#include "pipeline_steps/step_test_util.h"
#include "testing/test_util.h"

namespace ferry::pipeline {
namespace {

namespace fs = std::filesystem;
using ferry::testing::TempDir;
using ferry::testing::WriteTextFile;
using ::testing::HasSubstr;

class TrainEvaluateStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string train = "id,x1,x2,label\n", test = "id,x1,x2,label\n";
    for (int i = 0; i < 400; ++i) {
      const double x1 = (i * 37 % 101) / 10.0, x2 = (i * 53 % 89) / 10.0;
      const int y = x1 + 0.5 * x2 + ((i * 17) % 7 - 3) * 0.3 > 9 ? 1 : 0;
      (i % 4 == 0 ? test : train) += "r" + std::to_string(i) + "," + std::to_string(x1) + "," +
                                     std::to_string(x2) + "," + std::to_string(y) + "\n";
    }
    WriteTextFile(dir_ / "train.csv", train);
    WriteTextFile(dir_ / "test.csv", test);
    home_ = dir_ / "home";
    setenv("FERRY_HOME", home_.c_str(), 1);
    unsetenv("FERRY_REGISTRY");
    registry_uri_ = "sqlite://" + (home_ / "registry.db").string();
  }

  Status Run(const std::string& uses, const std::string& with_json, const std::string& out,
             std::ostream* log = nullptr) {
    return testing::RunStep({uses, with_json, dir_.path(), dir_ / out, registry_uri_, log});
  }

  Status Train(const std::string& out, const std::string& extra = "") {
    // `extra` ("key":"value",) comes first: the first of repeated keys wins.
    return Run("ferry/train-xgboost",
               "{" + extra +
                   R"("data":"train.csv","label":"label","name":"demo","exclude":["id"],)"
                   R"("rounds":"15","max_depth":"3"})",
               out);
  }

  std::string Read(const fs::path& p) { return testing::ReadOutput(p); }

  TempDir dir_;
  fs::path home_;
  std::string registry_uri_;
};

TEST_F(TrainEvaluateStepTest, TrainWritesAPackedBundleAndItsMetrics) {
  std::ostringstream log;
  Status s = Run("ferry/train-xgboost",
                 R"({"data":"train.csv","validation":"test.csv","label":"label","name":"demo",)"
                 R"("exclude":"id","rounds":"15","description":"a demo"})",
                 "t1", &log);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(std::vector<fs::path>({dir_ / "t1" / "bundle", dir_ / "t1" / "metrics"}), [&] {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir_ / "t1")) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
  }());
  Result<std::unique_ptr<bundle::BundleSource>> src =
      bundle::BundleSource::Open((dir_ / "t1" / "bundle").string());
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  Result<bundle::Bundle> b = bundle::OpenBundle((*src)->dir());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->manifest.name, "demo");
  EXPECT_EQ(b->manifest.description, "a demo");
  EXPECT_EQ(b->manifest.lineage.pipeline, "demo");
  EXPECT_EQ(b->manifest.lineage.run, "run-1");
  EXPECT_EQ(b->manifest.lineage.data.substr(0, 7), "sha256:");
  const std::string metrics = Read(dir_ / "t1" / "metrics");
  EXPECT_EQ(metrics, Read((*src)->dir() / "metrics.json"));
  EXPECT_THAT(metrics, HasSubstr(R"("validation":{"accuracy":)"));
  EXPECT_THAT(log.str(), HasSubstr("model demo: 15 of 15 rounds kept"));
}

TEST_F(TrainEvaluateStepTest, TrainIsDeterministicToTheByte) {
  ASSERT_TRUE(Train("a").ok());
  ASSERT_TRUE(Train("b").ok());
  EXPECT_EQ(Read(dir_ / "a" / "bundle"), Read(dir_ / "b" / "bundle"));
  EXPECT_EQ(Read(dir_ / "a" / "metrics"), Read(dir_ / "b" / "metrics"));
  ASSERT_TRUE(Train("c", R"("eta":"0.1",)").ok());
  EXPECT_NE(Read(dir_ / "a" / "bundle"), Read(dir_ / "c" / "bundle"));
}

TEST_F(TrainEvaluateStepTest, TrainRejectsBadWithValues) {
  EXPECT_EQ(Train("e", R"("rounds":"ten",)").message(),
            "ferry/train-xgboost: with.rounds: expected an integer in [1, 100000], got 'ten'");
  EXPECT_EQ(Train("e", R"("eta":"2",)").message(),
            "ferry/train-xgboost: with.eta: expected a number in [0, 1], got '2'");
  EXPECT_EQ(Train("e", R"("early_stopping_rounds":"5",)").message(),
            "ferry/train-xgboost: with.early_stopping_rounds: needs with.validation");
  EXPECT_EQ(
      Run("ferry/train-xgboost", R"({"data":"train.csv","label":"label","name":"no way"})", "e")
          .message(),
      "ferry/train-xgboost: with.name: 'no way' is not a model name "
      "([A-Za-z0-9][A-Za-z0-9._-]{0,127})");
  EXPECT_THAT(Run("ferry/train-xgboost", R"({"data":"nope.csv","label":"label","name":"d"})", "e")
                  .message(),
              HasSubstr("ferry/train-xgboost: "));
  EXPECT_THAT(Train("e", R"("objective":"reg:gamma",)").message(),
              HasSubstr("ferry/train-xgboost: objective 'reg:gamma' is not supported"));
  EXPECT_FALSE(fs::exists(dir_ / "e" / "bundle"));
}

TEST_F(TrainEvaluateStepTest, NameDefaultsToThePipelineAndLabelIsInferred) {
  ASSERT_TRUE(
      Run("ferry/train-xgboost", R"({"data":"train.csv","label":"label","exclude":"id"})", "t")
          .ok());
  Result<std::unique_ptr<bundle::BundleSource>> src =
      bundle::BundleSource::Open((dir_ / "t" / "bundle").string());
  ASSERT_TRUE(src.ok());
  EXPECT_EQ(bundle::OpenBundle((*src)->dir())->manifest.name, "demo");
  // Without `label`: the one column that is neither a feature nor the key.
  ASSERT_TRUE(
      Run("ferry/evaluate", R"({"model":"t/bundle","data":"test.csv","key":"id"})", "ev").ok());
  EXPECT_THAT(Read(dir_ / "ev" / "evaluation"),
              HasSubstr(R"("rows":100,"label":"label","key":"id"})"));
  EXPECT_EQ(Run("ferry/evaluate", R"({"model":"t/bundle","data":"test.csv"})", "ev2").message(),
            "ferry/evaluate: no label column given and " + (dir_ / "test.csv").string() +
                " has 2 columns besides the model's features (id, label); give with.label");
}

TEST_F(TrainEvaluateStepTest, EvaluateWithoutAgainstHasNoBaseline) {
  ASSERT_TRUE(Train("t").ok());
  std::ostringstream log;
  Status s = Run("ferry/evaluate",
                 R"({"model":"t/bundle","data":"test.csv","label":"label","key":"id",)"
                 R"("min":{"auc":"0.8","log_loss":"0.6"}})",
                 "ev", &log);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::string e = Read(dir_ / "ev" / "evaluation");
  EXPECT_THAT(e, HasSubstr(R"({"format":"ferry.evaluation/v1","blessed":true,)"));
  EXPECT_THAT(e, HasSubstr(R"("rows":100,"label":"label","key":"id"})"));
  EXPECT_THAT(e, HasSubstr(R"("baseline":null)"));
  EXPECT_THAT(
      e,
      HasSubstr(R"("note":"blessed: all 2 checks passed; no baseline: with.against not given"})"));
  EXPECT_THAT(log.str(), HasSubstr("candidate demo on 100 rows of test.csv: {\"accuracy\":"));
}

TEST_F(TrainEvaluateStepTest, EvaluateNotBlessedStillSucceeds) {
  ASSERT_TRUE(Train("t").ok());
  std::ostringstream log;
  Status s = Run("ferry/evaluate",
                 R"({"model":"t/bundle","data":"test.csv","label":"label","min":{"auc":"1.01"}})",
                 "ev", &log);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_THAT(Read(dir_ / "ev" / "evaluation"), HasSubstr(R"("blessed":false)"));
  EXPECT_THAT(log.str(), HasSubstr("not blessed: auc "));
  EXPECT_THAT(log.str(), HasSubstr(" < min 1.01"));
}

TEST_F(TrainEvaluateStepTest, EvaluateAgainstTheRegistry) {
  ASSERT_TRUE(Train("t").ok());
  const std::string with =
      R"({"model":"t/bundle","data":"test.csv","label":"label","against":"demo@champion",)"
      R"("max_drop":{"auc":"0.0"}})";
  // First run of a pipeline: nothing registered yet.
  Status s = Run("ferry/evaluate", with, "ev1");
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string e = Read(dir_ / "ev1" / "evaluation");
  EXPECT_THAT(e, HasSubstr(R"("baseline":null,"checks":[])"));
  EXPECT_THAT(e, HasSubstr("no baseline: demo@champion does not resolve"));

  // Register a weaker model as champion; the candidate is compared with it.
  ASSERT_TRUE(Run("ferry/train-xgboost",
                  R"({"data":"train.csv","label":"label","name":"demo","exclude":"id",)"
                  R"("rounds":"1","max_depth":"1"})",
                  "weak")
                  .ok());
  {
    Result<std::unique_ptr<registry::Registry>> reg =
        registry::Registry::Open(registry::RegistryOptionsFromEnv(registry_uri_));
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    registry::Actor actor{"tester", ""};
    Result<registry::VersionRecord> v =
        (*reg)->RegisterArchive(dir_ / "weak" / "bundle", registry::RegisterRequest{}, actor);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    ASSERT_TRUE((*reg)->SetAlias("demo", "champion", v->version, {}, actor).ok());
  }
  s = Run("ferry/evaluate", with, "ev2");
  ASSERT_TRUE(s.ok()) << s.ToString();
  e = Read(dir_ / "ev2" / "evaluation");
  EXPECT_THAT(e, HasSubstr(R"("baseline":{"reference":"demo:1","digest":"sha256:)"));
  EXPECT_THAT(e, HasSubstr(R"("checks":[{"metric":"auc","rule":"max_drop","value":-)"));
  EXPECT_THAT(e, HasSubstr(R"("blessed":true)"));

  // A model against itself (by version number): no drop.
  s = Run("ferry/evaluate",
          R"({"model":"weak/bundle","data":"test.csv","label":"label","against":"demo:1",)"
          R"("max_drop":{"auc":"0.0"}})",
          "ev3");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_THAT(Read(dir_ / "ev3" / "evaluation"), HasSubstr(R"("blessed":true)"));
}

TEST_F(TrainEvaluateStepTest, EvaluateErrors) {
  ASSERT_TRUE(Train("t").ok());
  EXPECT_EQ(
      Run("ferry/evaluate",
          R"({"model":"t/bundle","data":"test.csv","label":"label","against":"demo@@x"})", "e")
          .message(),
      "ferry/evaluate: with.against: " + registry::ParseReference("demo@@x").status().message());
  EXPECT_THAT(
      Run("ferry/evaluate",
          R"({"model":"t/bundle","data":"test.csv","label":"label","min":{"rmse":"1"}})", "e")
          .message(),
      HasSubstr("ferry/evaluate: min: unknown metric 'rmse' for binary_classification; "
                "available: accuracy, auc, f1, log_loss, precision, recall"));
  EXPECT_THAT(
      Run("ferry/evaluate", R"({"model":"nope","data":"test.csv","label":"label"})", "e").message(),
      HasSubstr("ferry/evaluate: "));
  EXPECT_EQ(Run("ferry/evaluate",
                R"({"model":"t/bundle","data":"test.csv","label":"label","threshold":"x"})", "e")
                .message(),
            "ferry/evaluate: with.threshold: expected a number in [0, 1], got 'x'");
  registry_uri_ = "postgresql://127.0.0.1:1/nothing?connect_timeout=2";
  EXPECT_FALSE(Run("ferry/evaluate",
                   R"({"model":"t/bundle","data":"test.csv","label":"label","against":"demo"})",
                   "e")
                   .ok());
  EXPECT_FALSE(fs::exists(dir_ / "e" / "evaluation"));
}

}  // namespace
}  // namespace ferry::pipeline

#include "ferry/train/evaluate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "ferry/train/xgboost_trainer.h"
#include "testing/test_util.h"

namespace ferry::train {
namespace {

using ferry::testing::TempDir;
using ferry::testing::WriteTextFile;
using ::testing::HasSubstr;

TEST(ApplyGateTest, MinMeansAtLeastAsGoodInEachDirection) {
  GateRules rules;
  rules.min = {{"auc", 0.9}, {"log_loss", 0.3}};
  const MetricValues good = {{"auc", 0.95}, {"log_loss", 0.2}};
  Result<std::vector<GateCheck>> c = ApplyGate(rules, Task::kBinaryClassification, good, nullptr);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ((*c)[0].metric, "auc");
  EXPECT_EQ((*c)[0].rule, "min");
  EXPECT_TRUE((*c)[0].passed);
  EXPECT_EQ((*c)[1].metric, "log_loss");
  EXPECT_TRUE((*c)[1].passed);  // 0.2 <= 0.3: a loss at most the limit

  const MetricValues bad = {{"auc", 0.85}, {"log_loss", 0.4}};
  c = ApplyGate(rules, Task::kBinaryClassification, bad, nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE((*c)[0].passed);
  EXPECT_FALSE((*c)[1].passed);
  EXPECT_EQ((*c)[1].value, 0.4);
  EXPECT_EQ((*c)[1].limit, 0.3);
}

TEST(ApplyGateTest, DropsAreMeasuredInTheBetterDirection) {
  GateRules rules;
  rules.max_drop = {{"auc", 0.01}, {"log_loss", 0.05}};
  rules.max_relative_drop = {{"log_loss", 0.1}};
  const MetricValues base = {{"auc", 0.90}, {"log_loss", 0.50}};
  // auc fell by 0.02 (too much); log_loss rose by 0.04 (ok absolute, 8% relative: ok).
  const MetricValues cand = {{"auc", 0.88}, {"log_loss", 0.54}};
  Result<std::vector<GateCheck>> c = ApplyGate(rules, Task::kBinaryClassification, cand, &base);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->size(), 3u);
  EXPECT_EQ((*c)[0].rule, "max_drop");
  EXPECT_NEAR((*c)[0].value, 0.02, 1e-12);
  EXPECT_FALSE((*c)[0].passed);
  EXPECT_NEAR((*c)[1].value, 0.04, 1e-12);
  EXPECT_TRUE((*c)[1].passed);
  EXPECT_EQ((*c)[2].rule, "max_relative_drop");
  EXPECT_NEAR((*c)[2].value, 0.08, 1e-12);
  EXPECT_TRUE((*c)[2].passed);

  // An improvement is a negative drop and always passes.
  const MetricValues better = {{"auc", 0.97}, {"log_loss", 0.30}};
  c = ApplyGate(rules, Task::kBinaryClassification, better, &base);
  ASSERT_TRUE(c.ok());
  for (const GateCheck& check : *c) {
    EXPECT_TRUE(check.passed) << check.metric << " " << check.rule;
    EXPECT_LT(check.value, 0);
  }
}

TEST(ApplyGateTest, WithoutBaselineOnlyMinRulesApply) {
  GateRules rules;
  rules.min = {{"rmse", 2.0}};
  rules.max_drop = {{"rmse", 0.1}};
  Result<std::vector<GateCheck>> c =
      ApplyGate(rules, Task::kRegression, {{"rmse", 1.5}, {"mae", 1}, {"r2", 0.5}}, nullptr);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), 1u);
  EXPECT_TRUE((*c)[0].passed);
}

TEST(ApplyGateTest, UndefinedMetricFailsItsCheck) {
  GateRules rules;
  rules.min = {{"auc", 0.5}};
  const MetricValues m = {{"auc", std::numeric_limits<double>::quiet_NaN()}};
  Result<std::vector<GateCheck>> c = ApplyGate(rules, Task::kBinaryClassification, m, nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE((*c)[0].passed);
}

TEST(ApplyGateTest, RelativeDropFromAZeroBaseline) {
  GateRules rules;
  rules.max_relative_drop = {{"mae", 0.5}};
  const MetricValues base = {{"mae", 0.0}};
  Result<std::vector<GateCheck>> worse = ApplyGate(rules, Task::kRegression, {{"mae", 0.1}}, &base);
  ASSERT_TRUE(worse.ok());
  EXPECT_TRUE(std::isinf((*worse)[0].value));
  EXPECT_FALSE((*worse)[0].passed);
  Result<std::vector<GateCheck>> same = ApplyGate(rules, Task::kRegression, {{"mae", 0.0}}, &base);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ((*same)[0].value, 0.0);
  EXPECT_TRUE((*same)[0].passed);
  // A metric missing from the candidate's values is undefined: its check fails.
  Result<std::vector<GateCheck>> absent = ApplyGate(rules, Task::kRegression, {}, &base);
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE((*absent)[0].passed);
}

TEST(ApplyGateTest, UnknownMetricListsTheAvailableOnes) {
  GateRules rules;
  rules.max_relative_drop = {{"auc", 0.1}};
  Result<std::vector<GateCheck>> c = ApplyGate(rules, Task::kRegression, {}, nullptr);
  EXPECT_EQ(c.status().message(),
            "max_relative_drop: unknown metric 'auc' for regression; available: mae, r2, rmse");
}

// Two small bundles trained on the same columns, and a test file.
class EvaluateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string train = "id,x,y\n", test = "id,x,y\n";
    for (int i = 0; i < 200; ++i) {
      const double x = (i * 37 % 100) / 10.0;
      const int y = (x + ((i * 13) % 5 - 2) * 0.8) > 5 ? 1 : 0;
      (i % 4 == 0 ? test : train) +=
          "k" + std::to_string(i) + "," + std::to_string(x) + "," + std::to_string(y) + "\n";
    }
    WriteTextFile(dir_ / "train.csv", train);
    WriteTextFile(dir_ / "test.csv", test);
    candidate_ = Train("cand", 20, "binary:logistic");
    weak_ = Train("weak", 1, "binary:logistic");
    Result<DataTable> t = ReadDataTable((dir_ / "test.csv").string());
    ASSERT_TRUE(t.ok());
    table_ = *t;
  }

  bundle::Bundle Train(const std::string& name, int rounds, const std::string& objective) {
    TrainBundleOptions o;
    o.train_csv = dir_ / "train.csv";
    o.label = "y";
    o.exclude = {"id"};
    o.name = name;
    o.params.rounds = rounds;
    o.params.max_depth = 2;
    o.params.objective = objective;
    o.output_dir = dir_ / name;
    Result<TrainBundleResult> r = TrainXgboostBundle(o, nullptr);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *bundle::OpenBundle(dir_ / name);
  }

  TempDir dir_;
  bundle::Bundle candidate_, weak_;
  DataTable table_;
};

TEST_F(EvaluateTest, WithoutBaselineAppliesMinRulesAndSaysSo) {
  EvaluateOptions o;
  o.label = "y";
  o.rules.min = {{"auc", 0.8}};
  o.rules.max_drop = {{"auc", 0.01}};
  o.no_baseline_note = "no baseline: m@champion does not resolve";
  Result<Evaluation> e = Evaluate(candidate_, nullptr, table_, o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(e->blessed);
  EXPECT_FALSE(e->baseline.has_value());
  EXPECT_EQ(e->rows, 50);
  EXPECT_EQ(e->data_sha256, table_.source_sha256);
  EXPECT_EQ(e->candidate.digest, bundle::ComputeDigest(candidate_.root).value());
  EXPECT_EQ(e->note,
            "blessed: all 1 checks passed; no baseline: m@champion does not resolve "
            "(max_drop and max_relative_drop checks skipped)");
  const std::string json = EvaluationToJson(*e);
  EXPECT_THAT(json, HasSubstr(R"({"format":"ferry.evaluation/v1","blessed":true,)"
                              R"("task":"binary_classification","data":{"sha256":")" +
                              table_.source_sha256 +
                              R"(","rows":50,"label":"y"},"candidate":{"digest":")"));
  EXPECT_THAT(json, HasSubstr(R"("baseline":null,"checks":[{"metric":"auc","rule":"min",)"));
  // Deterministic: the same evaluation gives the same bytes.
  Result<Evaluation> again = Evaluate(candidate_, nullptr, table_, o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(EvaluationToJson(*again), json);
}

TEST_F(EvaluateTest, AgainstABaselineComparesOnTheSameRows) {
  EvaluateOptions o;
  o.label = "y";
  o.baseline_reference = "m:1";
  o.rules.max_drop = {{"auc", 0.0}};
  // The 20-round model against the 1-round one: no drop.
  Result<Evaluation> e = Evaluate(candidate_, &weak_, table_, o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_TRUE(e->baseline.has_value());
  EXPECT_EQ(e->baseline->reference, "m:1");
  EXPECT_TRUE(e->blessed);
  EXPECT_THAT(EvaluationToJson(*e),
              HasSubstr(R"("baseline":{"reference":"m:1","digest":"sha256:)"));
  // The other way round the weak model drops, and is not blessed.
  Result<Evaluation> worse = Evaluate(weak_, &candidate_, table_, o);
  ASSERT_TRUE(worse.ok());
  ASSERT_GT(e->candidate.metrics.at("auc"), e->baseline->metrics.at("auc"));
  EXPECT_FALSE(worse->blessed);
  EXPECT_THAT(worse->note, HasSubstr("not blessed: auc dropped by "));
  EXPECT_THAT(worse->note, HasSubstr(" > max_drop 0"));
}

TEST_F(EvaluateTest, RefusesABaselineOfAnotherTask) {
  bundle::Bundle reg = Train("reg", 2, "reg:squarederror");
  EvaluateOptions o;
  o.label = "y";
  o.baseline_reference = "r:2";
  EXPECT_EQ(Evaluate(candidate_, &reg, table_, o).status().message(),
            "baseline r:2 is a regression model but the candidate is a binary_classification "
            "model");
}

TEST_F(EvaluateTest, BadDataIsAClearError) {
  EvaluateOptions o;
  o.label = "nope";
  EXPECT_THAT(Evaluate(candidate_, nullptr, table_, o).status().message(),
              HasSubstr("test.csv: no label column 'nope'"));
  o.label = "y";
  o.key = "x";
  EXPECT_EQ(Evaluate(candidate_, nullptr, table_, o).status().message(),
            "key column 'x' is one of the model's features");
  WriteTextFile(dir_ / "dup.csv", "id,x,y\na,1,0\na,2,1\n");
  Result<DataTable> dup = ReadDataTable((dir_ / "dup.csv").string());
  ASSERT_TRUE(dup.ok());
  o.key = "id";
  EXPECT_THAT(Evaluate(candidate_, nullptr, *dup, o).status().message(),
              HasSubstr("dup.csv:3: key 'a' repeats (column 'id')"));
  WriteTextFile(dir_ / "missing.csv", "id,x,y\na,1,0\nb,2,\n");
  Result<DataTable> missing = ReadDataTable((dir_ / "missing.csv").string());
  ASSERT_TRUE(missing.ok());
  o.key.clear();
  EXPECT_THAT(Evaluate(candidate_, nullptr, *missing, o).status().message(),
              HasSubstr("missing.csv:3: label column 'y' is missing a value"));
  WriteTextFile(dir_ / "nofeature.csv", "id,z,y\na,1,0\n");
  Result<DataTable> nofeature = ReadDataTable((dir_ / "nofeature.csv").string());
  ASSERT_TRUE(nofeature.ok());
  EXPECT_THAT(Evaluate(candidate_, nullptr, *nofeature, o).status().message(),
              HasSubstr("nofeature.csv: no column 'x' (a feature of model cand)"));
  WriteTextFile(dir_ / "labels.csv", "id,x,y\na,1,0\nb,2,3\n");
  Result<DataTable> labels = ReadDataTable((dir_ / "labels.csv").string());
  ASSERT_TRUE(labels.ok());
  EXPECT_THAT(Evaluate(candidate_, nullptr, *labels, o).status().message(),
              HasSubstr("binary label must be 0 or 1, got 3"));
}

}  // namespace
}  // namespace ferry::train

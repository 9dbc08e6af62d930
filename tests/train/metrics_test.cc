#include "ferry/train/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ferry/base/json_writer.h"

namespace ferry::train {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, AucOfPerfectReversedAndTiedRankings) {
  const std::vector<double> y = {0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(RocAuc(y, std::vector<double>{0.1, 0.2, 0.8, 0.9}), 1.0);
  EXPECT_DOUBLE_EQ(RocAuc(y, std::vector<double>{0.9, 0.8, 0.2, 0.1}), 0.0);
  EXPECT_DOUBLE_EQ(RocAuc(y, std::vector<double>{0.5, 0.5, 0.5, 0.5}), 0.5);
}

TEST(MetricsTest, AucCountsATieBetweenClassesAsHalf) {
  // Pairs (pos, neg): (0.8 vs 0.3) win, (0.8 vs 0.5) win, (0.5 vs 0.3) win,
  // (0.5 vs 0.5) tie -> (3 + 0.5) / 4.
  const std::vector<double> y = {1, 1, 0, 0};
  EXPECT_DOUBLE_EQ(RocAuc(y, std::vector<double>{0.8, 0.5, 0.5, 0.3}), 3.5 / 4);
}

TEST(MetricsTest, AucIsUndefinedWithOneClass) {
  EXPECT_TRUE(std::isnan(RocAuc(std::vector<double>{1, 1}, std::vector<double>{0.2, 0.4})));
}

TEST(MetricsTest, LogLossOfKnownProbabilities) {
  const std::vector<double> y = {1, 0};
  const std::vector<double> p = {0.8, 0.4};
  EXPECT_NEAR(BinaryLogLoss(y, p), -(std::log(0.8) + std::log(0.6)) / 2, 1e-15);
  // Clipped: a certain wrong answer costs -log(eps), not infinity.
  EXPECT_NEAR(BinaryLogLoss(std::vector<double>{1}, std::vector<double>{0.0}),
              -std::log(2.220446049250313e-16), 1e-9);
}

TEST(MetricsTest, ConfusionAtThreshold) {
  const std::vector<double> y = {1, 1, 1, 0, 0};
  const std::vector<double> p = {0.9, 0.5, 0.2, 0.7, 0.1};
  const Confusion c = BinaryConfusion(y, p, 0.5);  // 0.5 counts as positive
  EXPECT_EQ(c.tp, 2);
  EXPECT_EQ(c.fn, 1);
  EXPECT_EQ(c.fp, 1);
  EXPECT_EQ(c.tn, 1);
  EXPECT_DOUBLE_EQ(c.accuracy(), 3.0 / 5);
  EXPECT_DOUBLE_EQ(c.precision(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(c.recall(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(c.f1(), 2.0 / 3);
  const Confusion none = BinaryConfusion(y, p, 0.95);  // nothing predicted positive
  EXPECT_EQ(none.precision(), 0.0);
  EXPECT_EQ(none.f1(), 0.0);
}

TEST(MetricsTest, RegressionOfKnownResiduals) {
  const std::vector<double> y = {1, 2, 3, 4};
  const std::vector<double> pred = {2, 2, 3, 2};  // residuals -1, 0, 0, 2
  EXPECT_DOUBLE_EQ(Rmse(y, pred), std::sqrt(5.0 / 4));
  EXPECT_DOUBLE_EQ(Mae(y, pred), 3.0 / 4);
  EXPECT_DOUBLE_EQ(R2(y, pred), 1.0 - 5.0 / 5.0);  // SS_tot = 2.25+0.25+0.25+2.25 = 5
  EXPECT_DOUBLE_EQ(R2(y, y), 1.0);
  EXPECT_DOUBLE_EQ(R2(std::vector<double>{3, 3}, std::vector<double>{3, 3}), 1.0);
  EXPECT_DOUBLE_EQ(R2(std::vector<double>{3, 3}, std::vector<double>{2, 3}), 0.0);
}

TEST(MetricsTest, MulticlassMetrics) {
  const std::vector<double> y = {0, 1, 2, 2};
  const std::vector<double> p = {0.7, 0.2, 0.1,   // -> 0 right
                                 0.1, 0.6, 0.3,   // -> 1 right
                                 0.2, 0.5, 0.3,   // -> 1 wrong
                                 0.1, 0.1, 0.8};  // -> 2 right
  MetricInput in{Task::kMulticlassClassification, 3, y, p, 0.5};
  Result<MetricValues> m = ComputeMetrics(in);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_DOUBLE_EQ(m->at("accuracy"), 0.75);
  EXPECT_NEAR(m->at("log_loss"),
              -(std::log(0.7) + std::log(0.6) + std::log(0.3) + std::log(0.8)) / 4, 1e-12);
  // F1 per class: 0 -> 1, 1 -> 2/3 (tp 1, fp 1), 2 -> 2/3 (tp 1, fn 1).
  EXPECT_NEAR(m->at("macro_f1"), (1.0 + 2.0 / 3 + 2.0 / 3) / 3, 1e-12);
}

TEST(MetricsTest, ComputeMetricsNamesEveryMetricOfTheTask) {
  MetricInput in{Task::kBinaryClassification, 0, {0, 1}, {0.3, 0.6}, 0.5};
  Result<MetricValues> m = ComputeMetrics(in);
  ASSERT_TRUE(m.ok());
  std::vector<std::string_view> names;
  for (const auto& [k, v] : *m) names.push_back(k);
  EXPECT_EQ(names, MetricNames(Task::kBinaryClassification));
  std::string log_loss;
  JsonWriter(&log_loss).Double(m->at("log_loss"));
  EXPECT_EQ(MetricsToJson(*m), R"({"accuracy":1,"auc":1,"f1":1,"log_loss":)" + log_loss +
                                   R"(,"precision":1,"recall":1})");
  MetricInput one_class{Task::kBinaryClassification, 0, {1, 1}, {0.3, 0.6}, 0.5};
  Result<MetricValues> undefined = ComputeMetrics(one_class);
  ASSERT_TRUE(undefined.ok());
  EXPECT_THAT(MetricsToJson(*undefined), HasSubstr(R"("auc":null)"));
}

TEST(MetricsTest, RejectsBadLabels) {
  MetricInput bin{Task::kBinaryClassification, 0, {0, 2}, {0.3, 0.6}, 0.5};
  EXPECT_THAT(ComputeMetrics(bin).status().message(),
              HasSubstr("row 2: binary label must be 0 or 1, got 2"));
  MetricInput missing{Task::kRegression, 0, {1, NAN}, {1, 1}, 0.5};
  EXPECT_THAT(ComputeMetrics(missing).status().message(), HasSubstr("row 2: label is missing"));
  MetricInput multi{Task::kMulticlassClassification, 2, {0, 1.5}, {0.5, 0.5, 0.5, 0.5}, 0.5};
  EXPECT_THAT(ComputeMetrics(multi).status().message(),
              HasSubstr("class label must be an integer in [0, 2), got 1.5"));
  MetricInput sizes{Task::kRegression, 0, {1, 2}, {1}, 0.5};
  EXPECT_THAT(ComputeMetrics(sizes).status().message(), HasSubstr("1 scores for 2 labels"));
  MetricInput empty{Task::kRegression, 0, {}, {}, 0.5};
  EXPECT_FALSE(ComputeMetrics(empty).ok());
}

TEST(MetricsTest, DirectionOfMetrics) {
  EXPECT_TRUE(HigherIsBetter("auc"));
  EXPECT_TRUE(HigherIsBetter("r2"));
  EXPECT_FALSE(HigherIsBetter("log_loss"));
  EXPECT_FALSE(HigherIsBetter("rmse"));
  EXPECT_FALSE(HigherIsBetter("mae"));
}

}  // namespace
}  // namespace ferry::train

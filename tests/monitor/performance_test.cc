#include "ferry/monitor/performance.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace ferry::monitor {
namespace {

std::string LabelError(Task task, std::string_view json, size_t classes = 0) {
  Result<double> r = ParseLabel(task, json, classes);
  EXPECT_FALSE(r.ok()) << json;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(ParseLabelTest, Binary) {
  const Task t = Task::kBinaryClassification;
  EXPECT_EQ(ParseLabel(t, "0").value(), 0);
  EXPECT_EQ(ParseLabel(t, "1").value(), 1);
  EXPECT_EQ(ParseLabel(t, "1.0").value(), 1);
  EXPECT_EQ(ParseLabel(t, " true ").value(), 1);
  EXPECT_EQ(ParseLabel(t, "false").value(), 0);
  EXPECT_EQ(ParseLabel(t, "\"1\"").value(), 1);
  EXPECT_EQ(ParseLabel(t, "\"0\"").value(), 0);
  const std::string expected = "binary label must be 0, 1, true, false, \"0\" or \"1\", got ";
  EXPECT_EQ(LabelError(t, "2"), expected + "2");
  EXPECT_EQ(LabelError(t, "0.5"), expected + "0.5");
  EXPECT_EQ(LabelError(t, "\"yes\""), expected + "\"yes\"");
  EXPECT_EQ(LabelError(t, "\"true\""), expected + "\"true\"");
  EXPECT_EQ(LabelError(t, "null"), expected + "null");
  EXPECT_EQ(LabelError(t, "[1]"), expected + "[1]");
  EXPECT_EQ(LabelError(t, ""), "label is not a JSON value: ");
  EXPECT_EQ(LabelError(t, "tru"), "label is not a JSON value: tru");
  EXPECT_EQ(LabelError(t, "\"" + std::string(50, '7') + "\""),
            expected + "\"" + std::string(39, '7') + "...");
}

TEST(ParseLabelTest, Multiclass) {
  const Task t = Task::kMulticlassClassification;
  EXPECT_EQ(ParseLabel(t, "0", 3).value(), 0);
  EXPECT_EQ(ParseLabel(t, "2", 3).value(), 2);
  EXPECT_EQ(ParseLabel(t, "2.0", 3).value(), 2);
  const std::string expected = "multiclass label must be an integer class index in [0, 3), got ";
  EXPECT_EQ(LabelError(t, "3", 3), expected + "3");
  EXPECT_EQ(LabelError(t, "-1", 3), expected + "-1");
  EXPECT_EQ(LabelError(t, "1.5", 3), expected + "1.5");
  EXPECT_EQ(LabelError(t, "\"1\"", 3), expected + "\"1\"");
  EXPECT_EQ(LabelError(t, "true", 3), expected + "true");
  EXPECT_EQ(LabelError(t, "1", 0), "multiclass label needs the class count (at least 2), got 0");
}

TEST(ParseLabelTest, Regression) {
  const Task t = Task::kRegression;
  EXPECT_EQ(ParseLabel(t, "-12.5").value(), -12.5);
  EXPECT_EQ(ParseLabel(t, "3").value(), 3);
  EXPECT_EQ(ParseLabel(t, "1e300").value(), 1e300);
  const std::string expected = "regression label must be a finite number, got ";
  EXPECT_EQ(LabelError(t, "\"3\""), expected + "\"3\"");
  EXPECT_EQ(LabelError(t, "null"), expected + "null");
  EXPECT_EQ(LabelError(t, "true"), expected + "true");
  EXPECT_EQ(LabelError(t, "1e999"), "label is not a JSON value: 1e999");
}

TEST(AreaUnderRocTest, HandWorkedWithTies) {
  // Positives 0.9, 0.5, 0.0 against negatives 0.5, 0.2, 1.0: 2 + 1.5 + 0 of 9.
  std::vector<ScoredLabel> pairs = {{0.9, true},  {0.5, true}, {0.5, false},
                                    {0.2, false}, {0.0, true}, {1.0, false}};
  EXPECT_DOUBLE_EQ(AreaUnderRoc(pairs), 3.5 / 9);
  std::vector<ScoredLabel> all_tied = {{0.3, true}, {0.3, false}, {0.3, false}};
  EXPECT_DOUBLE_EQ(AreaUnderRoc(all_tied), 0.5);
  std::vector<ScoredLabel> perfect = {{0.1, false}, {0.2, false}, {0.8, true}};
  EXPECT_DOUBLE_EQ(AreaUnderRoc(perfect), 1.0);
  std::vector<ScoredLabel> one_class = {{0.1, true}, {0.2, true}};
  EXPECT_TRUE(std::isnan(AreaUnderRoc(one_class)));
  std::vector<ScoredLabel> none;
  EXPECT_TRUE(std::isnan(AreaUnderRoc(none)));
}

TEST(PerformanceWindowTest, EmptyWindowIsUndefined) {
  for (Task t : {Task::kBinaryClassification, Task::kMulticlassClassification, Task::kRegression}) {
    PerformanceMetrics m = PerformanceWindow(t).Compute();
    EXPECT_EQ(m.count, 0);
    EXPECT_TRUE(std::isnan(m.accuracy));
    EXPECT_TRUE(std::isnan(m.auc));
    EXPECT_TRUE(std::isnan(m.log_loss));
    EXPECT_TRUE(std::isnan(m.rmse));
    EXPECT_TRUE(std::isnan(m.mae));
  }
}

TEST(PerformanceWindowTest, Binary) {
  PerformanceWindow w(Task::kBinaryClassification);
  const std::vector<std::pair<double, double>> data = {{0.9, 1}, {0.5, 1}, {0.5, 0},
                                                       {0.2, 0}, {0.0, 1}, {1.0, 0}};
  for (auto [p, y] : data) ASSERT_TRUE(w.Add({&p, 1}, y).ok());
  w.CountUnmatched(2);
  PerformanceMetrics m = w.Compute();
  EXPECT_EQ(m.count, 6);
  EXPECT_EQ(m.unmatched, 2);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.5);  // 0.5 predicts class 0
  EXPECT_DOUBLE_EQ(m.auc, 3.5 / 9);
  // sklearn.metrics.log_loss of the same data (p = 0 and 1 clipped to DBL_EPSILON).
  EXPECT_NEAR(m.log_loss, 12.300350867721038, 1e-12);
  EXPECT_EQ(m.auc_pairs, 6);
  EXPECT_FALSE(m.auc_sampled);
  EXPECT_TRUE(std::isnan(m.rmse));
  EXPECT_TRUE(std::isnan(m.mae));
  EXPECT_DOUBLE_EQ(kLogLossEps, DBL_EPSILON);
}

TEST(PerformanceWindowTest, BinaryOneClassHasNoAuc) {
  PerformanceWindow w(Task::kBinaryClassification);
  double p = 0.7;
  ASSERT_TRUE(w.Add({&p, 1}, 1).ok());
  PerformanceMetrics m = w.Compute();
  EXPECT_DOUBLE_EQ(m.accuracy, 1);
  EXPECT_TRUE(std::isnan(m.auc));
  EXPECT_NEAR(m.log_loss, -std::log(0.7), 1e-15);
}

TEST(PerformanceWindowTest, Multiclass) {
  PerformanceWindow w(Task::kMulticlassClassification);
  const std::vector<std::vector<double>> probs = {
      {0.2, 0.5, 0.3}, {0.4, 0.4, 0.2}, {0.0, 0.0, 1.0}, {0.1, 0.6, 0.1}};
  const std::vector<double> labels = {1, 1, 0, 2};
  for (size_t i = 0; i < probs.size(); ++i) ASSERT_TRUE(w.Add(probs[i], labels[i]).ok());
  EXPECT_EQ(w.num_classes(), 3u);
  PerformanceMetrics m = w.Compute();
  EXPECT_EQ(m.count, 4);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.25);  // argmax takes the first of equal maxima
  // sklearn.metrics.log_loss(labels=[0, 1, 2]): clipped, rows renormalized.
  EXPECT_NEAR(m.log_loss, 9.933133210807773, 1e-12);
  EXPECT_TRUE(std::isnan(m.auc));
  EXPECT_TRUE(std::isnan(m.rmse));
}

TEST(PerformanceWindowTest, Regression) {
  PerformanceWindow w(Task::kRegression);
  const std::vector<std::pair<double, double>> data = {{1, 2}, {5, 1}, {-1, -1}, {0.5, 0}};
  for (auto [p, y] : data) ASSERT_TRUE(w.Add({&p, 1}, y).ok());
  PerformanceMetrics m = w.Compute();
  EXPECT_EQ(m.count, 4);
  EXPECT_DOUBLE_EQ(m.rmse, std::sqrt((1 + 16 + 0 + 0.25) / 4));
  EXPECT_DOUBLE_EQ(m.mae, (1 + 4 + 0 + 0.5) / 4);
  EXPECT_TRUE(std::isnan(m.accuracy));
  EXPECT_TRUE(std::isnan(m.auc));
  EXPECT_TRUE(std::isnan(m.log_loss));
}

TEST(PerformanceWindowTest, RefusesScoresAndLabelsThatDoNotFit) {
  auto message = [](PerformanceWindow& w, std::vector<double> scores, double label) {
    Status s = w.Add(scores, label);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    return s.message();
  };
  PerformanceWindow b(Task::kBinaryClassification);
  EXPECT_EQ(message(b, {0.2, 0.8}, 1), "binary classification expects 1 score (P(class 1)), got 2");
  EXPECT_EQ(message(b, {1.5}, 1), "probability must be in [0, 1], got 1.5");
  EXPECT_EQ(message(b, {NAN}, 1), "probability must be in [0, 1], got nan");
  EXPECT_EQ(message(b, {0.5}, 2), "binary label must be 0 or 1, got 2");
  EXPECT_EQ(b.count(), 0);

  PerformanceWindow mc(Task::kMulticlassClassification);
  EXPECT_EQ(message(mc, {1.0}, 0),
            "multiclass classification expects at least 2 probabilities, got 1");
  ASSERT_TRUE(mc.Add(std::vector<double>{0.5, 0.5}, 1).ok());
  EXPECT_EQ(message(mc, {0.2, 0.3, 0.5}, 1),
            "multiclass classification expects 2 probabilities, got 3");
  EXPECT_EQ(message(mc, {0.2, -0.1}, 1), "probability must be in [0, 1], got -0.1");
  EXPECT_EQ(message(mc, {0.2, 0.8}, 2),
            "multiclass label must be an integer class index in [0, 2), got 2");
  EXPECT_EQ(message(mc, {0.2, 0.8}, 0.5),
            "multiclass label must be an integer class index in [0, 2), got 0.5");
  EXPECT_EQ(mc.count(), 1);

  PerformanceWindow r(Task::kRegression);
  EXPECT_EQ(message(r, {}, 1), "regression expects 1 prediction, got 0");
  EXPECT_EQ(message(r, {INFINITY}, 1), "prediction is not a finite number");
  EXPECT_EQ(message(r, {1}, NAN), "regression label must be a finite number");
  EXPECT_EQ(r.count(), 0);
}

TEST(PerformanceWindowTest, MergeEqualsOneWindow) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  PerformanceWindow all(Task::kBinaryClassification);
  PerformanceWindow a(Task::kBinaryClassification);
  PerformanceWindow b(Task::kBinaryClassification);
  for (int i = 0; i < 1000; ++i) {
    double p = std::round(u(rng) * 20) / 20;  // ties
    double y = u(rng) < p ? 1 : 0;
    ASSERT_TRUE(all.Add({&p, 1}, y).ok());
    ASSERT_TRUE((i % 3 == 0 ? a : b).Add({&p, 1}, y).ok());
  }
  a.CountUnmatched(1);
  b.CountUnmatched(2);
  ASSERT_TRUE(a.Merge(b).ok());
  PerformanceMetrics m = a.Compute();
  PerformanceMetrics expected = all.Compute();
  EXPECT_EQ(m.count, 1000);
  EXPECT_EQ(m.unmatched, 3);
  EXPECT_DOUBLE_EQ(m.accuracy, expected.accuracy);
  EXPECT_DOUBLE_EQ(m.auc, expected.auc);
  EXPECT_NEAR(m.log_loss, expected.log_loss, 1e-12);
  EXPECT_EQ(m.auc_pairs, 1000);
  EXPECT_FALSE(m.auc_sampled);

  PerformanceWindow self = all;
  ASSERT_TRUE(self.Merge(self).ok());
  EXPECT_EQ(self.Compute().count, 2000);
  EXPECT_DOUBLE_EQ(self.Compute().auc, expected.auc);
}

TEST(PerformanceWindowTest, MergeRefusesOtherTaskOrClassCount) {
  PerformanceWindow b(Task::kBinaryClassification);
  PerformanceWindow r(Task::kRegression);
  Status s = b.Merge(r);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "cannot merge windows of different tasks: binary_classification and regression");
  PerformanceWindow m2(Task::kMulticlassClassification);
  PerformanceWindow m3(Task::kMulticlassClassification);
  PerformanceWindow empty(Task::kMulticlassClassification);
  ASSERT_TRUE(m2.Add(std::vector<double>{0.5, 0.5}, 0).ok());
  ASSERT_TRUE(m3.Add(std::vector<double>{0.2, 0.3, 0.5}, 0).ok());
  EXPECT_EQ(m2.Merge(m3).message(), "cannot merge windows of 2 and 3 classes");
  EXPECT_EQ(m2.count(), 1);
  ASSERT_TRUE(empty.Merge(m3).ok());
  EXPECT_EQ(empty.num_classes(), 3u);
}

TEST(PerformanceWindowTest, AucFromReservoirBeyondTheBound) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 1);
  PerformanceOptions options;
  options.max_auc_pairs = 2000;
  PerformanceWindow sampled(Task::kBinaryClassification, options);
  PerformanceWindow exact(Task::kBinaryClassification);
  for (int i = 0; i < 50'000; ++i) {
    double y = i % 2;
    double p = 1 / (1 + std::exp(-(noise(rng) + (y == 1 ? 1.0 : -1.0))));
    ASSERT_TRUE(sampled.Add({&p, 1}, y).ok());
    ASSERT_TRUE(exact.Add({&p, 1}, y).ok());
  }
  PerformanceMetrics s = sampled.Compute();
  PerformanceMetrics e = exact.Compute();
  EXPECT_EQ(s.count, 50'000);
  EXPECT_EQ(s.auc_pairs, 2000);
  EXPECT_TRUE(s.auc_sampled);
  EXPECT_FALSE(e.auc_sampled);
  EXPECT_NEAR(s.auc, e.auc, 0.03);           // a 2000-pair estimate of an AUC near 0.92
  EXPECT_DOUBLE_EQ(s.accuracy, e.accuracy);  // exact whatever the sample
  EXPECT_NEAR(s.log_loss, e.log_loss, 1e-12);

  // Merging two sampled windows keeps the bound and the proportions.
  PerformanceWindow other(Task::kBinaryClassification, options);
  for (int i = 0; i < 10'000; ++i) {
    double p = 0.25;
    ASSERT_TRUE(other.Add({&p, 1}, 0).ok());
  }
  ASSERT_TRUE(sampled.Merge(other).ok());
  PerformanceMetrics merged = sampled.Compute();
  EXPECT_EQ(merged.count, 60'000);
  EXPECT_EQ(merged.auc_pairs, 2000);
  EXPECT_TRUE(merged.auc_sampled);
  EXPECT_FALSE(std::isnan(merged.auc));
}

}  // namespace
}  // namespace ferry::monitor

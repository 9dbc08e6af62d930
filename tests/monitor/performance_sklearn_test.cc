// Parity: PerformanceWindow against Debian's scikit-learn (/usr/bin/python3,
// tests/monitor/performance_sklearn.py) on random data with ties, clipped
// probabilities and unnormalized rows; every metric within 1e-9.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ferry/monitor/performance.h"
#include "testing/test_util.h"

namespace ferry::monitor {
namespace {

namespace fs = std::filesystem;
using ::ferry::testing::TempDir;

constexpr double kTolerance = 1e-9;
constexpr int kWindows = 3;  // data split into windows, merged, compared too

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

struct Row {
  std::vector<double> scores;
  double label;
};

std::vector<Row> BinaryRows(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Row> rows;
  for (int i = 0; i < 5000; ++i) {
    double p = u(rng);
    switch (i % 5) {
      case 0:
        p = std::round(p * 20) / 20;
        break;  // many ties, 0.5 among them
      case 1:
        p = std::round(p * 100) / 100;
        break;
      case 2:
        p = (i % 10 == 2) ? 0.0 : 1.0;
        break;  // clipped in log loss
      default:
        break;
    }
    double y = u(rng) < 0.2 + 0.6 * p ? 1 : 0;
    rows.push_back({{p}, y});
  }
  return rows;
}

std::vector<Row> MulticlassRows(std::mt19937_64& rng, int k) {
  std::exponential_distribution<double> e(1.0);
  std::uniform_int_distribution<int> label(0, k - 1);
  std::vector<Row> rows;
  for (int i = 0; i < 3000; ++i) {
    std::vector<double> p(k);
    double total = 0;
    for (double& v : p) total += (v = e(rng));
    for (double& v : p) v /= total;
    if (i % 3 == 0) {
      for (double& v : p) v = std::round(v * 10) / 10;  // ties; rows no longer sum to 1
    }
    if (i % 7 == 0) p[static_cast<size_t>(i) % k] = 0;  // clipped
    const int y = (i % 2 == 0) ? static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin())
                               : label(rng);
    rows.push_back({p, static_cast<double>(y)});
  }
  return rows;
}

std::vector<Row> RegressionRows(std::mt19937_64& rng) {
  std::normal_distribution<double> n(0, 1);
  std::vector<Row> rows;
  for (int i = 0; i < 3000; ++i) {
    double y = 100 + 50 * n(rng);
    double pred = y + 10 * n(rng);
    if (i % 4 == 0) pred = std::round(pred);
    rows.push_back({{pred}, y});
  }
  return rows;
}

void WriteCsv(const fs::path& path, const std::vector<Row>& rows) {
  std::ofstream f(path);
  for (const Row& r : rows) {
    for (double s : r.scores) f << Num(s) << ',';
    f << Num(r.label) << '\n';
  }
}

// One window over all rows, and kWindows windows merged into one.
std::pair<PerformanceMetrics, PerformanceMetrics> Evaluate(Task task,
                                                           const std::vector<Row>& rows) {
  PerformanceWindow all(task);
  std::vector<PerformanceWindow> parts(kWindows, PerformanceWindow(task));
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_TRUE(all.Add(rows[i].scores, rows[i].label).ok());
    EXPECT_TRUE(parts[i % kWindows].Add(rows[i].scores, rows[i].label).ok());
  }
  for (int w = 1; w < kWindows; ++w) EXPECT_TRUE(parts[0].Merge(parts[w]).ok());
  return {all.Compute(), parts[0].Compute()};
}

TEST(PerformanceSklearnParityTest, AgreesWithScikitLearn) {
  const fs::path python = "/usr/bin/python3";
  if (!fs::exists(python)) GTEST_SKIP() << "no Debian python3";
  TempDir tmp;
  std::mt19937_64 rng(20261127);
  const std::vector<Row> binary = BinaryRows(rng);
  const std::vector<Row> multiclass = MulticlassRows(rng, 4);
  const std::vector<Row> regression = RegressionRows(rng);
  WriteCsv(tmp / "binary.csv", binary);
  WriteCsv(tmp / "multiclass.csv", multiclass);
  WriteCsv(tmp / "regression.csv", regression);

  const fs::path script = ::ferry::testing::SourceDir() / "tests/monitor/performance_sklearn.py";
  const std::string command = python.string() + " '" + script.string() + "' '" +
                              tmp.path().string() + "' > '" + (tmp / "expected.txt").string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::map<std::string, double> expected;
  std::ifstream in(tmp / "expected.txt");
  std::string name;
  std::string value;
  while (in >> name >> value) expected[name] = std::strtod(value.c_str(), nullptr);
  ASSERT_EQ(expected.size(), 7u);

  const auto [binary_one, binary_merged] = Evaluate(Task::kBinaryClassification, binary);
  for (const PerformanceMetrics& m : {binary_one, binary_merged}) {
    EXPECT_EQ(m.count, 5000);
    EXPECT_NEAR(m.accuracy, expected.at("binary.accuracy"), kTolerance);
    EXPECT_NEAR(m.auc, expected.at("binary.auc"), kTolerance);
    EXPECT_NEAR(m.log_loss, expected.at("binary.log_loss"), kTolerance);
    EXPECT_FALSE(m.auc_sampled);
  }
  const auto [multi_one, multi_merged] = Evaluate(Task::kMulticlassClassification, multiclass);
  for (const PerformanceMetrics& m : {multi_one, multi_merged}) {
    EXPECT_EQ(m.count, 3000);
    EXPECT_NEAR(m.accuracy, expected.at("multiclass.accuracy"), kTolerance);
    EXPECT_NEAR(m.log_loss, expected.at("multiclass.log_loss"), kTolerance);
  }
  const auto [reg_one, reg_merged] = Evaluate(Task::kRegression, regression);
  for (const PerformanceMetrics& m : {reg_one, reg_merged}) {
    EXPECT_EQ(m.count, 3000);
    EXPECT_NEAR(m.rmse, expected.at("regression.rmse"), kTolerance);
    EXPECT_NEAR(m.mae, expected.at("regression.mae"), kTolerance);
  }
}

}  // namespace
}  // namespace ferry::monitor

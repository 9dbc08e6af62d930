#include "ferry/monitor/drift.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace ferry::monitor {
namespace {

bundle::Baseline TwoFeatures() {
  bundle::Baseline b;
  b.rows = 10;
  bundle::NumericProfile n;
  n.count = 8;
  n.missing = 2;
  n.cut_points = {1, 2, 3};
  n.bin_counts = {2, 2, 4};
  b.features.push_back({"x", n});
  bundle::CategoricalProfile c;
  c.count = 4;
  c.missing = 6;
  c.categories = {{"a", 3}, {"b", 1}};
  b.features.push_back({"city", c});
  return b;
}

TEST(DriftTest, FormulasOnHandWorkedExamples) {
  // (0.9-0.5) ln(0.9/0.5) + (0.1-0.5) ln(0.1/0.5) = 0.4 ln 1.8 + 0.4 ln 5
  EXPECT_NEAR(Psi({0.5, 0.5}, {0.9, 0.1}), 0.4 * std::log(1.8) + 0.4 * std::log(5.0), 1e-12);
  EXPECT_EQ(Psi({0.25, 0.75}, {0.25, 0.75}), 0.0);
  // An empty bin counts as kPsiEpsilon.
  EXPECT_NEAR(Psi({0.5, 0.5}, {1.0, 0.0}),
              0.5 * std::log(2.0) + (kPsiEpsilon - 0.5) * std::log(kPsiEpsilon / 0.5), 1e-12);
  EXPECT_NEAR(BinnedKs({0.2, 0.3, 0.5}, {0.5, 0.3, 0.2}), 0.3, 1e-12);
  EXPECT_NEAR(JensenShannon({1, 0}, {0, 1}), std::sqrt(std::log(2.0)), 1e-12);
  EXPECT_EQ(JensenShannon({0.3, 0.7}, {0.3, 0.7}), 0.0);
  // n = 2 over the bins with e > 0: (1-1.5)^2/1.5 + (1-0.5)^2/0.5; the new bin is left out.
  EXPECT_NEAR(ChiSquare({0.75, 0.25, 0}, {1, 1, 5}), 0.25 / 1.5 + 0.25 / 0.5, 1e-12);
}

TEST(DriftTest, CountsOnTheBaselinesBins) {
  DriftReference ref = MakeDriftReference(TwoFeatures());
  ASSERT_EQ(ref.features.size(), 2u);
  EXPECT_EQ(ref.features[0].bins(), 3u);
  EXPECT_EQ(ref.features[0].expected, (std::vector<double>{0.25, 0.25, 0.5}));
  EXPECT_DOUBLE_EQ(ref.features[0].expected_missing_rate, 0.2);
  EXPECT_EQ(ref.features[1].bins(), 3u);  // a, b, values never seen
  EXPECT_EQ(ref.Find("city"), 1);
  EXPECT_EQ(ref.Find("nope"), -1);

  DriftCounts counts(ref);
  // Bin 0: v <= 1; bin 1: (1, 2]; bin 2: > 2, open above.
  for (double v : {0.5, 1.0, 1.5, 2.0, 2.5, 10.0, double{NAN}, double{INFINITY}}) {
    counts.AddNumber(0, v);
  }
  for (const char* v : {"a", "b", "c", "", "NA"}) counts.AddCategory(1, v);
  const int64_t* x = counts.counts(0);
  EXPECT_EQ(std::vector<int64_t>(x, x + 4), (std::vector<int64_t>{2, 2, 2, 2}));
  const int64_t* c = counts.counts(1);
  EXPECT_EQ(std::vector<int64_t>(c, c + 4), (std::vector<int64_t>{1, 1, 1, 2}));

  std::vector<FeatureDrift> d = ComputeDrift(counts);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].count, 6);
  EXPECT_EQ(d[0].missing, 2);
  EXPECT_DOUBLE_EQ(d[0].missing_rate, 0.25);
  std::vector<double> a = {2.0 / 6, 2.0 / 6, 2.0 / 6}, e = {0.25, 0.25, 0.5};
  EXPECT_DOUBLE_EQ(d[0].psi, Psi(e, a));
  EXPECT_DOUBLE_EQ(d[0].ks, BinnedKs(e, a));
  EXPECT_DOUBLE_EQ(d[0].js, JensenShannon(e, a));
  EXPECT_TRUE(std::isnan(d[0].chi_square));
  EXPECT_EQ(d[1].unseen, 1);
  EXPECT_DOUBLE_EQ(d[1].chi_square, ChiSquare({0.75, 0.25, 0}, {1, 1, 1}));
  EXPECT_TRUE(std::isnan(d[1].ks));

  DriftCounts more(ref);
  more.AddNumber(0, 0.0);
  counts.Merge(more);
  EXPECT_EQ(counts.counts(0)[0], 3);
  counts.Clear();
  EXPECT_EQ(counts.counts(0)[0], 0);
  EXPECT_TRUE(std::isnan(ComputeDrift(counts)[0].psi)) << "no value in the window";
}

TEST(DriftTest, AnOtherCategoryTakesUnseenValues) {
  bundle::Baseline b;
  b.rows = 3;
  bundle::CategoricalProfile c;
  c.count = 3;
  c.categories = {{"a", 2}, {std::string(bundle::kOtherCategory), 1}};
  b.features.push_back({"k", c});
  DriftReference ref = MakeDriftReference(b);
  EXPECT_EQ(ref.features[0].bins(), 2u);
  DriftCounts counts(ref);
  counts.AddCategory(0, "zzz");
  EXPECT_EQ(counts.counts(0)[ref.features[0].unseen_bin], 1);
  EXPECT_EQ(ref.features[0].categories[ref.features[0].unseen_bin], bundle::kOtherCategory);
  EXPECT_EQ(ComputeDrift(counts)[0].unseen, 0);
}

TEST(DriftTest, ThePredictionIsOneMoreNumericEntry) {
  DriftReference plain = MakeDriftReference(TwoFeatures());
  EXPECT_EQ(plain.prediction_index, -1);
  for (const FeatureBins& b : plain.features) EXPECT_FALSE(b.is_prediction);

  bundle::Baseline with = TwoFeatures();
  // An input feature may be called "prediction" too; the entry is told apart by is_prediction.
  bundle::NumericProfile feature;
  feature.count = 10;
  feature.cut_points = {5};
  feature.bin_counts = {10};
  with.features.push_back({"prediction", feature});
  bundle::PredictionProfile p;
  p.output = "probability";
  p.stats.count = 9;
  p.stats.missing = 1;
  p.stats.cut_points = {0.1, 0.5, 0.9};
  p.stats.bin_counts = {3, 3, 3};
  with.prediction = p;
  DriftReference ref = MakeDriftReference(with);
  ASSERT_EQ(ref.features.size(), 4u);
  EXPECT_EQ(ref.prediction_index, 3);
  const FeatureBins& bins = ref.features[3];
  EXPECT_EQ(bins.name, "prediction");
  EXPECT_TRUE(bins.is_prediction);
  EXPECT_TRUE(bins.numeric);
  EXPECT_FALSE(ref.features[2].is_prediction);
  EXPECT_EQ(ref.Find("prediction"), 2) << "the first entry of that name: the input feature";
  EXPECT_EQ(bins.cut_points, p.stats.cut_points);
  EXPECT_EQ(bins.expected, (std::vector<double>{1.0 / 3, 1.0 / 3, 1.0 / 3}));
  EXPECT_DOUBLE_EQ(bins.expected_missing_rate, 0.1);

  DriftCounts counts(ref);
  const auto index = static_cast<size_t>(ref.prediction_index);
  for (double v : {0.05, 0.2, 0.3, 0.95, 0.99, double{NAN}}) counts.AddNumber(index, v);
  const int64_t* c = counts.counts(index);
  EXPECT_EQ(std::vector<int64_t>(c, c + 4), (std::vector<int64_t>{1, 2, 2, 1}));
  std::vector<FeatureDrift> d = ComputeDrift(counts);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_TRUE(d[3].is_prediction);
  EXPECT_FALSE(d[2].is_prediction);
  EXPECT_EQ(d[3].name, "prediction");
  EXPECT_EQ(d[3].count, 5);
  EXPECT_EQ(d[3].missing, 1);
  std::vector<double> a = {0.2, 0.4, 0.4}, e = {1.0 / 3, 1.0 / 3, 1.0 / 3};
  EXPECT_DOUBLE_EQ(d[3].psi, Psi(e, a));
  EXPECT_DOUBLE_EQ(d[3].ks, BinnedKs(e, a));
  EXPECT_DOUBLE_EQ(d[3].js, JensenShannon(e, a));
  EXPECT_TRUE(std::isnan(d[3].chi_square));

  // A prediction profile without any value: one bin, nothing expected, no statistic.
  with.prediction->stats = bundle::NumericProfile{};
  with.prediction->stats.missing = 10;
  DriftReference empty = MakeDriftReference(with);
  DriftCounts none(empty);
  none.AddNumber(static_cast<size_t>(empty.prediction_index), 0.5);
  EXPECT_TRUE(std::isnan(ComputeDrift(none)[3].psi));
}

TEST(DriftTest, AddNumberCountsTheCutsBelowForAnyNumberOfCuts) {
  // 1 to 30 cut points: short lists go through the padded vector compare, long ones through the
  // plain loop; both must put v in bin #{i < last : v > cut_i}, ties included.
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> small(-20, 20);
  for (size_t n_cuts = 1; n_cuts <= 30; ++n_cuts) {
    bundle::Baseline b;
    bundle::NumericProfile n;
    for (size_t i = 0; i < n_cuts; ++i) n.cut_points.push_back(small(rng) / 4.0);
    std::sort(n.cut_points.begin(), n.cut_points.end());
    n.bin_counts.assign(n_cuts, 1);
    n.count = static_cast<int64_t>(n_cuts);
    b.features.push_back({"x", n});
    DriftReference ref = MakeDriftReference(b);
    DriftCounts counts(ref);
    std::vector<int64_t> want(n_cuts + 1, 0);
    for (int k = 0; k < 500; ++k) {
      double v = small(rng) / 4.0 + (k % 3 == 0 ? 0.0 : 0.1);
      size_t bin = 0;
      for (size_t i = 0; i + 1 < n_cuts; ++i) bin += v > n.cut_points[i] ? 1 : 0;
      ++want[bin];
      counts.AddNumber(0, v);
    }
    counts.AddNumber(0, -INFINITY);
    ++want[n_cuts];
    EXPECT_EQ(std::vector<int64_t>(counts.counts(0), counts.counts(0) + n_cuts + 1), want)
        << n_cuts << " cuts";
  }
}

}  // namespace
}  // namespace ferry::monitor

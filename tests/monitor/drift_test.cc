#include "ferry/monitor/drift.h"

#include <gtest/gtest.h>

#include <cmath>

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

}  // namespace
}  // namespace ferry::monitor

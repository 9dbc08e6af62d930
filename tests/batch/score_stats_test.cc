#include "ferry/batch/score_stats.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ferry::batch {
namespace {

TEST(ScoreStatsTest, ExactForSmallInputs) {
  ScoreStats s;
  for (int i = 0; i <= 100; ++i) s.Add(static_cast<float>(i));
  s.Add(std::nanf(""));
  EXPECT_EQ(s.count(), 102);
  EXPECT_EQ(s.nan_count(), 1);
  EXPECT_DOUBLE_EQ(s.mean(), 50.0);
  EXPECT_DOUBLE_EQ(s.min(), 0.0);
  EXPECT_DOUBLE_EQ(s.max(), 100.0);
  EXPECT_DOUBLE_EQ(s.Quantile(0.5), 50.0);
  EXPECT_DOUBLE_EQ(s.Quantile(0.25), 25.0);
}

TEST(ScoreStatsTest, ApproximateQuantilesBeyondTheReservoir) {
  ScoreStats s;
  const int n = 200000;
  for (int i = 0; i < n; ++i) s.Add(static_cast<float>(i % 1000) / 1000.0f);
  EXPECT_EQ(s.count(), n);
  EXPECT_NEAR(s.Quantile(0.5), 0.5, 0.05);
  EXPECT_NEAR(s.Quantile(0.95), 0.95, 0.05);
}

TEST(ScoreStatsTest, RoundTripsThroughJson) {
  ScoreStats s;
  for (int i = 0; i < 5000; ++i) s.Add(static_cast<float>(i) * 0.37f);
  Result<ScoreStats> back = ScoreStats::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->ToJson(), s.ToJson());
  back->Add(1.0f);
  s.Add(1.0f);
  EXPECT_EQ(back->ToJson(), s.ToJson());  // the sampler continues identically
  EXPECT_FALSE(ScoreStats::FromJson("{}").ok());
}

}  // namespace
}  // namespace ferry::batch

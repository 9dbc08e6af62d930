#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/base/result.h"

namespace ferry::batch {

// The distribution of the scores of a job (the first output value of each row): exact count,
// mean, min and max; quantiles from a uniform reservoir sample of kReservoirSize scores (exact up
// to that many rows, approximate beyond: the rank error is about 1/sqrt(kReservoirSize)).
// Deterministic (fixed seed). Not thread-safe.
class ScoreStats {
 public:
  static constexpr size_t kReservoirSize = 4096;

  void Add(float score);
  // Summary of the rows added so far.
  int64_t count() const { return count_; }
  // Mean of the non-NaN scores.
  double mean() const { return finite_seen_ == 0 ? 0.0 : sum_ / static_cast<double>(finite_seen_); }
  double min() const { return min_; }
  double max() const { return max_; }
  // q in [0, 1]; NaN scores are counted but not in the quantiles. 0 when there is no score.
  double Quantile(double q) const;
  // Number of NaN scores.
  int64_t nan_count() const { return nan_count_; }

  // JSON object that FromJson reads back (for checkpoints).
  std::string ToJson() const;
  static Result<ScoreStats> FromJson(std::string_view json);

 private:
  uint64_t NextRandom();

  int64_t count_ = 0;
  int64_t nan_count_ = 0;
  int64_t finite_seen_ = 0;  // non-NaN scores offered to the reservoir
  double sum_ = 0;
  double min_ = 0;
  double max_ = 0;
  uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
  std::vector<float> reservoir_;
};

}  // namespace ferry::batch

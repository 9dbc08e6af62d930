#pragma once

// Continued evaluation: ground-truth labels joined with the predictions made
// for them, accumulated per model version and time window into accuracy,
// AUC, log loss (classification), RMSE and MAE (regression). The formulas
// follow scikit-learn (docs/monitoring.md, "Continued evaluation").

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/tensor/task.h"

namespace ferry::monitor {

// A label from its JSON text (e.g. the value of "label" in a feedback body):
//   binary:     0 or 1 (1.0 too), true/false, "0"/"1"           → 0 or 1
//   multiclass: an integral number in [0, num_classes)            → the index
//   regression: a finite number                                   → the value
// InvalidArgument with a message naming what was expected otherwise (also
// for multiclass when num_classes < 2).
Result<double> ParseLabel(Task task, std::string_view label_json, size_t num_classes = 0);

// log loss clips probabilities to [eps, 1 - eps] with eps = DBL_EPSILON, as
// sklearn.metrics.log_loss does for float64 with eps="auto".
inline constexpr double kLogLossEps = 2.220446049250313e-16;

// Default bound on the (score, label) pairs a window keeps for AUC.
inline constexpr size_t kDefaultMaxAucPairs = 200'000;

inline constexpr double kUndefinedMetric = std::numeric_limits<double>::quiet_NaN();

// One pair of a binary classifier's evaluation: P(class 1) and the label.
struct ScoredLabel {
  double score;
  bool positive;
};

// AUC of scored labels like sklearn.metrics.roc_auc_score: the probability
// that a random positive scores above a random negative, ties counting 1/2.
// NaN when positives or negatives are absent. Sorts `pairs` by score.
double AreaUnderRoc(std::vector<ScoredLabel>& pairs);

struct PerformanceMetrics {
  int64_t count = 0;      // joined (scores, label) pairs added
  int64_t unmatched = 0;  // feedback whose prediction was not found (CountUnmatched)
  // NaN when the task does not define the metric or count is 0.
  double accuracy =
      kUndefinedMetric;  // binary: P(1) > 0.5 predicts 1; multiclass: argmax (first on ties)
  double auc = kUndefinedMetric;       // binary only; also NaN when only one class is present
  double log_loss = kUndefinedMetric;  // classification
  double rmse = kUndefinedMetric;      // regression
  double mae = kUndefinedMetric;       // regression
  // AUC is computed over auc_pairs pairs; when auc_sampled, these are a
  // uniform random sample (reservoir) of the `count` pairs and AUC is an
  // estimate. The other metrics are always exact over all pairs.
  int64_t auc_pairs = 0;
  bool auc_sampled = false;
};

struct PerformanceOptions {
  size_t max_auc_pairs = kDefaultMaxAucPairs;  // ≥ 1
  uint64_t seed = 0x5eed;                      // of the reservoir sample
};

// The (scores, label) pairs of one model version and time window. Exact
// running sums for accuracy, log loss, RMSE and MAE (O(1) memory); binary
// classification also keeps up to max_auc_pairs (score, label) pairs for AUC
// (16 bytes each), a reservoir sample beyond that. Not thread-safe: guard it,
// or keep one per thread and Merge.
class PerformanceWindow {
 public:
  explicit PerformanceWindow(Task task, PerformanceOptions options = {});

  // Adds one joined pair. scores as in LoggedPrediction: binary {P(1)} with
  // P(1) in [0, 1]; multiclass one finite probability per class (at least 2;
  // the first Add fixes the class count); regression {value}, finite. label as
  // returned by ParseLabel for this task. InvalidArgument (and nothing added)
  // when the scores or the label do not fit the task.
  Status Add(std::span<const double> scores, double label);

  // Counts feedback that could not be joined with a prediction.
  void CountUnmatched(int64_t n = 1) { unmatched_ += n; }

  // Adds `other`'s pairs and counts. InvalidArgument (nothing changed) when
  // the tasks or the (known) class counts differ. When the AUC pairs of both
  // exceed max_auc_pairs, the result keeps a random sample drawn from each in
  // proportion to the pairs each stands for.
  Status Merge(const PerformanceWindow& other);

  // The metrics now. O(1), plus sorting the AUC pairs (O(n log n), n ≤
  // max_auc_pairs) for binary classification.
  PerformanceMetrics Compute() const;

  Task task() const { return task_; }
  size_t num_classes() const { return num_classes_; }  // multiclass; 0 until known
  int64_t count() const { return count_; }

 private:
  // Neumaier-compensated sum (exact enough over millions of terms).
  struct Sum {
    double sum = 0;
    double compensation = 0;
    void Add(double v);
    void Merge(const Sum& other);
    double value() const { return sum + compensation; }
  };
  void OfferPair(ScoredLabel p);
  uint64_t NextRandom();

  Task task_;
  PerformanceOptions options_;
  size_t num_classes_ = 0;
  int64_t count_ = 0;
  int64_t unmatched_ = 0;
  int64_t correct_ = 0;
  Sum log_loss_;
  Sum squared_error_;
  Sum absolute_error_;
  std::vector<ScoredLabel> pairs_;  // AUC sample (binary)
  int64_t pairs_seen_ = 0;          // pairs offered to the sample
  uint64_t rng_;
};

}  // namespace ferry::monitor

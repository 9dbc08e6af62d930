#pragma once

// Model quality metrics computed from labels and predictions, defined as
// scikit-learn 1.2 defines them (tests compare against sklearn.metrics).

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/tensor/task.h"

namespace ferry::train {

// Metric name -> value, sorted by name (so JSON written from it is stable).
// A value is NaN when the metric is not defined for the data (e.g. AUC of a
// set holding one class only); JSON shows it as null.
using MetricValues = std::map<std::string, double>;

// The metrics computed for a task, sorted by name:
//   binary classification:     accuracy, auc, f1, log_loss, precision, recall
//   multiclass classification: accuracy, log_loss, macro_f1
//   regression:                mae, r2, rmse
const std::vector<std::string_view>& MetricNames(Task task);

// False for the loss-like metrics (log_loss, rmse, mae), where lower is better.
bool HigherIsBetter(std::string_view metric);

// --- Single metrics. `labels` and `scores` have the same length (> 0). ---

// Area under the ROC curve of scores against 0/1 labels: the trapezoid over
// the distinct score thresholds (tied scores form one step), as
// sklearn.metrics.roc_auc_score. NaN when only one class is present.
double RocAuc(std::span<const double> labels, std::span<const double> scores);

// Mean negative log-likelihood of 0/1 labels under probabilities clipped to
// [eps, 1 - eps], eps = 2.220446049250313e-16 (sklearn.metrics.log_loss on
// float64 input).
double BinaryLogLoss(std::span<const double> labels, std::span<const double> probabilities);

// Counts for the positive class, a row being predicted positive when its
// probability is >= threshold.
struct Confusion {
  int64_t tp = 0, fp = 0, tn = 0, fn = 0;
  double accuracy() const;
  double precision() const;  // 0 when nothing is predicted positive (sklearn's zero_division)
  double recall() const;     // 0 when there is no positive label
  double f1() const;         // 0 when precision + recall is 0
};
Confusion BinaryConfusion(std::span<const double> labels, std::span<const double> probabilities,
                          double threshold);

// Multiclass: `probabilities` is row-major [rows, num_classes]; labels are
// class indexes. Each row is clipped to [eps, 1 - eps] and renormalised
// before the log (as sklearn does).
double MulticlassLogLoss(std::span<const double> labels, std::span<const double> probabilities,
                         int64_t num_classes);
// The arg-max class of each row (the first one on ties, as numpy.argmax).
std::vector<int64_t> ArgMaxClasses(std::span<const double> probabilities, int64_t num_classes);
// Unweighted mean of the per-class F1 over the classes present in the labels
// or the predictions (sklearn f1_score(average="macro")).
double MacroF1(std::span<const double> labels, std::span<const int64_t> predicted,
               int64_t num_classes);

double Rmse(std::span<const double> labels, std::span<const double> predictions);
double Mae(std::span<const double> labels, std::span<const double> predictions);
// 1 - SS_res / SS_tot; when the labels are constant: 1 for a perfect fit,
// else 0 (sklearn's force_finite).
double R2(std::span<const double> labels, std::span<const double> predictions);

// --- All metrics of a task. ---

struct MetricInput {
  Task task = Task::kRegression;
  int64_t num_classes = 0;     // multiclass only
  std::vector<double> labels;  // one per row
  std::vector<double> scores;  // binary: P(class 1) per row; multiclass: [rows, num_classes];
                               // regression: the prediction per row
  double threshold = 0.5;      // binary: the positive-class cut for accuracy/f1/precision/recall
};

// Computes MetricNames(input.task). InvalidArgument when there are no rows,
// the sizes disagree, a binary label is not 0/1, or a multiclass label is not
// an integer in [0, num_classes).
Result<MetricValues> ComputeMetrics(const MetricInput& input);

// {"accuracy":0.9,"auc":…} with keys in name order; NaN as null.
std::string MetricsToJson(const MetricValues& values);

}  // namespace ferry::train

#include "ferry/train/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "ferry/base/json_writer.h"

namespace ferry::train {

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Clip(double p) { return std::min(std::max(p, kEps), 1.0 - kEps); }

std::string FormatNumber(double v) {
  std::string s;
  JsonWriter(&s).Double(v);
  return s;
}

}  // namespace

const std::vector<std::string_view>& MetricNames(Task task) {
  static const std::vector<std::string_view> kBinary = {"accuracy", "auc",       "f1",
                                                        "log_loss", "precision", "recall"};
  static const std::vector<std::string_view> kMulticlass = {"accuracy", "log_loss", "macro_f1"};
  static const std::vector<std::string_view> kRegression = {"mae", "r2", "rmse"};
  switch (task) {
    case Task::kBinaryClassification:
      return kBinary;
    case Task::kMulticlassClassification:
      return kMulticlass;
    case Task::kRegression:
      break;
  }
  return kRegression;
}

bool HigherIsBetter(std::string_view metric) {
  return !(metric == "log_loss" || metric == "rmse" || metric == "mae");
}

double RocAuc(std::span<const double> labels, std::span<const double> scores) {
  const size_t n = labels.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  // Descending score; ties are grouped below, so their internal order does not matter.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  double positives = 0;
  for (double y : labels) positives += y == 1.0 ? 1 : 0;
  const double negatives = static_cast<double>(n) - positives;
  if (positives == 0 || negatives == 0) return kNaN;
  // Walk the distinct thresholds; each step adds a trapezoid in (fpr, tpr).
  double tp = 0, fp = 0, prev_tp = 0, prev_fp = 0, area = 0;
  for (size_t i = 0; i < n;) {
    const double s = scores[order[i]];
    while (i < n && scores[order[i]] == s) {
      if (labels[order[i]] == 1.0) {
        ++tp;
      } else {
        ++fp;
      }
      ++i;
    }
    area += (fp - prev_fp) * (tp + prev_tp) / 2.0;
    prev_tp = tp;
    prev_fp = fp;
  }
  return area / (positives * negatives);
}

double BinaryLogLoss(std::span<const double> labels, std::span<const double> probabilities) {
  double sum = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double p = Clip(probabilities[i]);
    sum -= labels[i] == 1.0 ? std::log(p) : std::log(1.0 - p);
  }
  return sum / static_cast<double>(labels.size());
}

double Confusion::accuracy() const {
  const int64_t n = tp + fp + tn + fn;
  return n == 0 ? kNaN : static_cast<double>(tp + tn) / static_cast<double>(n);
}

double Confusion::precision() const {
  return tp + fp == 0 ? 0.0 : static_cast<double>(tp) / static_cast<double>(tp + fp);
}

double Confusion::recall() const {
  return tp + fn == 0 ? 0.0 : static_cast<double>(tp) / static_cast<double>(tp + fn);
}

double Confusion::f1() const {
  // 2tp / (2tp + fp + fn) equals 2PR/(P+R) and is what sklearn computes.
  const int64_t d = 2 * tp + fp + fn;
  return d == 0 || tp == 0 ? 0.0 : 2.0 * static_cast<double>(tp) / static_cast<double>(d);
}

Confusion BinaryConfusion(std::span<const double> labels, std::span<const double> probabilities,
                          double threshold) {
  Confusion c;
  for (size_t i = 0; i < labels.size(); ++i) {
    const bool predicted = probabilities[i] >= threshold;
    const bool actual = labels[i] == 1.0;
    if (predicted && actual) ++c.tp;
    if (predicted && !actual) ++c.fp;
    if (!predicted && !actual) ++c.tn;
    if (!predicted && actual) ++c.fn;
  }
  return c;
}

double MulticlassLogLoss(std::span<const double> labels, std::span<const double> probabilities,
                         int64_t num_classes) {
  const size_t k = static_cast<size_t>(num_classes);
  double sum = 0;
  for (size_t r = 0; r < labels.size(); ++r) {
    double total = 0;
    for (size_t c = 0; c < k; ++c) total += Clip(probabilities[r * k + c]);
    const size_t y = static_cast<size_t>(labels[r]);
    sum -= std::log(Clip(probabilities[r * k + y]) / total);
  }
  return sum / static_cast<double>(labels.size());
}

std::vector<int64_t> ArgMaxClasses(std::span<const double> probabilities, int64_t num_classes) {
  const size_t k = static_cast<size_t>(num_classes);
  std::vector<int64_t> out(k == 0 ? 0 : probabilities.size() / k);
  for (size_t r = 0; r < out.size(); ++r) {
    size_t best = 0;
    for (size_t c = 1; c < k; ++c) {
      if (probabilities[r * k + c] > probabilities[r * k + best]) best = c;
    }
    out[r] = static_cast<int64_t>(best);
  }
  return out;
}

double MacroF1(std::span<const double> labels, std::span<const int64_t> predicted,
               int64_t num_classes) {
  const size_t k = static_cast<size_t>(num_classes);
  std::vector<int64_t> tp(k), fp(k), fn(k);
  std::vector<bool> present(k);
  for (size_t i = 0; i < labels.size(); ++i) {
    const size_t y = static_cast<size_t>(labels[i]);
    const size_t p = static_cast<size_t>(predicted[i]);
    present[y] = present[p] = true;
    if (y == p) {
      ++tp[y];
    } else {
      ++fp[p];
      ++fn[y];
    }
  }
  double sum = 0;
  int64_t classes = 0;
  for (size_t c = 0; c < k; ++c) {
    if (!present[c]) continue;
    ++classes;
    const int64_t d = 2 * tp[c] + fp[c] + fn[c];
    sum += d == 0 ? 0.0 : 2.0 * static_cast<double>(tp[c]) / static_cast<double>(d);
  }
  return classes == 0 ? kNaN : sum / static_cast<double>(classes);
}

double Rmse(std::span<const double> labels, std::span<const double> predictions) {
  double sum = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double d = labels[i] - predictions[i];
    sum += d * d;
  }
  return std::sqrt(sum / static_cast<double>(labels.size()));
}

double Mae(std::span<const double> labels, std::span<const double> predictions) {
  double sum = 0;
  for (size_t i = 0; i < labels.size(); ++i) sum += std::fabs(labels[i] - predictions[i]);
  return sum / static_cast<double>(labels.size());
}

double R2(std::span<const double> labels, std::span<const double> predictions) {
  double mean = 0;
  for (double y : labels) mean += y;
  mean /= static_cast<double>(labels.size());
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    ss_res += (labels[i] - predictions[i]) * (labels[i] - predictions[i]);
    ss_tot += (labels[i] - mean) * (labels[i] - mean);
  }
  if (ss_tot == 0) return ss_res == 0 ? 1.0 : 0.0;
  return 1.0 - ss_res / ss_tot;
}

Result<MetricValues> ComputeMetrics(const MetricInput& in) {
  const size_t rows = in.labels.size();
  if (rows == 0) return InvalidArgument("no rows to compute metrics on");
  const size_t per_row =
      in.task == Task::kMulticlassClassification ? static_cast<size_t>(in.num_classes) : 1;
  if (in.task == Task::kMulticlassClassification && in.num_classes < 2) {
    return InvalidArgument("multiclass metrics need at least 2 classes, got " +
                           std::to_string(in.num_classes));
  }
  if (in.scores.size() != rows * per_row) {
    return InvalidArgument(std::to_string(in.scores.size()) + " scores for " +
                           std::to_string(rows) + " labels" +
                           (per_row > 1 ? " of " + std::to_string(per_row) + " classes" : ""));
  }
  for (size_t i = 0; i < rows; ++i) {
    const double y = in.labels[i];
    if (std::isnan(y))
      return InvalidArgument("row " + std::to_string(i + 1) + ": label is missing");
    if (in.task == Task::kBinaryClassification && y != 0.0 && y != 1.0) {
      return InvalidArgument("row " + std::to_string(i + 1) +
                             ": binary label must be 0 or 1, got " + FormatNumber(y));
    }
    if (in.task == Task::kMulticlassClassification &&
        (y < 0 || y >= static_cast<double>(in.num_classes) || y != std::floor(y))) {
      return InvalidArgument("row " + std::to_string(i + 1) +
                             ": class label must be an integer in [0, " +
                             std::to_string(in.num_classes) + "), got " + FormatNumber(y));
    }
  }
  MetricValues v;
  switch (in.task) {
    case Task::kBinaryClassification: {
      const Confusion c = BinaryConfusion(in.labels, in.scores, in.threshold);
      v["accuracy"] = c.accuracy();
      v["auc"] = RocAuc(in.labels, in.scores);
      v["f1"] = c.f1();
      v["log_loss"] = BinaryLogLoss(in.labels, in.scores);
      v["precision"] = c.precision();
      v["recall"] = c.recall();
      break;
    }
    case Task::kMulticlassClassification: {
      const std::vector<int64_t> predicted = ArgMaxClasses(in.scores, in.num_classes);
      int64_t right = 0;
      for (size_t i = 0; i < rows; ++i) right += predicted[i] == static_cast<int64_t>(in.labels[i]);
      v["accuracy"] = static_cast<double>(right) / static_cast<double>(rows);
      v["log_loss"] = MulticlassLogLoss(in.labels, in.scores, in.num_classes);
      v["macro_f1"] = MacroF1(in.labels, predicted, in.num_classes);
      break;
    }
    case Task::kRegression:
      v["mae"] = Mae(in.labels, in.scores);
      v["r2"] = R2(in.labels, in.scores);
      v["rmse"] = Rmse(in.labels, in.scores);
      break;
  }
  return v;
}

std::string MetricsToJson(const MetricValues& values) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  for (const auto& [name, value] : values) w.Key(name).Double(value);
  w.EndObject();
  return out;
}

}  // namespace ferry::train

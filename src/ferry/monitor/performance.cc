#include "ferry/monitor/performance.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace ferry::monitor {
namespace {

// The label's text for error messages, shortened.
std::string Shown(std::string_view text) {
  constexpr size_t kMax = 40;
  if (text.size() <= kMax) return std::string(text);
  return std::string(text.substr(0, kMax)) + "...";
}

// Shortest text that reads back as `v` ("1.5", "nan").
std::string Num(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Keeps `k` elements of `v` chosen uniformly at random (partial Fisher-Yates).
void KeepRandom(std::vector<ScoredLabel>& v, size_t k, uint64_t& rng) {
  if (k >= v.size()) return;
  for (size_t i = 0; i < k; ++i) {
    size_t j = i + static_cast<size_t>(SplitMix64(rng) % (v.size() - i));
    std::swap(v[i], v[j]);
  }
  v.resize(k);
}

}  // namespace

Result<double> ParseLabel(Task task, std::string_view label_json, size_t num_classes) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  const std::string shown = Shown(label_json);
  if (parser.parse(simdjson::padded_string(label_json)).get(e) != simdjson::SUCCESS) {
    return InvalidArgument("label is not a JSON value: " + shown);
  }
  double v = 0;
  const bool is_number = e.get_double().get(v) == simdjson::SUCCESS;
  switch (task) {
    case Task::kBinaryClassification: {
      bool b = false;
      std::string_view s;
      if (e.get_bool().get(b) == simdjson::SUCCESS) return b ? 1.0 : 0.0;
      if (is_number && (v == 0 || v == 1)) return v == 1 ? 1.0 : 0.0;
      if (e.get_string().get(s) == simdjson::SUCCESS && (s == "0" || s == "1")) {
        return s == "1" ? 1.0 : 0.0;
      }
      return InvalidArgument("binary label must be 0, 1, true, false, \"0\" or \"1\", got " +
                             shown);
    }
    case Task::kMulticlassClassification: {
      if (num_classes < 2) {
        return InvalidArgument("multiclass label needs the class count (at least 2), got " +
                               std::to_string(num_classes));
      }
      if (is_number && std::isfinite(v) && v == std::floor(v) && v >= 0 &&
          v < static_cast<double>(num_classes)) {
        return v == 0 ? 0.0 : v;  // no -0
      }
      return InvalidArgument("multiclass label must be an integer class index in [0, " +
                             std::to_string(num_classes) + "), got " + shown);
    }
    case Task::kRegression:
      if (is_number && std::isfinite(v)) return v;
      return InvalidArgument("regression label must be a finite number, got " + shown);
  }
  return InvalidArgument("unknown task");
}

double AreaUnderRoc(std::vector<ScoredLabel>& pairs) {
  std::sort(pairs.begin(), pairs.end(),
            [](const ScoredLabel& a, const ScoredLabel& b) { return a.score < b.score; });
  // Twice the Mann-Whitney U of the positives: for each tie group, each
  // positive beats the negatives below it (2 each) and ties those in the
  // group (1 each). Integers, so exact.
  uint64_t twice_u = 0;
  uint64_t negatives_below = 0;
  uint64_t positives = 0;
  for (size_t i = 0; i < pairs.size();) {
    size_t j = i;
    uint64_t pos = 0;
    uint64_t neg = 0;
    for (; j < pairs.size() && pairs[j].score == pairs[i].score; ++j) {
      (pairs[j].positive ? pos : neg) += 1;
    }
    twice_u += 2 * pos * negatives_below + pos * neg;
    negatives_below += neg;
    positives += pos;
    i = j;
  }
  const uint64_t negatives = negatives_below;
  if (positives == 0 || negatives == 0) return kUndefinedMetric;
  return static_cast<double>(twice_u) /
         (2.0 * static_cast<double>(positives) * static_cast<double>(negatives));
}

void PerformanceWindow::Sum::Add(double v) {
  double t = sum + v;
  if (std::fabs(sum) >= std::fabs(v)) {
    compensation += (sum - t) + v;
  } else {
    compensation += (v - t) + sum;
  }
  sum = t;
}

void PerformanceWindow::Sum::Merge(const Sum& other) {
  Add(other.sum);
  Add(other.compensation);
}

PerformanceWindow::PerformanceWindow(Task task, PerformanceOptions options)
    : task_(task), options_(options), rng_(options.seed) {
  if (options_.max_auc_pairs == 0) options_.max_auc_pairs = 1;
}

uint64_t PerformanceWindow::NextRandom() { return SplitMix64(rng_); }

void PerformanceWindow::OfferPair(ScoredLabel p) {
  ++pairs_seen_;
  if (pairs_.size() < options_.max_auc_pairs) {
    pairs_.push_back(p);
    return;
  }
  // Reservoir sampling (Algorithm R): the new pair replaces a random one with
  // probability max / seen.
  uint64_t j = NextRandom() % static_cast<uint64_t>(pairs_seen_);
  if (j < pairs_.size()) pairs_[j] = p;
}

Status PerformanceWindow::Add(std::span<const double> scores, double label) {
  switch (task_) {
    case Task::kBinaryClassification: {
      if (scores.size() != 1) {
        return InvalidArgument("binary classification expects 1 score (P(class 1)), got " +
                               std::to_string(scores.size()));
      }
      const double p = scores[0];
      if (!(p >= 0 && p <= 1)) {
        return InvalidArgument("probability must be in [0, 1], got " + Num(p));
      }
      if (label != 0 && label != 1) {
        return InvalidArgument("binary label must be 0 or 1, got " + Num(label));
      }
      const bool positive = label == 1;
      if ((p > 0.5) == positive) ++correct_;
      // As sklearn: clip, then the row (1 - q, q) renormalized.
      const double q1 = std::clamp(p, kLogLossEps, 1 - kLogLossEps);
      const double q0 = 1 - q1;
      log_loss_.Add(-std::log((positive ? q1 : q0) / (q0 + q1)));
      OfferPair({p, positive});
      break;
    }
    case Task::kMulticlassClassification: {
      const size_t k = num_classes_ != 0 ? num_classes_ : scores.size();
      if (scores.size() < 2 || scores.size() != k) {
        return InvalidArgument("multiclass classification expects " +
                               (num_classes_ != 0 ? std::to_string(k) : std::string("at least 2")) +
                               " probabilities, got " + std::to_string(scores.size()));
      }
      for (double p : scores) {
        if (!(p >= 0 && p <= 1)) {
          return InvalidArgument("probability must be in [0, 1], got " + Num(p));
        }
      }
      if (!(label >= 0 && label < static_cast<double>(k) && label == std::floor(label))) {
        return InvalidArgument("multiclass label must be an integer class index in [0, " +
                               std::to_string(k) + "), got " + Num(label));
      }
      num_classes_ = k;
      const size_t y = static_cast<size_t>(label);
      const size_t argmax = static_cast<size_t>(
          std::distance(scores.begin(), std::max_element(scores.begin(), scores.end())));
      if (argmax == y) ++correct_;
      double total = 0;
      for (double p : scores) total += std::clamp(p, kLogLossEps, 1 - kLogLossEps);
      log_loss_.Add(-std::log(std::clamp(scores[y], kLogLossEps, 1 - kLogLossEps) / total));
      break;
    }
    case Task::kRegression: {
      if (scores.size() != 1) {
        return InvalidArgument("regression expects 1 prediction, got " +
                               std::to_string(scores.size()));
      }
      if (!std::isfinite(scores[0])) return InvalidArgument("prediction is not a finite number");
      if (!std::isfinite(label)) return InvalidArgument("regression label must be a finite number");
      const double e = scores[0] - label;
      squared_error_.Add(e * e);
      absolute_error_.Add(std::fabs(e));
      break;
    }
  }
  ++count_;
  return Status::Ok();
}

Status PerformanceWindow::Merge(const PerformanceWindow& other) {
  if (&other == this) {
    PerformanceWindow copy = other;
    return Merge(copy);
  }
  if (other.task_ != task_) {
    return InvalidArgument(std::string("cannot merge windows of different tasks: ") +
                           std::string(TaskName(task_)) + " and " +
                           std::string(TaskName(other.task_)));
  }
  if (num_classes_ != 0 && other.num_classes_ != 0 && num_classes_ != other.num_classes_) {
    return InvalidArgument("cannot merge windows of " + std::to_string(num_classes_) + " and " +
                           std::to_string(other.num_classes_) + " classes");
  }
  if (num_classes_ == 0) num_classes_ = other.num_classes_;
  count_ += other.count_;
  unmatched_ += other.unmatched_;
  correct_ += other.correct_;
  log_loss_.Merge(other.log_loss_);
  squared_error_.Merge(other.squared_error_);
  absolute_error_.Merge(other.absolute_error_);
  if (other.pairs_seen_ == 0) return Status::Ok();
  // Keep `target` pairs, from each side in proportion to the pairs it stands for.
  const size_t size_a = pairs_.size();
  const size_t size_b = other.pairs_.size();
  const size_t target = std::min(options_.max_auc_pairs, size_a + size_b);
  const double total_seen = static_cast<double>(pairs_seen_ + other.pairs_seen_);
  const double share_a =
      static_cast<double>(target) * static_cast<double>(pairs_seen_) / total_seen;
  const size_t low = target > size_b ? target - size_b : 0;
  const size_t take_a = std::clamp(static_cast<size_t>(std::llround(share_a)), low, size_a);
  const size_t take_b = target - take_a;
  KeepRandom(pairs_, take_a, rng_);
  if (take_b == size_b) {
    pairs_.insert(pairs_.end(), other.pairs_.begin(), other.pairs_.end());
  } else {
    std::vector<ScoredLabel> theirs = other.pairs_;
    KeepRandom(theirs, take_b, rng_);
    pairs_.insert(pairs_.end(), theirs.begin(), theirs.end());
  }
  pairs_seen_ += other.pairs_seen_;
  return Status::Ok();
}

PerformanceMetrics PerformanceWindow::Compute() const {
  PerformanceMetrics m;
  m.count = count_;
  m.unmatched = unmatched_;
  if (count_ == 0) return m;
  const double n = static_cast<double>(count_);
  switch (task_) {
    case Task::kBinaryClassification: {
      std::vector<ScoredLabel> pairs = pairs_;
      m.auc = AreaUnderRoc(pairs);
      m.auc_pairs = static_cast<int64_t>(pairs_.size());
      m.auc_sampled = pairs_seen_ > static_cast<int64_t>(pairs_.size());
      [[fallthrough]];
    }
    case Task::kMulticlassClassification:
      m.accuracy = static_cast<double>(correct_) / n;
      m.log_loss = log_loss_.value() / n;
      break;
    case Task::kRegression:
      m.rmse = std::sqrt(squared_error_.value() / n);
      m.mae = absolute_error_.value() / n;
      break;
  }
  return m;
}

}  // namespace ferry::monitor

#include "ferry/monitor/metrics_registry.h"

#include <algorithm>
#include <cmath>

#include "ferry/monitor/metrics_text.h"

namespace ferry::monitor {

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      buckets_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  // First bound >= value ("le" is inclusive); NaN lands in +Inf.
  size_t i = static_cast<size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  if (std::isnan(value)) i = upper_bounds_.size();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> out(upper_bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

std::vector<double> LatencySecondsBuckets() {
  // 25 µs, 50 µs, 100 µs, 250 µs, 500 µs, 1 ms, ... 10 s (1-2.5-5 steps).
  std::vector<double> out;
  for (double decade = 1e-5; decade < 10.0; decade *= 10) {
    for (double step : {1.0, 2.5, 5.0}) {
      double v = decade * step;
      if (v >= 2e-5) out.push_back(v);
    }
  }
  out.push_back(10.0);
  return out;
}

template <typename M>
M& Family<M>::WithLabels(const std::vector<std::string>& label_values) {
  std::vector<std::string> key = label_values;
  key.resize(label_names_.size());
  MutexLock lock(mu_);
  auto it = children_.find(key);
  if (it != children_.end()) return *it->second;
  std::unique_ptr<M> child;
  if constexpr (std::is_same_v<M, Histogram>) {
    child = std::make_unique<Histogram>(buckets_);
  } else {
    child = std::make_unique<M>();
  }
  M& ref = *child;
  children_.emplace(std::move(key), std::move(child));
  return ref;
}

template <typename M>
void Family<M>::Render(MetricType type, std::string* out) const {
  internal::AppendHelpAndType(name_, help_, type, out);
  MutexLock lock(mu_);
  for (const auto& [values, child] : children_) {
    if constexpr (std::is_same_v<M, Histogram>) {
      internal::AppendHistogram(name_, label_names_, values, *child, out);
    } else if constexpr (std::is_same_v<M, Counter>) {
      internal::AppendSample(name_, label_names_, values, {}, static_cast<double>(child->Value()),
                             out);
    } else {
      internal::AppendSample(name_, label_names_, values, {}, child->Value(), out);
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

MetricsRegistry::Entry& MetricsRegistry::FindOrAdd(std::string_view name, MetricType type,
                                                   std::string_view help,
                                                   std::vector<std::string> label_names,
                                                   std::vector<double> buckets) {
  bool valid = internal::IsValidMetricName(name);
  for (const std::string& label : label_names) {
    valid = valid && internal::IsValidLabelName(label) &&
            !(type == MetricType::kHistogram && label == "le");
  }
  if (type == MetricType::kHistogram) {
    for (size_t i = 0; i < buckets.size(); ++i) {
      valid = valid && std::isfinite(buckets[i]) && (i == 0 || buckets[i] > buckets[i - 1]);
    }
  }
  auto it = families_.find(name);
  if (valid && it != families_.end() && it->second.type == type) return it->second;

  Entry entry{type, nullptr, nullptr, nullptr};
  std::string n(name), h(help);
  switch (type) {
    case MetricType::kCounter:
      entry.counter.reset(new CounterFamily(n, h, std::move(label_names), {}));
      break;
    case MetricType::kGauge:
      entry.gauge.reset(new GaugeFamily(n, h, std::move(label_names), {}));
      break;
    case MetricType::kHistogram:
      entry.histogram.reset(new HistogramFamily(n, h, std::move(label_names), std::move(buckets)));
      break;
  }
  if (!valid || it != families_.end()) {
    conflict_ = true;
    detached_.push_back(std::move(entry));
    return detached_.back();
  }
  return families_.emplace(std::string(name), std::move(entry)).first->second;
}

CounterFamily& MetricsRegistry::AddCounter(std::string_view name, std::string_view help,
                                           std::vector<std::string> label_names) {
  MutexLock lock(mu_);
  return *FindOrAdd(name, MetricType::kCounter, help, std::move(label_names), {}).counter;
}

GaugeFamily& MetricsRegistry::AddGauge(std::string_view name, std::string_view help,
                                       std::vector<std::string> label_names) {
  MutexLock lock(mu_);
  return *FindOrAdd(name, MetricType::kGauge, help, std::move(label_names), {}).gauge;
}

HistogramFamily& MetricsRegistry::AddHistogram(std::string_view name, std::string_view help,
                                               std::vector<std::string> label_names,
                                               std::vector<double> upper_bounds) {
  MutexLock lock(mu_);
  return *FindOrAdd(name, MetricType::kHistogram, help, std::move(label_names),
                    std::move(upper_bounds))
              .histogram;
}

std::string MetricsRegistry::RenderText() const {
  std::string out;
  MutexLock lock(mu_);
  for (const auto& [name, entry] : families_) {
    switch (entry.type) {
      case MetricType::kCounter:
        entry.counter->Render(entry.type, &out);
        break;
      case MetricType::kGauge:
        entry.gauge->Render(entry.type, &out);
        break;
      case MetricType::kHistogram:
        entry.histogram->Render(entry.type, &out);
        break;
    }
  }
  return out;
}

bool MetricsRegistry::HasConflict() const {
  MutexLock lock(mu_);
  return conflict_;
}

}  // namespace ferry::monitor

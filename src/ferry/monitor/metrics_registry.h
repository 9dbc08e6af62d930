#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/thread_annotations.h"

// A small Prometheus metrics registry: counters, gauges and histograms, each
// in a family of label sets, rendered in the Prometheus text exposition format
// (version 0.0.4), which `promtool check metrics` accepts.
//
// Thread-safety: everything here is thread-safe. Updating a metric (Add, Set,
// Observe) is lock-free (relaxed atomics). Looking up a label set
// (Family::WithLabels) takes the family's mutex: do it once and keep the
// reference; it stays valid for the registry's lifetime.
namespace ferry::monitor {

// Monotonic count. The family's name should end in "_total".
class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down (queue depth, in-flight requests).
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  void Increment() { Add(1.0); }
  void Decrement() { Add(-1.0); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Counts observations into buckets with inclusive upper bounds ("le").
// Rendered as cumulative _bucket{le=...} series, +Inf, _sum and _count, so
// quantiles (p99) can be read with histogram_quantile().
class Histogram {
 public:
  // `upper_bounds` strictly increasing, finite; +Inf is implicit.
  explicit Histogram(std::vector<double> upper_bounds);

  void Observe(double value);

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Non-cumulative count per bucket; the last entry is the +Inf bucket.
  std::vector<uint64_t> BucketCounts() const;
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // upper_bounds_.size() + 1
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Bucket helpers. Exponential: start, start*factor, ... (count bounds).
std::vector<double> ExponentialBuckets(double start, double factor, int count);
// Latency buckets in seconds, 25 µs .. ~10 s: fine enough for µs-scale p99.
std::vector<double> LatencySecondsBuckets();

enum class MetricType { kCounter, kGauge, kHistogram };

// One metric name with a fixed list of label names; one child per distinct
// list of label values.
template <typename M>
class Family {
 public:
  // Returns the child for `label_values` (one per label name, in order),
  // creating it on first use. The reference is valid for the registry's
  // lifetime. A wrong number of values is a programming error: it is
  // padded/truncated to the label count (never crashes).
  M& WithLabels(const std::vector<std::string>& label_values) EXCLUDES(mu_);

  const std::string& name() const { return name_; }

 private:
  friend class MetricsRegistry;
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> buckets)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        buckets_(std::move(buckets)) {}

  void Render(MetricType type, std::string* out) const EXCLUDES(mu_);

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> buckets_;  // histograms only
  mutable Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_ GUARDED_BY(mu_);
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// Owns metric families and renders them. Registering a name again returns
// the existing family when the type matches (the first registration's help,
// labels and buckets win). A type mismatch or an invalid name/label is a
// programming error: the call returns a detached family that is never
// rendered, and HasConflict() becomes true.
class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
  // [a-zA-Z_][a-zA-Z0-9_]* (not "le" for histograms). Returned references
  // live as long as the registry.
  CounterFamily& AddCounter(std::string_view name, std::string_view help,
                            std::vector<std::string> label_names = {}) EXCLUDES(mu_);
  GaugeFamily& AddGauge(std::string_view name, std::string_view help,
                        std::vector<std::string> label_names = {}) EXCLUDES(mu_);
  HistogramFamily& AddHistogram(std::string_view name, std::string_view help,
                                std::vector<std::string> label_names,
                                std::vector<double> upper_bounds) EXCLUDES(mu_);

  // The Prometheus text format (Content-Type:
  // "text/plain; version=0.0.4; charset=utf-8"), families in name order,
  // children in label order. A family with no children renders HELP/TYPE only.
  std::string RenderText() const EXCLUDES(mu_);

  // True when a registration conflicted or was invalid (see above).
  bool HasConflict() const EXCLUDES(mu_);

 private:
  struct Entry {
    MetricType type;
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<GaugeFamily> gauge;
    std::unique_ptr<HistogramFamily> histogram;
  };
  Entry& FindOrAdd(std::string_view name, MetricType type, std::string_view help,
                   std::vector<std::string> label_names, std::vector<double> buckets) REQUIRES(mu_);

  mutable Mutex mu_;
  std::map<std::string, Entry, std::less<>> families_ GUARDED_BY(mu_);
  std::vector<Entry> detached_ GUARDED_BY(mu_);  // conflicting registrations
  bool conflict_ GUARDED_BY(mu_) = false;
};

// The Content-Type of RenderText()'s output.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace ferry::monitor

#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "ferry/monitor/metrics_registry.h"
#include "ferry/serving/inference_service.h"

namespace ferry::serving {

// Triton-shaped statistics of one model version; survives reloads of the
// version (a hot swap keeps counting). Thread-safe (relaxed atomics).
class VersionStats {
 public:
  void RecordSuccess(uint64_t total_ns, uint64_t queue_ns, uint64_t compute_ns);
  void RecordFailure(uint64_t total_ns);
  void RecordBatch(uint64_t rows);
  InferStats Snapshot() const;

 private:
  std::atomic<uint64_t> success_count_{0}, success_ns_{0};
  std::atomic<uint64_t> fail_count_{0}, fail_ns_{0};
  std::atomic<uint64_t> queue_count_{0}, queue_ns_{0};
  std::atomic<uint64_t> compute_count_{0}, compute_ns_{0};
  std::atomic<uint64_t> execution_count_{0}, inference_count_{0};
  std::atomic<int64_t> last_inference_ms_{0};
};

// The core's Prometheus families, registered once per server. Names:
//   ferry_queue_duration_seconds, ferry_compute_duration_seconds (histograms),
//   ferry_batch_size (histogram of rows per executed batch),
//   ferry_queue_depth, ferry_inflight_requests (gauges),
//   ferry_requests_shed_total, ferry_requests_timed_out_total,
//   ferry_requests_cancelled_total (counters), ferry_model_version_ready
//   (gauge, 1 when READY) — each labelled {model, version}.
struct CoreMetrics {
  explicit CoreMetrics(monitor::MetricsRegistry& registry);

  monitor::HistogramFamily& queue_seconds;
  monitor::HistogramFamily& compute_seconds;
  monitor::HistogramFamily& batch_size;
  monitor::GaugeFamily& queue_depth;
  monitor::GaugeFamily& inflight;
  monitor::CounterFamily& shed;
  monitor::CounterFamily& timed_out;
  monitor::CounterFamily& cancelled;
  monitor::GaugeFamily& ready;
};

// One (model, version)'s children of CoreMetrics. Pointers into the
// registry (valid for its lifetime); cheap to copy.
struct VersionMetrics {
  monitor::Histogram* queue_seconds = nullptr;
  monitor::Histogram* compute_seconds = nullptr;
  monitor::Histogram* batch_size = nullptr;
  monitor::Gauge* queue_depth = nullptr;
  monitor::Gauge* inflight = nullptr;
  monitor::Counter* shed = nullptr;
  monitor::Counter* timed_out = nullptr;
  monitor::Counter* cancelled = nullptr;
  monitor::Gauge* ready = nullptr;

  static VersionMetrics For(CoreMetrics& core, const std::string& model, int64_t version);
};

}  // namespace ferry::serving

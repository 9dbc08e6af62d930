#include "ferry/serving/version_stats.h"

#include <chrono>

namespace ferry::serving {
namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
}

void VersionStats::RecordSuccess(uint64_t total_ns, uint64_t queue_ns, uint64_t compute_ns) {
  success_count_.fetch_add(1, kRelaxed);
  success_ns_.fetch_add(total_ns, kRelaxed);
  queue_count_.fetch_add(1, kRelaxed);
  queue_ns_.fetch_add(queue_ns, kRelaxed);
  compute_count_.fetch_add(1, kRelaxed);
  compute_ns_.fetch_add(compute_ns, kRelaxed);
}

void VersionStats::RecordFailure(uint64_t total_ns) {
  fail_count_.fetch_add(1, kRelaxed);
  fail_ns_.fetch_add(total_ns, kRelaxed);
}

void VersionStats::RecordBatch(uint64_t rows) {
  execution_count_.fetch_add(1, kRelaxed);
  inference_count_.fetch_add(rows, kRelaxed);
  last_inference_ms_.store(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count(),
                           kRelaxed);
}

InferStats VersionStats::Snapshot() const {
  InferStats s;
  s.success_count = success_count_.load(kRelaxed);
  s.success_ns = success_ns_.load(kRelaxed);
  s.fail_count = fail_count_.load(kRelaxed);
  s.fail_ns = fail_ns_.load(kRelaxed);
  s.queue_count = queue_count_.load(kRelaxed);
  s.queue_ns = queue_ns_.load(kRelaxed);
  s.compute_count = compute_count_.load(kRelaxed);
  s.compute_ns = compute_ns_.load(kRelaxed);
  s.execution_count = execution_count_.load(kRelaxed);
  s.inference_count = inference_count_.load(kRelaxed);
  s.last_inference_ms = last_inference_ms_.load(kRelaxed);
  return s;
}

CoreMetrics::CoreMetrics(monitor::MetricsRegistry& r)
    : queue_seconds(r.AddHistogram("ferry_queue_duration_seconds",
                                   "Time requests waited in the model queue before execution.",
                                   {"model", "version"}, monitor::LatencySecondsBuckets())),
      compute_seconds(r.AddHistogram("ferry_compute_duration_seconds",
                                     "Time of one backend call (a whole batch).",
                                     {"model", "version"}, monitor::LatencySecondsBuckets())),
      batch_size(r.AddHistogram("ferry_batch_size", "Rows per executed batch.",
                                {"model", "version"}, monitor::ExponentialBuckets(1, 2, 11))),
      queue_depth(r.AddGauge("ferry_queue_depth", "Requests waiting in the model queue.",
                             {"model", "version"})),
      inflight(r.AddGauge("ferry_inflight_requests",
                          "Requests accepted by the core and not yet answered.",
                          {"model", "version"})),
      shed(r.AddCounter("ferry_requests_shed_total",
                        "Requests refused at once because the queue was full.",
                        {"model", "version"})),
      timed_out(r.AddCounter("ferry_requests_timed_out_total",
                             "Requests answered 504 because their deadline passed.",
                             {"model", "version"})),
      cancelled(r.AddCounter("ferry_requests_cancelled_total",
                             "Requests dropped from the queue because the client went away.",
                             {"model", "version"})),
      ready(r.AddGauge("ferry_model_version_ready", "1 when the model version is READY, else 0.",
                       {"model", "version"})) {}

VersionMetrics VersionMetrics::For(CoreMetrics& core, const std::string& model, int64_t version) {
  const std::vector<std::string> labels = {model, std::to_string(version)};
  VersionMetrics m;
  m.queue_seconds = &core.queue_seconds.WithLabels(labels);
  m.compute_seconds = &core.compute_seconds.WithLabels(labels);
  m.batch_size = &core.batch_size.WithLabels(labels);
  m.queue_depth = &core.queue_depth.WithLabels(labels);
  m.inflight = &core.inflight.WithLabels(labels);
  m.shed = &core.shed.WithLabels(labels);
  m.timed_out = &core.timed_out.WithLabels(labels);
  m.cancelled = &core.cancelled.WithLabels(labels);
  m.ready = &core.ready.WithLabels(labels);
  return m;
}

}  // namespace ferry::serving

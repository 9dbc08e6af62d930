#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/base/result.h"
#include "ferry/monitor/drift.h"
#include "ferry/monitor/performance.h"

// What one model version saw in one time window: request and row counts,
// errors, a latency histogram, (with a baseline) the drift counts, and the
// feedback joined with its predictions.
namespace ferry::monitor {

// Latency buckets: bucket i holds latencies up to kLatencyBoundUs[i] µs
// (factor 1.25 from 10 µs), the last one everything above.
inline constexpr size_t kLatencyBuckets = 64;
double LatencyBucketBoundUs(size_t i);
size_t LatencyBucketOf(int64_t latency_us);

// (score, label) pairs a window keeps for AUC (16 bytes each); past it, a
// reservoir sample (auc_sampled in the results).
inline constexpr size_t kWindowAucPairs = 20'000;

struct Window {
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // exclusive; for the open window: when it was read
  bool complete = false;
  int64_t requests = 0;  // answered successfully
  int64_t rows = 0;
  int64_t errors = 0;  // answered with an error
  std::array<int64_t, kLatencyBuckets> latency{};
  std::optional<DriftCounts> drift;  // empty without a baseline
  // Ground truth that arrived in the window, joined with its predictions.
  std::optional<PerformanceWindow> performance;

  // Adds `other` (a later or earlier window of the same version).
  void Merge(const Window& other);
  // errors / (requests + errors); NaN with no request.
  double ErrorRate() const;
  // The 99th percentile of request latency in ms, from the histogram (the
  // upper bound of the bucket it falls in); NaN with no request.
  double LatencyP99Ms() const;
};

// Which windows a query means: "current" (the open one), "last" (the latest
// closed one; the open one while none closed yet), or a duration ("15m":
// the closed windows that ended within it, and the open one).
struct WindowQuery {
  enum class Kind { kCurrent, kLast, kSpan };
  Kind kind = Kind::kLast;
  int64_t span_ms = 0;
  std::string text = "last";
};
// InvalidArgument for anything else.
Result<WindowQuery> ParseWindowQuery(std::string_view text);

}  // namespace ferry::monitor

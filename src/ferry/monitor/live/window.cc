#include "ferry/monitor/live/window.h"

#include <algorithm>
#include <cmath>

#include "ferry/base/duration.h"

namespace ferry::monitor {

double LatencyBucketBoundUs(size_t i) { return 10.0 * std::pow(1.25, static_cast<double>(i)); }

size_t LatencyBucketOf(int64_t latency_us) {
  // Smallest i with latency <= 10 * 1.25^i.
  if (latency_us <= 10) return 0;
  const double i = std::ceil(std::log(static_cast<double>(latency_us) / 10.0) / std::log(1.25));
  if (!(i < static_cast<double>(kLatencyBuckets - 1))) return kLatencyBuckets - 1;
  size_t b = static_cast<size_t>(i);
  // Guard the floating point edge: the bound must hold the value.
  if (static_cast<double>(latency_us) > LatencyBucketBoundUs(b)) ++b;
  return std::min(b, kLatencyBuckets - 1);
}

void Window::Merge(const Window& other) {
  if (other.start_ms < start_ms || start_ms == 0) start_ms = other.start_ms;
  end_ms = std::max(end_ms, other.end_ms);
  requests += other.requests;
  rows += other.rows;
  errors += other.errors;
  for (size_t i = 0; i < kLatencyBuckets; ++i) latency[i] += other.latency[i];
  if (other.performance) {
    if (performance) {
      (void)performance->Merge(*other.performance);  // same version: same task
    } else {
      performance = other.performance;
    }
  }
  if (other.drift) {
    if (drift) {
      drift->Merge(*other.drift);
    } else {
      drift = other.drift;
    }
  }
}

double Window::ErrorRate() const {
  const int64_t n = requests + errors;
  return n == 0 ? NAN : static_cast<double>(errors) / static_cast<double>(n);
}

double Window::LatencyP99Ms() const {
  int64_t total = 0;
  for (int64_t c : latency) total += c;
  if (total == 0) return NAN;
  // The smallest bucket whose cumulative count reaches 99% of the requests.
  const double target = 0.99 * static_cast<double>(total);
  int64_t seen = 0;
  for (size_t i = 0; i < kLatencyBuckets; ++i) {
    seen += latency[i];
    if (static_cast<double>(seen) >= target) {
      if (i == kLatencyBuckets - 1) return LatencyBucketBoundUs(kLatencyBuckets - 2) / 1000.0;
      return LatencyBucketBoundUs(i) / 1000.0;
    }
  }
  return LatencyBucketBoundUs(kLatencyBuckets - 2) / 1000.0;
}

Result<WindowQuery> ParseWindowQuery(std::string_view text) {
  WindowQuery q;
  q.text = std::string(text);
  if (text.empty() || text == "last") {
    q.kind = WindowQuery::Kind::kLast;
    q.text = "last";
    return q;
  }
  if (text == "current") {
    q.kind = WindowQuery::Kind::kCurrent;
    return q;
  }
  auto ms = ParseDurationMs(text);
  if (!ms.ok()) {
    return InvalidArgument("window: expected current, last or a duration like 15m, got '" +
                           std::string(text) + "'");
  }
  q.kind = WindowQuery::Kind::kSpan;
  q.span_ms = *ms;
  return q;
}

}  // namespace ferry::monitor

#include "ferry/serving/batcher.h"

#include <algorithm>

namespace ferry::serving {

BatchDecision Decide(std::span<const QueuedItem> queue, TimePoint now,
                     const ModelSettings& settings) {
  BatchDecision d;
  const int64_t max_rows = std::max<int64_t>(1, settings.max_batch_size);

  // Rules 1 and 2: set aside dead requests; take the fitting prefix.
  bool full = false;  // the prefix stopped at a request that does not fit
  TimePoint oldest = TimePoint::max();
  TimePoint earliest_deadline = TimePoint::max();
  // Prefix sums of the batch so far, to cut at a preferred size.
  std::vector<int64_t> prefix_rows;
  for (size_t i = 0; i < queue.size(); ++i) {
    const QueuedItem& item = queue[i];
    if (item.cancelled) {
      d.cancelled.push_back(i);
      continue;
    }
    if (item.deadline <= now) {
      d.expired.push_back(i);
      continue;
    }
    if (full) continue;  // keep scanning only for dead requests
    const bool first = d.batch.empty();
    if (!first && d.batch_rows + item.rows > max_rows) {
      full = true;
      continue;
    }
    d.batch.push_back(i);
    d.batch_rows += item.rows;
    prefix_rows.push_back(d.batch_rows);
    oldest = std::min(oldest, item.enqueued);
    earliest_deadline = std::min(earliest_deadline, item.deadline);
    if (d.batch_rows >= max_rows) full = true;
  }
  if (d.batch.empty()) return d;  // wait for arrivals

  // Rule 3.
  if (full) return d;
  if (!settings.preferred_batch_sizes.empty()) {
    // Largest preferred size equal to some prefix sum.
    int64_t best_count = 0;
    int64_t best_rows = 0;
    for (size_t k = 0; k < prefix_rows.size(); ++k) {
      const auto& preferred = settings.preferred_batch_sizes;
      if (std::find(preferred.begin(), preferred.end(), prefix_rows[k]) != preferred.end() &&
          prefix_rows[k] > best_rows) {
        best_rows = prefix_rows[k];
        best_count = static_cast<int64_t>(k) + 1;
      }
    }
    if (best_count > 0) {
      d.batch.resize(static_cast<size_t>(best_count));
      d.batch_rows = best_rows;
      return d;
    }
  }
  const TimePoint dispatch_at = oldest + std::chrono::microseconds(settings.max_queue_delay_us);
  if (now >= dispatch_at || dispatch_at >= earliest_deadline) return d;

  // Rule 4.
  d.batch.clear();
  d.batch_rows = 0;
  d.wake_at = dispatch_at;
  return d;
}

}  // namespace ferry::serving

#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "ferry/serving/server_options.h"

// The dynamic batcher's decision, as a pure function of (queue snapshot,
// now, settings): no clock, no lock, no thread. Workers call it with the
// head of their queue; tests call it with a fake clock.
namespace ferry::serving {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// What the batcher needs to know about one queued request.
struct QueuedItem {
  int64_t rows = 1;
  TimePoint enqueued;
  TimePoint deadline = TimePoint::max();  // max: none
  bool cancelled = false;
};

struct BatchDecision {
  // Indices (into the snapshot) of requests to answer now without running
  // them: deadline reached (deadline <= now) or cancelled.
  std::vector<size_t> expired;
  std::vector<size_t> cancelled;
  // Indices of the requests that form the batch to run now, in snapshot
  // order; empty when the batcher waits.
  std::vector<size_t> batch;
  int64_t batch_rows = 0;
  // When `batch` is empty: decide again at this time even if nothing new
  // arrives (TimePoint::max(): only when something arrives).
  TimePoint wake_at = TimePoint::max();
};

// `queue` lists queued requests in service order: priority level 0 first,
// FIFO within a level. Rules:
// 1. Cancelled and expired requests are set aside (never executed).
// 2. The batch is the longest prefix of the remaining requests whose rows fit
//    max_batch_size (a first request larger than that forms a batch alone);
//    a request that does not fit stops the prefix (no overtaking).
// 3. Dispatch now when: the batch is full (max_batch_size rows, or the next
//    request does not fit); or a preferred size can be formed (the batch is
//    cut to the largest preferred size that a prefix sums to exactly); or the
//    oldest request in the batch has waited max_queue_delay_us; or that
//    delay would outlast a deadline in the batch (dispatch at once rather
//    than let it expire while waiting).
// 4. Otherwise wait until the oldest request's delay runs out.
BatchDecision Decide(std::span<const QueuedItem> queue, TimePoint now,
                     const ModelSettings& settings);

}  // namespace ferry::serving

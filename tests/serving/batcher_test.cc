#include "ferry/serving/batcher.h"

#include <gtest/gtest.h>

// The batcher's decision with a fake clock: every time below is a fixed
// point built from `t0`; nothing sleeps.
namespace ferry::serving {
namespace {

using std::chrono::microseconds;
const TimePoint t0 = TimePoint() + std::chrono::hours(1);

QueuedItem Item(int64_t rows, int64_t enqueued_us, int64_t deadline_us = -1) {
  QueuedItem q;
  q.rows = rows;
  q.enqueued = t0 + microseconds(enqueued_us);
  if (deadline_us >= 0) q.deadline = t0 + microseconds(deadline_us);
  return q;
}

ModelSettings Settings(int64_t max_batch, int64_t delay_us, std::vector<int64_t> preferred = {}) {
  ModelSettings s;
  s.max_batch_size = max_batch;
  s.max_queue_delay_us = delay_us;
  s.preferred_batch_sizes = std::move(preferred);
  return s;
}

TEST(BatcherTest, EmptyQueueWaitsForArrivals) {
  BatchDecision d = Decide({}, t0, Settings(8, 100));
  EXPECT_TRUE(d.batch.empty());
  EXPECT_EQ(d.wake_at, TimePoint::max());
}

TEST(BatcherTest, ZeroDelayDispatchesWhateverIsQueued) {
  std::vector<QueuedItem> q = {Item(1, 0), Item(2, 5)};
  BatchDecision d = Decide(q, t0 + microseconds(10), Settings(8, 0));
  EXPECT_EQ(d.batch, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(d.batch_rows, 3);
}

TEST(BatcherTest, WaitsForDelayThenDispatches) {
  std::vector<QueuedItem> q = {Item(1, 0), Item(1, 30)};
  const ModelSettings s = Settings(8, 100);
  BatchDecision before = Decide(q, t0 + microseconds(99), s);
  EXPECT_TRUE(before.batch.empty());
  EXPECT_EQ(before.wake_at, t0 + microseconds(100));  // the oldest request's delay

  BatchDecision at = Decide(q, t0 + microseconds(100), s);
  EXPECT_EQ(at.batch, (std::vector<size_t>{0, 1}));
}

TEST(BatcherTest, FullBatchDispatchesBeforeDelay) {
  std::vector<QueuedItem> q = {Item(3, 0), Item(3, 1), Item(2, 2), Item(1, 3)};
  BatchDecision d = Decide(q, t0 + microseconds(4), Settings(8, 1000));
  EXPECT_EQ(d.batch, (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(d.batch_rows, 8);
}

TEST(BatcherTest, RequestThatDoesNotFitStopsTheBatchWithoutOvertaking) {
  // 5 + 4 > 8: the batch is [5] and is full (the next one waits its turn);
  // the 1-row request behind does not overtake.
  std::vector<QueuedItem> q = {Item(5, 0), Item(4, 1), Item(1, 2)};
  BatchDecision d = Decide(q, t0 + microseconds(3), Settings(8, 1000));
  EXPECT_EQ(d.batch, (std::vector<size_t>{0}));
  EXPECT_EQ(d.batch_rows, 5);
}

TEST(BatcherTest, OversizedRequestRunsAlone) {
  std::vector<QueuedItem> q = {Item(20, 0), Item(1, 1)};
  BatchDecision d = Decide(q, t0 + microseconds(1), Settings(8, 1000));
  EXPECT_EQ(d.batch, (std::vector<size_t>{0}));
  EXPECT_EQ(d.batch_rows, 20);
}

TEST(BatcherTest, BatchingOffTakesOneRequest) {
  std::vector<QueuedItem> q = {Item(1, 0), Item(1, 1), Item(1, 2)};
  BatchDecision d = Decide(q, t0 + microseconds(3), Settings(1, 0));
  EXPECT_EQ(d.batch, (std::vector<size_t>{0}));
}

TEST(BatcherTest, PreferredSizeDispatchesAtOnceAndCutsTheBatch) {
  std::vector<QueuedItem> q = {Item(2, 0), Item(2, 1), Item(1, 2)};
  // Prefix sums 2, 4, 5; preferred {4}: dispatch the first two now.
  BatchDecision d = Decide(q, t0 + microseconds(3), Settings(16, 1000, {4}));
  EXPECT_EQ(d.batch, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(d.batch_rows, 4);
}

TEST(BatcherTest, PreferredSizeNotFormedWaits) {
  std::vector<QueuedItem> q = {Item(3, 0)};
  BatchDecision d = Decide(q, t0 + microseconds(3), Settings(16, 1000, {4, 8}));
  EXPECT_TRUE(d.batch.empty());
  EXPECT_EQ(d.wake_at, t0 + microseconds(1000));
}

TEST(BatcherTest, ExpiredAndCancelledAreSetAsideNeverBatched) {
  std::vector<QueuedItem> q = {Item(1, 0, /*deadline=*/50), Item(1, 1), Item(1, 2)};
  q[2].cancelled = true;
  BatchDecision d = Decide(q, t0 + microseconds(50), Settings(8, 0));
  EXPECT_EQ(d.expired, (std::vector<size_t>{0}));  // deadline <= now
  EXPECT_EQ(d.cancelled, (std::vector<size_t>{2}));
  EXPECT_EQ(d.batch, (std::vector<size_t>{1}));
}

TEST(BatcherTest, DeadlineBeforeDelayEndDispatchesAtOnce) {
  // Waiting 1000 us would outlive the request's deadline at 200 us.
  std::vector<QueuedItem> q = {Item(1, 0, /*deadline=*/200)};
  BatchDecision d = Decide(q, t0 + microseconds(10), Settings(8, 1000));
  EXPECT_EQ(d.batch, (std::vector<size_t>{0}));
}

TEST(BatcherTest, DeadRequestsBehindAFullBatchAreStillSetAside) {
  std::vector<QueuedItem> q = {Item(8, 0), Item(1, 1, /*deadline=*/5)};
  BatchDecision d = Decide(q, t0 + microseconds(6), Settings(8, 0));
  EXPECT_EQ(d.batch, (std::vector<size_t>{0}));
  EXPECT_EQ(d.expired, (std::vector<size_t>{1}));
}

TEST(BatcherTest, ServiceOrderIsSnapshotOrder) {
  // The queue hands priority 0 first; the batcher keeps that order.
  std::vector<QueuedItem> q = {Item(1, 90), Item(1, 10), Item(1, 0)};
  BatchDecision d = Decide(q, t0 + microseconds(100), Settings(2, 0));
  EXPECT_EQ(d.batch, (std::vector<size_t>{0, 1}));
}

}  // namespace
}  // namespace ferry::serving

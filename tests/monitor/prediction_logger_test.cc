#include "ferry/monitor/prediction_logger.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "testing/test_util.h"

namespace ferry::monitor {
namespace {

using ::ferry::testing::TempDir;

PredictionRecord Rec(int64_t t) {
  PredictionRecord r;
  r.time_ms = t;
  r.model = "bc";
  r.version = 1;
  r.key = "k" + std::to_string(t);
  r.inputs_json = "[1]";
  r.outputs_json = "[0]";
  r.latency_us = 5;
  return r;
}

std::unique_ptr<PredictionLogger> MakeLogger(const std::filesystem::path& dir,
                                             PredictionLoggerOptions o) {
  return PredictionLogger::Create(SegmentLog::Open(dir, {}).value(), std::move(o)).value();
}

TEST(PredictionLoggerTest, WritesEverythingOnFlush) {
  TempDir tmp;
  auto logger = MakeLogger(tmp.path(), {});
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(logger->Offer(Rec(i)));
  ASSERT_TRUE(logger->Flush().ok());
  EXPECT_EQ(logger->written(), 100u);
  LogContents c = ReadLog(tmp.path()).value();
  ASSERT_EQ(c.records.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(c.records[i], Rec(i));
}

TEST(PredictionLoggerTest, DestructorDrains) {
  TempDir tmp;
  {
    auto logger = MakeLogger(tmp.path(), {});
    for (int i = 0; i < 50; ++i) logger->Offer(Rec(i));
  }
  EXPECT_EQ(ReadLog(tmp.path()).value().records.size(), 50u);
}

// A gate the writer thread waits on before each batch.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int waiting = 0;
  void Wait() {
    std::unique_lock lock(mu);
    ++waiting;
    cv.notify_all();
    cv.wait(lock, [this] { return open; });
  }
  void AwaitWriterBlocked() {
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return waiting > 0; });
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

TEST(PredictionLoggerTest, DropsAndCountsWhenFull) {
  TempDir tmp;
  Gate gate;
  PredictionLoggerOptions o;
  o.capacity_records = 3;
  o.before_write = [&gate] { gate.Wait(); };
  auto logger = MakeLogger(tmp.path(), o);
  EXPECT_TRUE(logger->Offer(Rec(0)));
  gate.AwaitWriterBlocked();  // the writer took record 0 and is stuck on it
  EXPECT_TRUE(logger->Offer(Rec(1)));
  EXPECT_TRUE(logger->Offer(Rec(2)));
  EXPECT_TRUE(logger->Offer(Rec(3)));
  EXPECT_FALSE(logger->Offer(Rec(4)));
  EXPECT_FALSE(logger->Offer(Rec(5)));
  EXPECT_EQ(logger->dropped(), 2u);
  gate.Open();
  ASSERT_TRUE(logger->Flush().ok());
  EXPECT_EQ(logger->written(), 4u);
  LogContents c = ReadLog(tmp.path()).value();
  ASSERT_EQ(c.records.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(c.records[i].time_ms, i);
}

TEST(PredictionLoggerTest, SamplingKeepsExactlyTheExpectedRecords) {
  TempDir tmp;
  PredictionLoggerOptions o;
  o.sample_rate = 0.25;
  auto logger = MakeLogger(tmp.path(), o);
  for (int i = 0; i < 12; ++i) logger->Offer(Rec(i));
  ASSERT_TRUE(logger->Flush().ok());
  // floor((i+1)/4) > floor(i/4) exactly for i = 3, 7, 11.
  std::vector<int64_t> times;
  LogContents c = ReadLog(tmp.path()).value();
  for (const PredictionRecord& r : c.records) times.push_back(r.time_ms);
  EXPECT_EQ(times, (std::vector<int64_t>{3, 7, 11}));
  EXPECT_EQ(logger->sampled_out(), 9u);
  EXPECT_EQ(logger->dropped(), 0u);
}

TEST(PredictionLoggerTest, SampleRateZeroKeepsNothing) {
  TempDir tmp;
  PredictionLoggerOptions o;
  o.sample_rate = 0;
  auto logger = MakeLogger(tmp.path(), o);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(logger->Offer(Rec(i)));
  ASSERT_TRUE(logger->Flush().ok());
  EXPECT_TRUE(ReadLog(tmp.path()).value().records.empty());
}

TEST(PredictionLoggerTest, RejectsBadOptions) {
  TempDir tmp;
  PredictionLoggerOptions o;
  o.sample_rate = 1.5;
  EXPECT_EQ(
      PredictionLogger::Create(SegmentLog::Open(tmp.path(), {}).value(), o).status().message(),
      "prediction logger: sample rate must be in [0, 1]");
  o.sample_rate = 1;
  o.capacity_records = 0;
  EXPECT_EQ(
      PredictionLogger::Create(SegmentLog::Open(tmp.path(), {}).value(), o).status().message(),
      "prediction logger: capacity must be positive");
}

TEST(PredictionLoggerTest, FlushReportsWriteErrors) {
  TempDir tmp;
  auto logger = MakeLogger(tmp.path(), {});
  PredictionRecord bad = Rec(1);
  bad.inputs_json = "{";
  EXPECT_FALSE(logger->Offer(bad));  // refused at once, never queued
  EXPECT_TRUE(logger->Offer(Rec(2)));
  Status s = logger->Flush();
  EXPECT_EQ(s.message(), "prediction record: inputs are not valid JSON");
  EXPECT_EQ(logger->failed(), 1u);
  EXPECT_EQ(logger->written(), 1u);
}

}  // namespace
}  // namespace ferry::monitor

namespace ferry::monitor {
namespace {

TEST(PredictionLoggerRowsTest, FramedRowsAndTheirSchemasReachTheLog) {
  TempDir tmp;
  auto logger = MakeLogger(tmp.path(), {});
  RowSchema schema;
  schema.model = "bc";
  schema.version = 1;
  schema.columns = {"a", "b"};
  schema.outputs = {"probability"};
  EXPECT_EQ(logger->AddSchema(schema), 0u);
  schema.version = 2;
  EXPECT_EQ(logger->AddSchema(schema), 1u);
  for (int i = 0; i < 10; ++i) {
    const float x[] = {static_cast<float>(i), 2};
    const float p[] = {0.5f};
    const RowOutput out[] = {{.index = 0, .scalar = true, .values = p}};
    std::string frame;
    ASSERT_TRUE(AppendRowRecord(i % 2, 100 + i, 3, "k" + std::to_string(i), x, out, &frame));
    EXPECT_TRUE(logger->OfferFrame(frame, 100 + i));
  }
  ASSERT_TRUE(logger->Flush().ok());
  EXPECT_EQ(logger->written(), 10u);
  LogContents c = ReadLog(tmp.path()).value();
  ASSERT_EQ(c.records.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(c.records[i].version, 1 + i % 2);
    EXPECT_EQ(c.records[i].key, "k" + std::to_string(i));
    EXPECT_EQ(c.records[i].inputs_json, "{\"a\":" + std::to_string(i) + ",\"b\":2}");
    EXPECT_EQ(c.records[i].outputs_json, R"({"probability":0.5})");
  }
}

TEST(PredictionLoggerRowsTest, TheQueueIsBoundedInBytesToo) {
  TempDir tmp;
  Gate gate;
  PredictionLoggerOptions o;
  const size_t frame = EncodeRecord(Rec(0)).value().size();
  o.capacity_bytes = 2 * frame;
  o.before_write = [&gate] { gate.Wait(); };
  auto logger = MakeLogger(tmp.path(), o);
  EXPECT_TRUE(logger->Offer(Rec(0)));
  gate.AwaitWriterBlocked();
  EXPECT_TRUE(logger->Offer(Rec(1)));
  EXPECT_TRUE(logger->Offer(Rec(2)));
  EXPECT_FALSE(logger->Offer(Rec(3)));  // a third would pass the bytes allowed
  EXPECT_EQ(logger->dropped(), 1u);
  gate.Open();
  ASSERT_TRUE(logger->Flush().ok());
  EXPECT_EQ(ReadLog(tmp.path()).value().records.size(), 3u);
}

}  // namespace
}  // namespace ferry::monitor

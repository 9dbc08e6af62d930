#include "ferry/serving/served_version.h"

#include <gtest/gtest.h>

#include <thread>

#include "serving/collector.h"
#include "serving/fake_model.h"

// Queue, admission, priorities, deadlines and cancellation of one served
// version. The backend is a fake with a "hold" switch (a slow backend), so
// tests decide when a batch finishes; results are computed for real.
namespace ferry::serving {
namespace {

using testing::Collector;
using testing::FakeModel;
using testing::FakeModelControl;

constexpr int64_t kFeatures = 3;

struct Fixture {
  std::shared_ptr<FakeModelControl> control = std::make_shared<FakeModelControl>();
  std::unique_ptr<ServedVersion> served;
  Collector collector;

  explicit Fixture(ModelSettings settings) {
    ServedVersion::Params p;
    p.model_name = "m";
    p.version = 3;
    p.model = std::make_shared<FakeModel>(kFeatures, control);
    p.settings = settings;
    p.warmup_rows = 0;
    auto s = ServedVersion::Start(std::move(p));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    served = std::move(s).value();
  }

  // A request of `rows` rows whose every value is `value`.
  static std::unique_ptr<InferRequest> Request(int64_t rows, float value) {
    auto r = std::make_unique<InferRequest>();
    r->model = "m";
    r->input_name = "features";
    r->input = Tensor(DataType::kFp32, Shape{rows, kFeatures});
    for (float& x : r->input.MutableData<float>()) x = value;
    return r;
  }

  Status Send(std::unique_ptr<InferRequest> r, const std::string& tag) {
    InferCallback cb = collector.Callback(tag);
    return served->Enqueue(r, cb);
  }
};

ModelSettings Settings() {
  ModelSettings s;
  s.max_batch_size = 64;
  s.max_queue_delay_us = 0;
  s.instances = 1;
  return s;
}

TEST(ServedVersionTest, BatchesQueuedRequestsAndGivesEachItsOwnRows) {
  Fixture f(Settings());
  f.control->Hold();
  ASSERT_TRUE(f.Send(Fixture::Request(1, 0.5f), "first").ok());
  f.control->WaitStarted(1);  // the worker is busy: the next ones queue up
  for (int i = 1; i <= 4; ++i) {
    auto r = Fixture::Request(i, static_cast<float>(i));
    r->id = "id" + std::to_string(i);
    r->key = "k" + std::to_string(i);
    ASSERT_TRUE(f.Send(std::move(r), "r" + std::to_string(i)).ok());
  }
  f.control->Release();
  f.collector.WaitFor(5);
  EXPECT_EQ(f.control->batch_rows(), (std::vector<int64_t>{1, 1 + 2 + 3 + 4}));
  for (int i = 1; i <= 4; ++i) {
    auto r = f.collector.Get("r" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->model, "m");
    EXPECT_EQ(r->version, 3);
    EXPECT_EQ(r->id, "id" + std::to_string(i));
    EXPECT_EQ(r->key, "k" + std::to_string(i));
    ASSERT_EQ(r->outputs.size(), 1u);
    EXPECT_EQ(r->outputs[0].name, "y");
    ASSERT_EQ(r->outputs[0].tensor.shape(), Shape{i});
    for (float y : r->outputs[0].tensor.Data<float>()) EXPECT_FLOAT_EQ(y, 3.0f * i);
  }
  InferStats st = f.served->stats().Snapshot();
  EXPECT_EQ(st.success_count, 5u);
  EXPECT_EQ(st.execution_count, 2u);
  EXPECT_EQ(st.inference_count, 11u);
}

TEST(ServedVersionTest, QueueDelayLetsABatchFill) {
  ModelSettings s = Settings();
  s.max_queue_delay_us = 500000;  // generous: the second request comes well within it
  s.max_batch_size = 3;
  Fixture f(s);
  ASSERT_TRUE(f.Send(Fixture::Request(1, 1), "a").ok());
  ASSERT_TRUE(f.Send(Fixture::Request(2, 1), "b").ok());  // fills the batch: dispatched at once
  f.collector.WaitFor(2);
  EXPECT_EQ(f.control->batch_rows(), (std::vector<int64_t>{3}));
}

TEST(ServedVersionTest, FullQueueShedsAtOnce) {
  ModelSettings s = Settings();
  s.max_queue_size = 2;
  Fixture f(s);
  f.control->Hold();
  ASSERT_TRUE(f.Send(Fixture::Request(1, 1), "running").ok());
  f.control->WaitStarted(1);
  ASSERT_TRUE(f.Send(Fixture::Request(1, 1), "q1").ok());
  ASSERT_TRUE(f.Send(Fixture::Request(1, 1), "q2").ok());
  Status shed = f.Send(Fixture::Request(1, 1), "q3");
  EXPECT_EQ(shed.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(shed.message(), "model 'm' version 3: queue is full (2 requests); retry later");
  EXPECT_EQ(f.served->QueuedCount(), 2u);
  f.control->Release();
  f.collector.WaitFor(3);
  EXPECT_EQ(f.collector.size(), 3u);  // the shed request got no callback from the core
}

TEST(ServedVersionTest, HigherPriorityIsServedFirst) {
  ModelSettings s = Settings();
  s.priority_levels = 3;
  s.max_batch_size = 1;  // one request per batch shows the order
  Fixture f(s);
  f.control->Hold();
  ASSERT_TRUE(f.Send(Fixture::Request(1, 1), "running").ok());
  f.control->WaitStarted(1);
  auto send = [&](int priority, const std::string& tag) {
    auto r = Fixture::Request(1, 1);
    r->priority = priority;
    ASSERT_TRUE(f.Send(std::move(r), tag).ok());
  };
  send(2, "low-a");
  send(1, "mid");
  send(2, "low-b");
  send(0, "high");
  f.control->Release();
  f.collector.WaitFor(5);
  EXPECT_EQ(f.collector.order(),
            (std::vector<std::string>{"running", "high", "mid", "low-a", "low-b"}));
}

TEST(ServedVersionTest, ExpiredRequestIsAnswered504AndNeverExecuted) {
  Fixture f(Settings());
  f.control->Hold();
  ASSERT_TRUE(f.Send(Fixture::Request(1, 1), "running").ok());
  f.control->WaitStarted(1);
  auto r = Fixture::Request(1, 1);
  r->timeout_us = 2000;
  const TimePoint deadline = Clock::now() + std::chrono::microseconds(2000);
  ASSERT_TRUE(f.Send(std::move(r), "late").ok());
  ASSERT_TRUE(f.Send(Fixture::Request(2, 1), "ok").ok());
  std::this_thread::sleep_until(deadline + std::chrono::milliseconds(1));
  f.control->Release();
  f.collector.WaitFor(3);
  auto late = f.collector.Get("late");
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(f.collector.Get("ok").ok());
  // Backend ran the first request and then only the 2-row one.
  EXPECT_EQ(f.control->batch_rows(), (std::vector<int64_t>{1, 2}));
}

TEST(ServedVersionTest, DeadlineAlreadyPassedIsRefusedAtOnce) {
  Fixture f(Settings());
  auto r = Fixture::Request(1, 1);
  r->received = Clock::now() - std::chrono::milliseconds(5);
  r->timeout_us = 1000;
  Status s = f.Send(std::move(r), "x");
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(s.message(), "deadline exceeded before the request was queued (timeout 1000 us)");
}

TEST(ServedVersionTest, DefaultTimeoutApplies) {
  ModelSettings s = Settings();
  s.default_timeout_us = 1000;
  Fixture f(s);
  auto r = Fixture::Request(1, 1);
  r->received = Clock::now() - std::chrono::milliseconds(2);
  EXPECT_EQ(f.Send(std::move(r), "x").code(), StatusCode::kDeadlineExceeded);
}

TEST(ServedVersionTest, CancelledWhileQueuedIsDroppedNotExecuted) {
  Fixture f(Settings());
  f.control->Hold();
  ASSERT_TRUE(f.Send(Fixture::Request(1, 1), "running").ok());
  f.control->WaitStarted(1);
  auto r = Fixture::Request(4, 1);
  r->cancelled = std::make_shared<std::atomic<bool>>(false);
  CancelFlag flag = r->cancelled;
  ASSERT_TRUE(f.Send(std::move(r), "gone").ok());
  flag->store(true);  // the client disconnected
  f.control->Release();
  f.collector.WaitFor(2);
  auto gone = f.collector.Get("gone");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(gone.status().message(), "request cancelled by the client");
  EXPECT_EQ(f.control->batch_rows(), (std::vector<int64_t>{1}));
}

TEST(ServedVersionTest, InvalidRequestsAreRefusedWithClearErrors) {
  ModelSettings s = Settings();
  s.priority_levels = 2;
  Fixture f(s);
  auto bad_name = Fixture::Request(1, 1);
  bad_name->input_name = "x";
  EXPECT_EQ(f.Send(std::move(bad_name), "a").message(),
            "model 'm' has no input 'x' (inputs: features)");
  auto bad_shape = Fixture::Request(1, 1);
  bad_shape->input = Tensor(DataType::kFp32, Shape{1, 2});
  EXPECT_EQ(f.Send(std::move(bad_shape), "b").message(),
            "input 'features': expected shape [-1, 3] with at least one row, got [1, 2]");
  auto bad_type = Fixture::Request(1, 1);
  bad_type->input = Tensor(DataType::kFp64, Shape{1, 3});
  EXPECT_EQ(f.Send(std::move(bad_type), "c").message(),
            "input 'features': expected datatype FP32, got FP64");
  auto bad_output = Fixture::Request(1, 1);
  bad_output->requested_outputs = {"z"};
  EXPECT_EQ(f.Send(std::move(bad_output), "d").message(),
            "model 'm' has no output 'z' (outputs: y)");
  auto bad_priority = Fixture::Request(1, 1);
  bad_priority->priority = 2;
  EXPECT_EQ(f.Send(std::move(bad_priority), "e").message(),
            "priority 2 is out of range: model 'm' has priority_levels=2 (use 0..1)");
  EXPECT_EQ(f.collector.size(), 0u);
}

TEST(ServedVersionTest, BackendFailureAnswersEveryRequestOfTheBatch) {
  Fixture f(Settings());
  f.control->set_fail(true);
  ASSERT_TRUE(f.Send(Fixture::Request(1, 1), "a").ok());
  f.collector.WaitFor(1);
  auto a = f.collector.Get("a");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kInternal);
  EXPECT_EQ(f.served->stats().Snapshot().fail_count, 1u);
}

TEST(ServedVersionTest, DrainFinishesQueuedWorkAndRefusesNewWork) {
  Fixture f(Settings());
  f.control->Hold();
  ASSERT_TRUE(f.Send(Fixture::Request(1, 1), "running").ok());
  f.control->WaitStarted(1);
  ASSERT_TRUE(f.Send(Fixture::Request(1, 1), "queued").ok());
  f.served->BeginDrain();
  EXPECT_EQ(f.Send(Fixture::Request(1, 1), "late").code(), StatusCode::kUnavailable);
  f.control->Release();
  EXPECT_TRUE(f.served->Drain(Clock::now() + std::chrono::seconds(30)));
  EXPECT_TRUE(f.collector.Get("running").ok());
  EXPECT_TRUE(f.collector.Get("queued").ok());
}

TEST(ServedVersionTest, DrainTimeoutAnswersWhatIsLeftUnavailable) {
  Fixture f(Settings());
  f.control->Hold();
  ASSERT_TRUE(f.Send(Fixture::Request(1, 1), "running").ok());
  f.control->WaitStarted(1);
  ASSERT_TRUE(f.Send(Fixture::Request(1, 1), "queued").ok());
  std::thread releaser([&] {
    f.collector.WaitFor(1);  // the queued one was answered by the timeout
    f.control->Release();
  });
  EXPECT_FALSE(f.served->Drain(Clock::now() + std::chrono::milliseconds(20)));
  releaser.join();
  auto queued = f.collector.Get("queued");
  ASSERT_FALSE(queued.ok());
  EXPECT_EQ(queued.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(f.collector.Get("running").ok());
}

}  // namespace
}  // namespace ferry::serving

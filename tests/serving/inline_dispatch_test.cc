#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "ferry/serving/served_version.h"
#include "serving/collector.h"
#include "serving/fake_model.h"

// Batches run as tasks on the transport's I/O threads (run_on_io_threads):
// requests enqueued in one round form one batch, with no worker thread in
// between; the workers still take what no task can.
namespace ferry::serving {
namespace {

using testing::Collector;
using testing::FakeModel;
using testing::FakeModelControl;

constexpr int64_t kFeatures = 2;

// An Executor whose tasks run only when the test says so, on the test's
// thread: the stand-in for an I/O thread's event loop.
class ManualExecutor final : public Executor {
 public:
  void Post(std::function<void()> task) override {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  // Runs tasks (also those posted meanwhile) until none is left; returns how many ran.
  int RunAll() {
    int ran = 0;
    while (true) {
      std::function<void()> task;
      {
        std::lock_guard lock(mu_);
        if (tasks_.empty()) return ran;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
      ++ran;
    }
  }
  size_t pending() {
    std::lock_guard lock(mu_);
    return tasks_.size();
  }

 private:
  std::mutex mu_;
  std::deque<std::function<void()>> tasks_;
};

struct Fixture {
  std::shared_ptr<FakeModelControl> control = std::make_shared<FakeModelControl>();
  std::shared_ptr<ServedVersion> served;  // shared, as ModelEntry holds it
  ManualExecutor executor;
  Collector collector;

  explicit Fixture(ModelSettings settings) {
    ServedVersion::Params p;
    p.model_name = "m";
    p.version = 1;
    p.model = std::make_shared<FakeModel>(kFeatures, control);
    p.settings = settings;
    p.warmup_rows = 0;
    auto s = ServedVersion::Start(std::move(p));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    served = std::move(s).value();
  }

  Status Send(int64_t rows, float value, const std::string& tag, bool with_executor = true) {
    auto r = std::make_unique<InferRequest>();
    r->model = "m";
    r->input = Tensor(DataType::kFp32, Shape{rows, kFeatures});
    for (float& x : r->input.MutableData<float>()) x = value;
    if (with_executor) r->executor = &executor;
    InferCallback cb = collector.Callback(tag);
    return served->Enqueue(r, cb);
  }

  // Waits until the worker is parked with nothing to do (not still starting
  // up, free to take the test's requests before the executor's tasks run).
  void ParkWorker() {
    while (served->ParkedWorkers() < 1) std::this_thread::yield();
  }
};

ModelSettings Settings() {
  ModelSettings s;
  s.max_batch_size = 64;
  s.max_queue_delay_us = 0;
  s.instances = 1;
  return s;
}

TEST(InlineDispatchTest, RequestsOfOneRoundRunAsOneBatchOnTheExecutor) {
  Fixture f(Settings());
  f.ParkWorker();
  ASSERT_TRUE(f.Send(1, 1.0f, "a").ok());
  ASSERT_TRUE(f.Send(2, 2.0f, "b").ok());
  ASSERT_TRUE(f.Send(3, 3.0f, "c").ok());
  EXPECT_EQ(f.executor.pending(), 1u);  // one task for the round, not one per request
  EXPECT_EQ(f.collector.size(), 0u);
  EXPECT_TRUE(f.control->batch_rows().empty());

  EXPECT_EQ(f.executor.RunAll(), 1);
  // Answered on this thread, inside the task: nothing to wait for.
  ASSERT_EQ(f.collector.size(), 3u);
  EXPECT_EQ(f.control->batch_rows(), (std::vector<int64_t>{6}));
  auto b = f.collector.Get("b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->outputs[0].tensor.shape(), Shape{2});
  for (float y : b->outputs[0].tensor.Data<float>()) EXPECT_FLOAT_EQ(y, 2.0f * kFeatures);
  EXPECT_EQ(f.served->stats().Snapshot().execution_count, 1u);
}

TEST(InlineDispatchTest, AFullBatchLeavesTheRestForTheNextTask) {
  ModelSettings s = Settings();
  s.max_batch_size = 4;
  Fixture f(s);
  f.ParkWorker();
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(f.Send(1, 1.0f, "r" + std::to_string(i)).ok());
  EXPECT_EQ(f.executor.RunAll(), 2);  // the first task posts the second
  EXPECT_EQ(f.collector.size(), 6u);
  EXPECT_EQ(f.control->batch_rows(), (std::vector<int64_t>{4, 2}));
}

TEST(InlineDispatchTest, WorkersServeRequestsWithoutAnExecutor) {
  Fixture f(Settings());
  ASSERT_TRUE(f.Send(1, 1.0f, "a", /*with_executor=*/false).ok());
  f.collector.WaitFor(1);
  EXPECT_EQ(f.executor.pending(), 0u);
  EXPECT_TRUE(f.collector.Get("a").ok());
}

TEST(InlineDispatchTest, SwitchedOffOrWithAQueueDelayTheWorkersRunEverything) {
  ModelSettings off = Settings();
  off.run_on_io_threads = false;
  ModelSettings delayed = Settings();
  delayed.max_queue_delay_us = 100;
  for (const ModelSettings& s : {off, delayed}) {
    Fixture f(s);
    ASSERT_TRUE(f.Send(1, 1.0f, "a").ok());
    f.collector.WaitFor(1);
    EXPECT_EQ(f.executor.pending(), 0u);
    EXPECT_TRUE(f.collector.Get("a").ok());
  }
}

TEST(InlineDispatchTest, RequestsQueuedWhileTheWorkerHoldsTheSessionAreNotStranded) {
  Fixture f(Settings());
  f.control->Hold();
  ASSERT_TRUE(f.Send(1, 1.0f, "worker", /*with_executor=*/false).ok());
  f.control->WaitStarted(1);  // the only Session is busy on the worker
  ASSERT_TRUE(f.Send(1, 2.0f, "io1").ok());
  ASSERT_TRUE(f.Send(1, 3.0f, "io2").ok());
  EXPECT_EQ(f.executor.pending(), 0u);  // no idle Session: no task
  f.control->Release();
  f.collector.WaitFor(3);  // the worker, freed, took them
  EXPECT_TRUE(f.collector.Get("io2").ok());
  EXPECT_EQ(f.control->batch_rows(), (std::vector<int64_t>{1, 2}));
}

TEST(InlineDispatchTest, DrainWaitsForQueuedInlineWork) {
  Fixture f(Settings());
  ASSERT_TRUE(f.Send(1, 1.0f, "a").ok());
  ASSERT_TRUE(f.Send(1, 1.0f, "b").ok());
  f.served->BeginDrain();
  // The queued requests are still answered (by the task or by a worker
  // that BeginDrain woke), never dropped.
  f.executor.RunAll();
  EXPECT_TRUE(f.served->Drain(Clock::now() + std::chrono::seconds(10)));
  ASSERT_EQ(f.collector.size(), 2u);
  EXPECT_TRUE(f.collector.Get("a").ok());
  EXPECT_TRUE(f.collector.Get("b").ok());
}

TEST(InlineDispatchTest, ATaskOutlivingItsVersionOwnerStillRunsSafely) {
  Fixture f(Settings());
  ASSERT_TRUE(f.Send(1, 1.0f, "a").ok());
  f.served.reset();  // the posted task keeps the version alive
  EXPECT_EQ(f.executor.RunAll(), 1);
  ASSERT_EQ(f.collector.size(), 1u);
  EXPECT_TRUE(f.collector.Get("a").ok());
}

}  // namespace
}  // namespace ferry::serving

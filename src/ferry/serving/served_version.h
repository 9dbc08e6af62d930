#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ferry/backends/backend.h"
#include "ferry/base/result.h"
#include "ferry/base/thread_annotations.h"
#include "ferry/serving/batcher.h"
#include "ferry/serving/inference_service.h"
#include "ferry/serving/prediction_observer.h"
#include "ferry/serving/server_options.h"
#include "ferry/serving/version_stats.h"

// One loaded model version taking traffic: its bounded priority queue, the
// dynamic batcher, `instances` backend Sessions and as many worker threads.
// A batch runs on a worker, or (run_on_io_threads, max_queue_delay_us 0, a
// request that names an Executor) as a task posted to the transport's I/O
// threads: requests read in the same round then form one batch without a
// thread handoff. Either way a batch holds one idle Session; no lock is held
// across Session::Run.
namespace ferry::serving {

class ServedVersion : public std::enable_shared_from_this<ServedVersion> {
 public:
  struct Params {
    std::string model_name;
    int64_t version = 1;
    std::shared_ptr<const backends::Model> model;
    ModelSettings settings;
    VersionMetrics metrics;               // may hold nulls (no metrics)
    std::shared_ptr<VersionStats> stats;  // null: a private one
    int64_t warmup_rows = 1;              // 0: no warm-up
    // Sees every answer after the warm-up (monitoring); may be null.
    std::shared_ptr<PredictionObserver> observer;
  };

  // Creates one Session per instance, runs the warm-up rows through each, and
  // starts the workers. Fails (nothing started) when a Session cannot be made
  // or the warm-up run fails.
  static Result<std::unique_ptr<ServedVersion>> Start(Params params);

  // Stops accepting, answers what is still queued kUnavailable, and joins
  // the workers (running batches finish first).
  ~ServedVersion();
  ServedVersion(const ServedVersion&) = delete;
  ServedVersion& operator=(const ServedVersion&) = delete;

  // Checks the request against the signature and settings and queues it.
  // On OK, `request` and `done` were taken and `done` will be called exactly
  // once, from a worker or an Executor task. On error nothing was taken and the caller
  // answers: kInvalidArgument, kResourceExhausted (queue full),
  // kDeadlineExceeded (already past), or kUnavailable when this version no
  // longer accepts (draining: route the request again).
  Status Enqueue(std::unique_ptr<InferRequest>& request, InferCallback& done) EXCLUDES(mu_);

  // Stops accepting; workers finish what is queued and exit. Idempotent.
  void BeginDrain() EXCLUDES(mu_);
  // Waits until the workers have exited (after BeginDrain) or `deadline`
  // passes; on timeout answers what is still queued kUnavailable. Then
  // joins the workers. Returns false when it timed out.
  bool Drain(TimePoint deadline) EXCLUDES(mu_);

  // Tells the observer that a request routed here was refused (Enqueue's
  // error, answered by the caller).
  void RecordRefusal() const {
    if (params_.observer) params_.observer->ObserveError();
  }

  bool accepting() const EXCLUDES(mu_);
  int64_t version() const { return params_.version; }
  const backends::Model& model() const { return *params_.model; }
  const VersionStats& stats() const { return *params_.stats; }
  size_t QueuedCount() const EXCLUDES(mu_);
  // Workers waiting with nothing queued (for tests that need the workers
  // out of the way before they queue requests).
  int ParkedWorkers() const EXCLUDES(mu_);

 private:
  struct Pending {
    std::unique_ptr<InferRequest> request;
    InferCallback done;
    TimePoint enqueued;
    TimePoint deadline;
    TimePoint received;
  };
  struct Taken {  // what one decision removed from the queue
    std::vector<Pending> batch;
    std::vector<Pending> expired;
    std::vector<Pending> cancelled;
    bool empty() const { return batch.empty() && expired.empty() && cancelled.empty(); }
    void clear() {
      batch.clear();
      expired.clear();
      cancelled.clear();
    }
  };
  // A Session and the buffer its batches are gathered into.
  struct Slot {
    std::unique_ptr<backends::Session> session;
    Tensor batch_buffer;
  };

  explicit ServedVersion(Params params);
  Status Validate(const InferRequest& request) const;
  void WorkerLoop();
  // Waits for work and an idle Slot; returns false when the worker should exit.
  bool NextWork(Taken* taken, Slot** slot) EXCLUDES(mu_);
  // Applies one batching decision to the queue now: moves what it picks into
  // `taken`. Returns when to decide again if nothing was picked.
  TimePoint TakeNow(Taken* taken) REQUIRES(mu_);
  // The Executor task: runs one batch on an idle Slot, then posts itself
  // again while work is queued.
  void RunInline() EXCLUDES(mu_);
  // Gives `slot` back; wakes a worker that waits for one.
  void ReturnSlot(Slot* slot) REQUIRES(mu_);
  void Answer(Taken& taken, Slot& slot);
  void Fail(Pending& p, Status status);
  // The response for `req`, whose rows start at `row_offset` of the batch.
  Result<InferResponse> Slice(InferRequest& req, std::span<const Tensor> outputs,
                              int64_t batch_rows, int64_t row_offset) const;
  std::vector<Pending> TakeAllQueued() EXCLUDES(mu_);

  const Params params_;
  size_t num_features_ = 0;

  mutable Mutex mu_;
  std::condition_variable_any cv_;
  std::vector<std::deque<Pending>> levels_ GUARDED_BY(mu_);  // one FIFO per priority
  size_t queued_ GUARDED_BY(mu_) = 0;
  bool accepting_ GUARDED_BY(mu_) = true;
  bool stop_ GUARDED_BY(mu_) = false;  // exit even with work queued
  int active_workers_ GUARDED_BY(mu_) = 0;
  int workers_waiting_for_slot_ GUARDED_BY(mu_) = 0;
  int workers_parked_ GUARDED_BY(mu_) = 0;  // in NextWork's wait with nothing to do
  int inline_running_ GUARDED_BY(mu_) = 0;
  bool inline_posted_ GUARDED_BY(mu_) = false;
  // The Executor of the latest request that named one (the transport's,
  // which outlives the versions it feeds).
  Executor* executor_ GUARDED_BY(mu_) = nullptr;
  std::vector<Slot*> idle_ GUARDED_BY(mu_);
  bool run_inline_ = false;  // settings allow Executor tasks

  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::thread> workers_;
};

}  // namespace ferry::serving

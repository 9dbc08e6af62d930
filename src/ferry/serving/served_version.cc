#include "ferry/serving/served_version.h"

#include <algorithm>
#include <cstring>

namespace ferry::serving {
namespace {

// Lets std::condition_variable_any wait on a ferry::Mutex the caller holds.
struct MutexAdapter {
  Mutex& mu;
  void lock() FERRY_TSA(no_thread_safety_analysis) { mu.Lock(); }
  void unlock() FERRY_TSA(no_thread_safety_analysis) { mu.Unlock(); }
};

uint64_t Nanos(TimePoint from, TimePoint to) {
  return to > from ? static_cast<uint64_t>(
                         std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count())
                   : 0;
}

double Seconds(TimePoint from, TimePoint to) { return static_cast<double>(Nanos(from, to)) * 1e-9; }

std::string Names(const std::vector<TensorSpec>& specs) {
  std::string out;
  for (const TensorSpec& s : specs) {
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

// Service order snapshot is limited to the head of the queue: what can join
// the next batch plus some lookahead for dead requests.
constexpr size_t kLookahead = 64;

}  // namespace

ServedVersion::ServedVersion(Params params) : params_(std::move(params)) {
  MutexLock lock(mu_);
  levels_.resize(static_cast<size_t>(std::max(1, params_.settings.priority_levels)));
}

Result<std::unique_ptr<ServedVersion>> ServedVersion::Start(Params params) {
  if (!params.model) return Internal("ServedVersion needs a model");
  if (!params.stats) params.stats = std::make_shared<VersionStats>();
  FERRY_RETURN_IF_ERROR(params.settings.Validate());
  const Signature& sig = params.model->signature();
  if (sig.inputs.size() != 1 || sig.inputs[0].shape.rank() != 2 || sig.inputs[0].shape.dim(1) < 1 ||
      sig.inputs[0].datatype != DataType::kFp32) {
    return InvalidArgument(
        "model '" + params.model_name + "': serving needs one FP32 input of shape [-1, N], got " +
        (sig.inputs.empty() ? std::string("none") : sig.inputs[0].shape.ToString()));
  }
  std::unique_ptr<ServedVersion> served(new ServedVersion(std::move(params)));
  ServedVersion& s = *served;
  s.num_features_ = static_cast<size_t>(sig.inputs[0].shape.dim(1));
  s.run_inline_ =
      s.params_.settings.run_on_io_threads && s.params_.settings.max_queue_delay_us == 0;
  for (int i = 0; i < s.params_.settings.instances; ++i) {
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<backends::Session> session,
                           s.params_.model->NewSession());
    if (s.params_.warmup_rows > 0) {
      FERRY_ASSIGN_OR_RETURN(
          Tensor zeros,
          Tensor::Make(DataType::kFp32,
                       Shape{s.params_.warmup_rows, static_cast<int64_t>(s.num_features_)}));
      TensorView view = zeros.View();
      auto run = session->Run(std::span<const TensorView>(&view, 1));
      if (!run.ok())
        return run.status().WithContext("warm-up of model '" + s.params_.model_name + "'");
    }
    auto slot = std::make_unique<Slot>(
        Slot{std::move(session),
             Tensor(DataType::kFp32, Shape{0, static_cast<int64_t>(s.num_features_)})});
    s.slots_.push_back(std::move(slot));
  }
  {
    MutexLock lock(s.mu_);
    s.active_workers_ = static_cast<int>(s.slots_.size());
    for (auto& slot : s.slots_) s.idle_.push_back(slot.get());
  }
  for (size_t i = 0; i < s.slots_.size(); ++i) {
    s.workers_.emplace_back([&s] { s.WorkerLoop(); });
  }
  if (s.params_.metrics.ready) s.params_.metrics.ready->Set(1);
  return served;
}

ServedVersion::~ServedVersion() {
  BeginDrain();
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  std::vector<Pending> left = TakeAllQueued();
  for (Pending& p : left) Fail(p, Unavailable("model '" + params_.model_name + "' was unloaded"));
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

Status ServedVersion::Validate(const InferRequest& r) const {
  const Signature& sig = params_.model->signature();
  const TensorSpec& in = sig.inputs[0];
  if (!r.input_name.empty() && r.input_name != in.name) {
    return InvalidArgument("model '" + params_.model_name + "' has no input '" + r.input_name +
                           "' (inputs: " + Names(sig.inputs) + ")");
  }
  if (r.input.type() != DataType::kFp32) {
    return InvalidArgument("input '" + in.name + "': expected datatype FP32, got " +
                           std::string(DataTypeName(r.input.type())));
  }
  const Shape& shape = r.input.shape();
  if (shape.rank() != 2 || shape.dim(0) < 1 ||
      shape.dim(1) != static_cast<int64_t>(num_features_)) {
    return InvalidArgument("input '" + in.name + "': expected shape " + in.shape.ToString() +
                           " with at least one row, got " + shape.ToString());
  }
  for (const std::string& name : r.requested_outputs) {
    if (sig.FindOutput(name) == nullptr) {
      return InvalidArgument("model '" + params_.model_name + "' has no output '" + name +
                             "' (outputs: " + Names(sig.outputs) + ")");
    }
  }
  if (r.priority < 0 || r.priority >= params_.settings.priority_levels) {
    return InvalidArgument("priority " + std::to_string(r.priority) + " is out of range: model '" +
                           params_.model_name + "' has priority_levels=" +
                           std::to_string(params_.settings.priority_levels) + " (use 0.." +
                           std::to_string(params_.settings.priority_levels - 1) + ")");
  }
  if (r.timeout_us && *r.timeout_us < 0) {
    return InvalidArgument("timeout_us must not be negative");
  }
  return Status::Ok();
}

Status ServedVersion::Enqueue(std::unique_ptr<InferRequest>& request, InferCallback& done) {
  FERRY_RETURN_IF_ERROR(Validate(*request));
  const TimePoint now = Clock::now();
  const TimePoint received = request->received == TimePoint() ? now : request->received;
  const int64_t timeout_us = request->timeout_us.value_or(params_.settings.default_timeout_us);
  const TimePoint deadline =
      timeout_us > 0 ? received + std::chrono::microseconds(timeout_us) : TimePoint::max();
  if (deadline <= now) {
    if (params_.metrics.timed_out) params_.metrics.timed_out->Increment();
    return DeadlineExceeded("deadline exceeded before the request was queued (timeout " +
                            std::to_string(timeout_us) + " us)");
  }
  Executor* post_to = nullptr;  // post RunInline there
  std::shared_ptr<ServedVersion> keep;
  bool notify_worker = true;
  {
    MutexLock lock(mu_);
    if (!accepting_) {
      return Unavailable("model '" + params_.model_name + "' version " +
                         std::to_string(params_.version) + " is no longer accepting requests");
    }
    if (queued_ >= static_cast<size_t>(params_.settings.max_queue_size)) {
      if (params_.metrics.shed) params_.metrics.shed->Increment();
      return ResourceExhausted("model '" + params_.model_name + "' version " +
                               std::to_string(params_.version) + ": queue is full (" +
                               std::to_string(queued_) + " requests); retry later");
    }
    const size_t level = static_cast<size_t>(request->priority);
    if (run_inline_ && request->executor != nullptr && !weak_from_this().expired()) {
      // The posted task (or the one running) takes it; when every Slot is
      // busy, whoever holds one takes it next (a task posts itself again, a
      // worker loops). Only a new task needs a reference to this version.
      executor_ = request->executor;
      notify_worker = false;
      if (!inline_posted_ && !idle_.empty() && (keep = weak_from_this().lock())) {
        inline_posted_ = true;
        post_to = executor_;
      }
    }
    levels_[level].push_back(Pending{std::move(request), std::move(done), now, deadline, received});
    ++queued_;
  }
  if (params_.metrics.queue_depth) params_.metrics.queue_depth->Increment();
  if (params_.metrics.inflight) params_.metrics.inflight->Increment();
  if (post_to != nullptr) {
    post_to->Post([self = std::move(keep)] { self->RunInline(); });
  } else if (notify_worker) {
    cv_.notify_one();
  }
  return Status::Ok();
}

void ServedVersion::BeginDrain() {
  {
    MutexLock lock(mu_);
    accepting_ = false;
  }
  if (params_.metrics.ready) params_.metrics.ready->Set(0);
  cv_.notify_all();
}

bool ServedVersion::Drain(TimePoint deadline) {
  BeginDrain();
  bool timed_out = false;
  {
    MutexLock lock(mu_);
    MutexAdapter adapter{mu_};
    while (active_workers_ > 0 || inline_running_ > 0) {
      if (cv_.wait_until(adapter, deadline) == std::cv_status::timeout) {
        timed_out = active_workers_ > 0 || inline_running_ > 0;
        break;
      }
    }
    if (timed_out) stop_ = true;
  }
  cv_.notify_all();
  std::vector<Pending> left = TakeAllQueued();
  for (Pending& p : left) {
    Fail(p, Unavailable("server is shutting down; request not executed"));
  }
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  return !timed_out;
}

bool ServedVersion::accepting() const {
  MutexLock lock(mu_);
  return accepting_;
}

int ServedVersion::ParkedWorkers() const {
  MutexLock lock(mu_);
  return workers_parked_;
}

size_t ServedVersion::QueuedCount() const {
  MutexLock lock(mu_);
  return queued_;
}

std::vector<ServedVersion::Pending> ServedVersion::TakeAllQueued() {
  std::vector<Pending> out;
  MutexLock lock(mu_);
  for (auto& level : levels_) {
    for (Pending& p : level) out.push_back(std::move(p));
    level.clear();
  }
  queued_ = 0;
  if (params_.metrics.queue_depth)
    params_.metrics.queue_depth->Add(-static_cast<double>(out.size()));
  return out;
}

TimePoint ServedVersion::TakeNow(Taken* taken) {
  mu_.AssertHeld();
  std::vector<QueuedItem> snapshot;
  std::vector<std::pair<size_t, size_t>> where;  // (level, index) per snapshot item
  const size_t limit = static_cast<size_t>(params_.settings.max_batch_size) + kLookahead;
  for (size_t l = 0; l < levels_.size() && snapshot.size() < limit; ++l) {
    for (size_t i = 0; i < levels_[l].size() && snapshot.size() < limit; ++i) {
      const Pending& p = levels_[l][i];
      snapshot.push_back(QueuedItem{p.request->input.shape().dim(0), p.enqueued, p.deadline,
                                    p.request->cancelled && p.request->cancelled->load()});
      where.emplace_back(l, i);
    }
  }
  BatchDecision d = Decide(snapshot, Clock::now(), params_.settings);
  if (d.batch.empty() && d.expired.empty() && d.cancelled.empty()) return d.wake_at;
  // Move the chosen requests out, then erase the holes (per level, the
  // snapshot covers a prefix of the FIFO).
  std::vector<bool> removed(snapshot.size(), false);
  const std::pair<const std::vector<size_t>*, std::vector<Pending>*> moves[] = {
      {&d.batch, &taken->batch}, {&d.expired, &taken->expired}, {&d.cancelled, &taken->cancelled}};
  for (const auto& [indices, to] : moves) {
    for (size_t k : *indices) {
      to->push_back(std::move(levels_[where[k].first][where[k].second]));
      removed[k] = true;
    }
  }
  for (size_t l = 0; l < levels_.size(); ++l) {
    auto& q = levels_[l];
    size_t k = 0;
    // Compact only the covered prefix; unaffected tail stays in place.
    while (k < where.size() && where[k].first != l) ++k;
    size_t covered = 0;
    for (size_t j = k; j < where.size() && where[j].first == l; ++j) ++covered;
    size_t write = 0;
    for (size_t read = 0; read < covered; ++read) {
      if (!removed[k + read]) {
        if (write != read) q[write] = std::move(q[read]);
        ++write;
      }
    }
    if (write != covered) {
      q.erase(q.begin() + static_cast<long>(write), q.begin() + static_cast<long>(covered));
    }
  }
  const size_t n = taken->batch.size() + taken->expired.size() + taken->cancelled.size();
  queued_ -= n;
  if (params_.metrics.queue_depth) params_.metrics.queue_depth->Add(-static_cast<double>(n));
  return TimePoint::max();
}

bool ServedVersion::NextWork(Taken* taken, Slot** slot) {
  MutexLock lock(mu_);
  MutexAdapter adapter{mu_};
  while (true) {
    if (stop_ || (queued_ == 0 && !accepting_)) {
      --active_workers_;
      cv_.notify_all();
      return false;
    }
    TimePoint wake_at = TimePoint::max();
    if (queued_ > 0 && idle_.empty()) {
      ++workers_waiting_for_slot_;
      cv_.wait(adapter);
      --workers_waiting_for_slot_;
      continue;
    }
    if (queued_ > 0) {
      wake_at = TakeNow(taken);
      if (!taken->empty()) {
        *slot = idle_.back();
        idle_.pop_back();
        return true;
      }
    }
    if (wake_at == TimePoint::max()) {
      ++workers_parked_;
      cv_.wait(adapter);
      --workers_parked_;
    } else {
      cv_.wait_until(adapter, wake_at);
    }
  }
}

void ServedVersion::ReturnSlot(Slot* slot) {
  mu_.AssertHeld();
  idle_.push_back(slot);
  // Idle workers are not woken: the one returning the Slot (or the next
  // posted task) takes what is queued. Drain waits for batches to end.
  if (workers_waiting_for_slot_ > 0 || !accepting_) cv_.notify_all();
}

void ServedVersion::RunInline() {
  Taken taken;
  Slot* slot = nullptr;
  {
    MutexLock lock(mu_);
    inline_posted_ = false;
    if (stop_ || queued_ == 0 || idle_.empty()) return;
    TakeNow(&taken);
    if (taken.empty()) return;  // cannot happen with max_queue_delay_us 0; workers wait then
    slot = idle_.back();
    idle_.pop_back();
    ++inline_running_;
  }
  Answer(taken, *slot);
  Executor* post_to = nullptr;
  std::shared_ptr<ServedVersion> keep;
  {
    MutexLock lock(mu_);
    --inline_running_;
    ReturnSlot(slot);
    if (queued_ > 0 && !inline_posted_ && !stop_ && executor_ != nullptr) {
      if ((keep = weak_from_this().lock())) {
        inline_posted_ = true;
        post_to = executor_;
      }
    }
  }
  if (post_to != nullptr) post_to->Post([self = std::move(keep)] { self->RunInline(); });
}

void ServedVersion::Fail(Pending& p, Status status) {
  const TimePoint now = Clock::now();
  params_.stats->RecordFailure(Nanos(p.received, now));
  if (params_.observer) params_.observer->ObserveError();
  if (params_.metrics.inflight) params_.metrics.inflight->Decrement();
  InferCallback done = std::move(p.done);
  p.request.reset();
  done(std::move(status));
}

void ServedVersion::WorkerLoop() {
  Taken taken;
  Slot* slot = nullptr;
  while (NextWork(&taken, &slot)) {
    Answer(taken, *slot);
    taken.clear();
    MutexLock lock(mu_);
    ReturnSlot(slot);
  }
}

void ServedVersion::Answer(Taken& taken, Slot& slot) {
  Tensor& batch_buffer = slot.batch_buffer;
  backends::Session& session = *slot.session;
  const TimePoint dispatched = Clock::now();
  for (Pending& p : taken.expired) {
    if (params_.metrics.timed_out) params_.metrics.timed_out->Increment();
    Fail(p, DeadlineExceeded("deadline exceeded: the request waited " +
                             std::to_string(Nanos(p.enqueued, dispatched) / 1000) +
                             " us in the queue and was not executed"));
  }
  for (Pending& p : taken.cancelled) {
    if (params_.metrics.cancelled) params_.metrics.cancelled->Increment();
    Fail(p, Cancelled("request cancelled by the client"));
  }
  if (taken.batch.empty()) return;

  // Gather: one request runs on its own tensor; several are copied into
  // the worker's reused batch buffer.
  int64_t rows = 0;
  for (const Pending& p : taken.batch) rows += p.request->input.shape().dim(0);
  TensorView view;
  if (taken.batch.size() == 1) {
    view = taken.batch[0].request->input.View();
  } else {
    batch_buffer.ResizeDim(0, rows);
    char* dst = static_cast<char*>(batch_buffer.mutable_data());
    for (const Pending& p : taken.batch) {
      const size_t bytes = p.request->input.ByteSize();
      std::memcpy(dst, p.request->input.data(), bytes);
      dst += bytes;
    }
    view = batch_buffer.View();
  }
  for (const Pending& p : taken.batch) {
    if (params_.metrics.queue_seconds) {
      params_.metrics.queue_seconds->Observe(Seconds(p.enqueued, dispatched));
    }
  }
  const TimePoint compute_start = Clock::now();
  auto outputs = session.Run(std::span<const TensorView>(&view, 1));  // no lock held
  const TimePoint compute_end = Clock::now();
  if (params_.metrics.compute_seconds) {
    params_.metrics.compute_seconds->Observe(Seconds(compute_start, compute_end));
  }
  if (params_.metrics.batch_size) params_.metrics.batch_size->Observe(static_cast<double>(rows));
  params_.stats->RecordBatch(static_cast<uint64_t>(rows));
  if (!outputs.ok()) {
    for (Pending& p : taken.batch) Fail(p, outputs.status());
    return;
  }

  // Scatter: each request gets its rows of each (requested) output.
  int64_t row_offset = 0;
  for (Pending& p : taken.batch) {
    const int64_t req_rows = p.request->input.shape().dim(0);
    Result<InferResponse> response = Slice(*p.request, *outputs, rows, row_offset);
    row_offset += req_rows;
    if (!response.ok()) {
      Fail(p, response.status());
      continue;
    }
    const TimePoint end = Clock::now();
    params_.stats->RecordSuccess(Nanos(p.received, end), Nanos(p.enqueued, dispatched),
                                 Nanos(compute_start, compute_end));
    if (params_.metrics.inflight) params_.metrics.inflight->Decrement();
    if (params_.observer) {
      params_.observer->ObserveSuccess(*p.request, *response, Nanos(p.received, end) / 1000);
    }
    InferCallback done = std::move(p.done);
    p.request.reset();
    done(std::move(response));
  }
}

Result<InferResponse> ServedVersion::Slice(InferRequest& req, std::span<const Tensor> outputs,
                                           int64_t batch_rows, int64_t row_offset) const {
  const Signature& sig = params_.model->signature();
  const int64_t req_rows = req.input.shape().dim(0);
  InferResponse response;
  response.model = params_.model_name;
  response.version = params_.version;
  for (size_t o = 0; o < outputs.size() && o < sig.outputs.size(); ++o) {
    const std::string& name = sig.outputs[o].name;
    if (!req.requested_outputs.empty() &&
        std::find(req.requested_outputs.begin(), req.requested_outputs.end(), name) ==
            req.requested_outputs.end()) {
      continue;
    }
    const Tensor& out = outputs[o];
    std::vector<int64_t> dims = out.shape().dims();
    if (dims.empty() || dims[0] != batch_rows) {
      return Internal("model '" + params_.model_name + "' returned output '" + name +
                      "' of shape " + out.shape().ToString() + " for " +
                      std::to_string(batch_rows) + " rows");
    }
    const size_t row_bytes = out.ByteSize() / static_cast<size_t>(batch_rows);
    dims[0] = req_rows;
    Tensor slice(out.type(), Shape(std::move(dims)));
    std::memcpy(slice.mutable_data(),
                static_cast<const char*>(out.data()) + static_cast<size_t>(row_offset) * row_bytes,
                static_cast<size_t>(req_rows) * row_bytes);
    response.outputs.push_back(NamedTensor{name, std::move(slice)});
  }
  response.id = std::move(req.id);
  response.key = std::move(req.key);
  response.row_keys = std::move(req.row_keys);
  return response;
}

}  // namespace ferry::serving

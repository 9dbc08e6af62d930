#include "ferry/monitor/prediction_logger.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>
#include <vector>

namespace ferry::monitor {
namespace {

// Lets std::condition_variable_any wait on a ferry::Mutex the caller holds.
struct MutexAdapter {
  Mutex& mu;
  void lock() FERRY_TSA(no_thread_safety_analysis) { mu.Lock(); }
  void unlock() FERRY_TSA(no_thread_safety_analysis) { mu.Unlock(); }
};

}  // namespace

bool KeepBySampling(uint64_t i, double rate) {
  if (rate >= 1.0) return true;
  double a = std::floor(static_cast<double>(i + 1) * rate);
  double b = std::floor(static_cast<double>(i) * rate);
  return a > b;
}

Result<std::unique_ptr<PredictionLogger>> PredictionLogger::Create(
    std::unique_ptr<SegmentLog> log, PredictionLoggerOptions options) {
  if (log == nullptr) return InvalidArgument("prediction logger: no segment log");
  if (options.capacity_records == 0)
    return InvalidArgument("prediction logger: capacity must be positive");
  if (!(options.sample_rate >= 0.0 && options.sample_rate <= 1.0)) {
    return InvalidArgument("prediction logger: sample rate must be in [0, 1]");
  }
  std::unique_ptr<PredictionLogger> logger(
      new PredictionLogger(std::move(log), std::move(options)));
  logger->thread_ = std::jthread([p = logger.get()](std::stop_token stop) { p->Run(stop); });
  return logger;
}

PredictionLogger::PredictionLogger(std::unique_ptr<SegmentLog> log, PredictionLoggerOptions options)
    : options_(std::move(options)), log_(std::move(log)) {}

PredictionLogger::~PredictionLogger() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PredictionLogger::Admit(size_t bytes) {
  uint64_t i = offered_++;
  if (!KeepBySampling(i, options_.sample_rate)) {
    ++sampled_out_;
    return false;
  }
  if (queued_records_ >= options_.capacity_records ||
      queue_.size() + bytes > std::max(options_.capacity_bytes, bytes)) {
    ++dropped_;
    return false;
  }
  return true;
}

void PredictionLogger::Enqueue(std::string_view frame, int64_t time_ms) {
  queue_ += frame;
  queued_first_ms_ = queued_records_ == 0 ? time_ms : std::min(queued_first_ms_, time_ms);
  queued_last_ms_ = queued_records_ == 0 ? time_ms : std::max(queued_last_ms_, time_ms);
  ++queued_records_;
  ++enqueued_;
}

bool PredictionLogger::Offer(const PredictionRecord& record) {
  std::string frame;
  Status s = AppendRecord(record, options_.validate_json, &frame);
  if (!s.ok()) {
    MutexLock lock(mu_);
    ++offered_;
    ++failed_;
    if (first_error_.ok()) first_error_ = s;
    return false;
  }
  return OfferFrame(frame, record.time_ms);
}

bool PredictionLogger::OfferFrame(std::string_view frame, int64_t time_ms) {
  {
    MutexLock lock(mu_);
    if (!Admit(frame.size())) return false;
    Enqueue(frame, time_ms);
    // The writer wakes on its own every batch_interval_ms; only a full
    // batch wakes it early.
    if (queued_records_ != std::max<size_t>(1, options_.wake_records)) return true;
  }
  cv_.notify_all();
  return true;
}

uint32_t PredictionLogger::AddSchema(const RowSchema& schema) {
  MutexLock lock(mu_);
  const uint32_t id = schemas_++;
  std::string frame;
  AppendSchemaRecord(id, schema, &frame);
  new_schemas_.push_back(std::move(frame));
  return id;
}

Status PredictionLogger::Flush() {
  MutexLock lock(mu_);
  uint64_t target = enqueued_;
  MutexAdapter adapter{mu_};
  ++flush_waiters_;
  cv_.notify_all();  // the writer drains now instead of at its next interval
  while (done_ < target) {
    mu_.AssertHeld();
    cv_.wait(adapter);
  }
  mu_.AssertHeld();
  --flush_waiters_;
  return first_error_;
}

void PredictionLogger::Run(std::stop_token) {
  MutexAdapter adapter{mu_};
  std::string batch;
  std::vector<std::string> schemas;
  while (true) {
    size_t records = 0;
    int64_t first_ms = 0, last_ms = 0;
    {
      MutexLock lock(mu_);
      const auto wake_at =
          std::chrono::steady_clock::now() +
          std::chrono::milliseconds(std::max<int64_t>(1, options_.batch_interval_ms));
      const size_t threshold = std::max<size_t>(1, options_.wake_records);
      while (!stopping_ &&
             (queued_records_ == 0 || (flush_waiters_ == 0 && queued_records_ < threshold))) {
        mu_.AssertHeld();
        if (cv_.wait_until(adapter, wake_at) == std::cv_status::timeout) break;
      }
      mu_.AssertHeld();
      if (queued_records_ == 0 && stopping_) break;
      batch.swap(queue_);  // queue_ gets the last batch's buffer back, emptied
      records = queued_records_;
      first_ms = queued_first_ms_;
      last_ms = queued_last_ms_;
      queued_records_ = 0;
      schemas.swap(new_schemas_);
    }
    // Schemas first: the batch's rows may refer to them.
    for (std::string& frame : schemas) log_->AddSchema(std::move(frame));
    schemas.clear();
    Status appended;
    if (records > 0) {
      if (options_.before_write) options_.before_write();
      appended = log_->AppendFrames(batch, first_ms, last_ms);
    }
    Status first = appended;
    Status fs = log_->Flush();
    if (first.ok() && !fs.ok()) first = fs;
    Status rs = log_->RotateIfExpired();
    if (first.ok() && !rs.ok()) first = rs;
    {
      MutexLock lock(mu_);
      // The batch stands or falls as a whole: it was one append.
      (appended.ok() ? written_ : failed_) += records;
      done_ += records;
      if (first_error_.ok() && !first.ok()) first_error_ = first;
    }
    batch.clear();
    cv_.notify_all();
  }
  (void)log_->Flush();
}

uint64_t PredictionLogger::dropped() const {
  MutexLock lock(mu_);
  return dropped_;
}
uint64_t PredictionLogger::sampled_out() const {
  MutexLock lock(mu_);
  return sampled_out_;
}
uint64_t PredictionLogger::written() const {
  MutexLock lock(mu_);
  return written_;
}
uint64_t PredictionLogger::failed() const {
  MutexLock lock(mu_);
  return failed_;
}

}  // namespace ferry::monitor

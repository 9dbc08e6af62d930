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

bool PredictionLogger::Offer(PredictionRecord record) {
  {
    MutexLock lock(mu_);
    uint64_t i = offered_++;
    if (!KeepBySampling(i, options_.sample_rate)) {
      ++sampled_out_;
      return false;
    }
    if (queue_.size() >= options_.capacity_records) {
      ++dropped_;
      return false;
    }
    queue_.push_back(std::move(record));
    ++enqueued_;
    // The writer wakes on its own every batch_interval_ms; only a full
    // batch wakes it early.
    if (queue_.size() != std::max<size_t>(1, options_.wake_records)) return true;
  }
  cv_.notify_all();
  return true;
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
  std::vector<PredictionRecord> batch;
  while (true) {
    {
      MutexLock lock(mu_);
      const auto wake_at =
          std::chrono::steady_clock::now() +
          std::chrono::milliseconds(std::max<int64_t>(1, options_.batch_interval_ms));
      const size_t threshold = std::max<size_t>(1, options_.wake_records);
      while (!stopping_ && (queue_.empty() || (flush_waiters_ == 0 && queue_.size() < threshold))) {
        mu_.AssertHeld();
        if (cv_.wait_until(adapter, wake_at) == std::cv_status::timeout) break;
      }
      mu_.AssertHeld();
      if (queue_.empty() && stopping_) break;
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
    }
    uint64_t ok = 0, bad = 0;
    Status first;
    for (const PredictionRecord& r : batch) {
      if (options_.before_write) options_.before_write();
      Status s = log_->Append(r, options_.validate_json);
      if (s.ok()) {
        ++ok;
      } else {
        ++bad;
        if (first.ok()) first = s;
      }
    }
    Status fs = log_->Flush();
    if (first.ok() && !fs.ok()) first = fs;
    Status rs = log_->RotateIfExpired();
    if (first.ok() && !rs.ok()) first = rs;
    {
      MutexLock lock(mu_);
      written_ += ok;
      failed_ += bad;
      done_ += batch.size();
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

#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/base/status.h"
#include "ferry/base/thread_annotations.h"
#include "ferry/monitor/segment_log.h"

namespace ferry::monitor {

// Deterministic sampling: offer number i (from 0) is kept when
// floor((i+1)*rate) > floor(i*rate), so exactly floor(n*rate) of n are kept.
bool KeepBySampling(uint64_t i, double rate);

struct PredictionLoggerOptions {
  // The bounded queue between Offer and the writer: at most this many
  // records, and this many bytes of them.
  size_t capacity_records = 10'000;
  size_t capacity_bytes = size_t{32} << 20;
  double sample_rate = 1.0;  // in [0, 1]; 1 = every record
  // The writer drains the queue this often (and then rotates a segment that
  // grew too old), or as soon as wake_records are queued, or on Flush. Offer
  // wakes it only at that threshold, so a request never pays for a thread
  // switch.
  int64_t batch_interval_ms = 50;
  size_t wake_records = 1024;
  // False: records' inputs/outputs are trusted to be JSON (not re-parsed).
  bool validate_json = true;
  // Test hook: runs on the writer thread before each batch of records is
  // written.
  std::function<void()> before_write;
};

// Records predictions without blocking the caller: Offer() and OfferFrame()
// append framed records to a bounded queue of bytes that one background
// thread drains into a SegmentLog. Thread-safe. The destructor drains what
// was queued, then stops the thread.
class PredictionLogger {
 public:
  // InvalidArgument for capacity 0 or a sample rate outside [0, 1].
  static Result<std::unique_ptr<PredictionLogger>> Create(std::unique_ptr<SegmentLog> log,
                                                          PredictionLoggerOptions options);
  ~PredictionLogger();
  PredictionLogger(const PredictionLogger&) = delete;
  PredictionLogger& operator=(const PredictionLogger&) = delete;

  // Never blocks on I/O. Offer number i (from 0) is kept by sampling when
  // floor((i+1)*rate) > floor(i*rate). Returns true when queued; false when
  // sampled out or dropped because the queue is full (counted in dropped()).
  // A record that is not JSON where validate_json asks is refused at once:
  // false, counted in failed(), its error returned by the next Flush.
  bool Offer(const PredictionRecord& record) EXCLUDES(mu_);
  // As Offer, for a record the caller framed (AppendRowRecord) at `time_ms`.
  bool OfferFrame(std::string_view frame, int64_t time_ms) EXCLUDES(mu_);
  // Defines a row schema for the frames offered after this call; returns its
  // id (0, 1, … in call order).
  uint32_t AddSchema(const RowSchema& schema) EXCLUDES(mu_);

  // Waits until everything offered before the call is written to the segment
  // file (flushed, not fsynced). Returns the first write error seen, if any.
  Status Flush() EXCLUDES(mu_);

  uint64_t dropped() const EXCLUDES(mu_);      // full queue
  uint64_t sampled_out() const EXCLUDES(mu_);  // not kept by sampling
  uint64_t written() const EXCLUDES(mu_);      // appended to the log
  uint64_t failed() const EXCLUDES(mu_);       // appends that returned an error

 private:
  PredictionLogger(std::unique_ptr<SegmentLog> log, PredictionLoggerOptions options);
  void Run(std::stop_token stop);
  // The sampling decision and the bounds; true when `bytes` more fit.
  bool Admit(size_t bytes) REQUIRES(mu_);
  void Enqueue(std::string_view frame, int64_t time_ms) REQUIRES(mu_);

  const PredictionLoggerOptions options_;
  std::unique_ptr<SegmentLog> log_;  // used only on the writer thread after Create

  mutable Mutex mu_;
  std::condition_variable_any cv_;
  std::string queue_ GUARDED_BY(mu_);  // framed records
  size_t queued_records_ GUARDED_BY(mu_) = 0;
  int64_t queued_first_ms_ GUARDED_BY(mu_) = 0;  // least and greatest time_ms queued
  int64_t queued_last_ms_ GUARDED_BY(mu_) = 0;
  std::vector<std::string> new_schemas_ GUARDED_BY(mu_);  // framed, not yet given to log_
  uint32_t schemas_ GUARDED_BY(mu_) = 0;
  uint64_t offered_ GUARDED_BY(mu_) = 0;
  uint64_t enqueued_ GUARDED_BY(mu_) = 0;  // sequence number of the last queued record
  uint64_t done_ GUARDED_BY(mu_) = 0;      // records processed (written or failed) and flushed
  uint64_t dropped_ GUARDED_BY(mu_) = 0;
  uint64_t sampled_out_ GUARDED_BY(mu_) = 0;
  uint64_t written_ GUARDED_BY(mu_) = 0;
  uint64_t failed_ GUARDED_BY(mu_) = 0;
  Status first_error_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  int flush_waiters_ GUARDED_BY(mu_) = 0;

  std::jthread thread_;  // last: started after, and joined before, the rest is destroyed
};

}  // namespace ferry::monitor

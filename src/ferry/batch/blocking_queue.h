#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <optional>

#include "ferry/base/thread_annotations.h"

namespace ferry::batch {

// A bounded FIFO between threads. Push blocks while the queue is full; Pop blocks while it is
// empty. After Close, Push refuses new items and Pop drains what is left, then returns nullopt.
// Thread-safe.
template <typename T>
class BlockingQueue {
 public:
  explicit BlockingQueue(size_t capacity) : capacity_(capacity) {}

  // False (and `item` dropped) when the queue is closed.
  bool Push(T item) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    Lockable l(mu_);
    while (!closed_ && items_.size() >= capacity_) not_full_.wait(l);
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  // The oldest item; nullopt once the queue is closed and empty.
  std::optional<T> Pop() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    Lockable l(mu_);
    while (!closed_ && items_.empty()) not_empty_.wait(l);
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  void Close() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  // Closes and drops the items still queued.
  void Cancel() EXCLUDES(mu_) {
    std::deque<T> dropped;
    {
      MutexLock lock(mu_);
      closed_ = true;
      dropped.swap(items_);
      not_full_.notify_all();
      not_empty_.notify_all();
    }
  }

 private:
  // Lets std::condition_variable_any unlock and relock a held Mutex while it waits.
  class Lockable {
   public:
    explicit Lockable(Mutex& mu) : mu_(mu) {}
    void lock() FERRY_TSA(no_thread_safety_analysis) { mu_.Lock(); }
    void unlock() FERRY_TSA(no_thread_safety_analysis) { mu_.Unlock(); }

   private:
    Mutex& mu_;
  };

  const size_t capacity_;
  Mutex mu_;
  std::condition_variable_any not_full_;
  std::condition_variable_any not_empty_;
  std::deque<T> items_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
};

}  // namespace ferry::batch

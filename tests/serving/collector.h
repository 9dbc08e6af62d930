#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "ferry/serving/inference_service.h"

namespace ferry::serving::testing {

// Collects callback results in completion order; thread-safe.
class Collector {
 public:
  // A callback that records its result under `tag`.
  InferCallback Callback(std::string tag) {
    return [this, tag = std::move(tag)](Result<InferResponse> r) {
      std::lock_guard lock(mu_);
      order_.push_back(tag);
      results_.push_back(std::move(r));
      cv_.notify_all();
    };
  }
  // Waits until `n` results arrived.
  void WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return results_.size() >= n; });
  }
  std::vector<std::string> order() {
    std::lock_guard lock(mu_);
    return order_;
  }
  // The result recorded under `tag` (the first one).
  Result<InferResponse> Get(const std::string& tag) {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < order_.size(); ++i) {
      if (order_[i] == tag) return results_[i];
    }
    return NotFound("no result for " + tag);
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return results_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> order_;
  std::vector<Result<InferResponse>> results_;
};

}  // namespace ferry::serving::testing

#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "ferry/backends/backend.h"

// A backend model for fault tests: y = sum of the row's features, computed
// for real; switches make Run block until released (a slow backend) or
// fail. Records the batch sizes it ran. Thread-safe.
namespace ferry::serving::testing {

class FakeModelControl {
 public:
  // While held, every Run waits (after recording its start).
  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  void set_fail(bool f) { fail_ = f; }
  bool fail() const { return fail_; }

  // Blocks until `n` Runs have started.
  void WaitStarted(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }
  std::vector<int64_t> batch_rows() {
    std::lock_guard lock(mu_);
    return batch_rows_;
  }

  void OnRun(int64_t rows) {
    std::unique_lock lock(mu_);
    ++started_;
    batch_rows_.push_back(rows);
    cv_.notify_all();
    cv_.wait(lock, [&] { return !held_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  int started_ = 0;
  std::vector<int64_t> batch_rows_;
  std::atomic<bool> fail_{false};
};

class FakeSession : public backends::Session {
 public:
  explicit FakeSession(std::shared_ptr<FakeModelControl> control) : control_(std::move(control)) {}
  Result<std::span<const Tensor>> Run(std::span<const TensorView> inputs) override {
    const TensorView& in = inputs[0];
    const int64_t rows = in.shape().dim(0), cols = in.shape().dim(1);
    control_->OnRun(rows);
    if (control_->fail()) return Internal("fake backend failure");
    out_.assign(1, Tensor(DataType::kFp32, Shape{rows}));
    auto x = in.Data<float>();
    auto y = out_[0].MutableData<float>();
    for (int64_t r = 0; r < rows; ++r) {
      float sum = 0;
      for (int64_t c = 0; c < cols; ++c) sum += x[static_cast<size_t>(r * cols + c)];
      y[static_cast<size_t>(r)] = sum;
    }
    return std::span<const Tensor>(out_);
  }

 private:
  std::shared_ptr<FakeModelControl> control_;
  std::vector<Tensor> out_;
};

class FakeModel : public backends::Model {
 public:
  FakeModel(int64_t features, std::shared_ptr<FakeModelControl> control)
      : control_(std::move(control)) {
    sig_.inputs.push_back(TensorSpec{"features", DataType::kFp32, Shape{-1, features}, {}});
    sig_.outputs.push_back(TensorSpec{"y", DataType::kFp32, Shape{-1}, {}});
  }
  const Signature& signature() const override { return sig_; }
  Task task() const override { return Task::kRegression; }
  Result<std::unique_ptr<backends::Session>> NewSession() const override {
    return std::unique_ptr<backends::Session>(std::make_unique<FakeSession>(control_));
  }

 private:
  Signature sig_;
  std::shared_ptr<FakeModelControl> control_;
};

}  // namespace ferry::serving::testing

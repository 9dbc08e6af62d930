#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ferry/base/thread_annotations.h"
#include "ferry/monitor/drift.h"
#include "ferry/monitor/feedback_store.h"
#include "ferry/monitor/live/window.h"
#include "ferry/monitor/prediction_logger.h"
#include "ferry/serving/prediction_observer.h"
#include "ferry/tensor/signature.h"
#include "ferry/tensor/task.h"

// The monitor of one served model version: counts every answer into the
// open window (drift counts on the baseline's bins, latency, errors) and
// hands one record per row to the model's prediction log.
namespace ferry::monitor {

// What a model's versions share: its prediction log, the sampler, and the
// recent keyed predictions feedback is joined with.
struct ModelLog {
  std::unique_ptr<PredictionLogger> logger;  // null: no prediction log
  std::unique_ptr<FeedbackStore> feedback;   // null: keys are not remembered
  double sample_rate = 1.0;
  std::atomic<uint64_t> offered{0};
  // Sampling: offer i (from 0) is kept when floor((i+1)r) > floor(ir).
  bool Keep();
};

class VersionMonitor final : public serving::PredictionObserver {
 public:
  // `reference`: the baseline's bins (null: no drift for this version).
  // `log`: the model's prediction log (may hold no logger); outlives this.
  VersionMonitor(std::string model, int64_t version, Task task, const Signature& signature,
                 std::shared_ptr<const DriftReference> reference, ModelLog* log,
                 int64_t windows_kept, int64_t now_ms);

  void ObserveSuccess(const serving::InferRequest& request, const serving::InferResponse& response,
                      int64_t latency_us) override EXCLUDES(mu_);
  void ObserveError() override EXCLUDES(mu_);

  // Adds joined feedback (the prediction's scores and the parsed label) to
  // the open window. InvalidArgument when they do not fit the task.
  Status AddFeedback(std::span<const double> scores, double label) EXCLUDES(mu_);
  // Counts feedback whose prediction was not found.
  void CountUnmatched(int64_t n) EXCLUDES(mu_);

  // Closes the open window at `end_ms` (kept in the history) and opens the
  // next one there. Returns the closed window.
  Window CloseWindow(int64_t end_ms) EXCLUDES(mu_);
  // The windows a query means, merged; `now_ms` ends the open window.
  Window Query(const WindowQuery& query, int64_t now_ms) const EXCLUDES(mu_);

  const std::string& model() const { return model_; }
  int64_t version() const { return version_; }
  Task task() const { return task_; }
  bool has_baseline() const { return reference_ != nullptr; }
  // Drift of the features the inputs feed and of the prediction (when the
  // baseline profiles it; named "prediction"), in baseline order. Baseline
  // features no input feeds, such as a profiled label, are left out.
  std::vector<FeatureDrift> Drift(const DriftCounts& counts) const;

 private:
  Window Fresh(int64_t start_ms) const;
  // The response's per-row prediction values when the baseline profiles
  // the prediction; null otherwise.
  const float* PredictionValues(const serving::InferResponse& response, int64_t rows) const;
  void Remember(const serving::InferResponse& response, int64_t rows, int64_t now_ms);
  // One record per sampled row of `x` (rows × columns, signature order).
  void Log(const float* x, int64_t rows, size_t columns, const serving::InferResponse& response,
           int64_t latency_us, int64_t now_ms);

  const std::string model_;
  const int64_t version_;
  const Task task_;
  const std::shared_ptr<const DriftReference> reference_;
  ModelLog* const log_;
  const size_t windows_kept_;
  // Per input column: the baseline feature it feeds (-1: none).
  std::vector<int64_t> feature_of_column_;
  // The log's row schema of this version (when it logs): the input columns
  // and the signature's outputs, by name.
  RowSchema schema_;
  uint32_t schema_id_ = 0;
  std::vector<bool> reported_;  // per reference feature: in Drift()'s result

  mutable Mutex mu_;
  Window open_ GUARDED_BY(mu_);
  std::deque<Window> closed_ GUARDED_BY(mu_);  // oldest first
};

}  // namespace ferry::monitor

#include "ferry/monitor/live/version_monitor.h"

#include <algorithm>
#include <utility>

#include "ferry/base/wall_clock.h"

namespace ferry::monitor {
namespace {

// The key of row `r`: its entry of the request's `keys` input, or
// parameters.key for a one-row request; empty otherwise.
std::string_view RowKey(const serving::InferResponse& response, int64_t rows, int64_t r) {
  if (static_cast<size_t>(rows) == response.row_keys.size()) {
    return response.row_keys[static_cast<size_t>(r)];
  }
  return rows == 1 ? std::string_view(response.key) : std::string_view();
}

// The task's output (binary "probability", multiclass "probabilities",
// regression "prediction") when it holds `rows` rows of FP32; else null.
const serving::NamedTensor* TaskOutput(const serving::InferResponse& response, int64_t rows) {
  for (const serving::NamedTensor& o : response.outputs) {
    if ((o.name == "probability" || o.name == "probabilities" || o.name == "prediction") &&
        o.tensor.type() == DataType::kFp32 && o.tensor.shape().rank() > 0 &&
        o.tensor.shape().dim(0) == rows && rows > 0) {
      return &o;
    }
  }
  return nullptr;
}

}  // namespace

bool ModelLog::Keep() {
  if (sample_rate >= 1.0) return true;
  return KeepBySampling(offered.fetch_add(1, std::memory_order_relaxed), sample_rate);
}

VersionMonitor::VersionMonitor(std::string model, int64_t version, Task task,
                               const Signature& signature,
                               std::shared_ptr<const DriftReference> reference, ModelLog* log,
                               int64_t windows_kept, int64_t now_ms)
    : model_(std::move(model)),
      version_(version),
      task_(task),
      reference_(std::move(reference)),
      log_(log),
      windows_kept_(static_cast<size_t>(std::max<int64_t>(1, windows_kept))) {
  if (!signature.inputs.empty()) {
    const TensorSpec& in = signature.inputs[0];
    const int64_t columns = in.shape.rank() > 0 ? in.shape.dim(in.shape.rank() - 1) : 0;
    for (int64_t c = 0; c < columns; ++c) {
      const std::string name = static_cast<size_t>(c) < in.features.size()
                                   ? in.features[static_cast<size_t>(c)]
                                   : "f" + std::to_string(c);
      schema_.columns.push_back(name);
      int64_t f = reference_ ? reference_->Find(name) : -1;
      // Served inputs are numbers: a categorical baseline feature cannot be
      // fed (nor the prediction's entry by an input of that name).
      if (f >= 0) {
        const FeatureBins& b = reference_->features[static_cast<size_t>(f)];
        if (!b.numeric || b.is_prediction) f = -1;
      }
      feature_of_column_.push_back(f);
    }
  }
  if (reference_) {
    // Reported: the features an input feeds, and the prediction.
    reported_.assign(reference_->features.size(), false);
    for (int64_t f : feature_of_column_) {
      if (f >= 0) reported_[static_cast<size_t>(f)] = true;
    }
    if (reference_->prediction_index >= 0) {
      reported_[static_cast<size_t>(reference_->prediction_index)] = true;
    }
  }
  if (log_ != nullptr && log_->logger != nullptr) {
    schema_.model = model_;
    schema_.version = version_;
    for (const TensorSpec& out : signature.outputs) schema_.outputs.push_back(out.name);
    schema_id_ = log_->logger->AddSchema(schema_);
  }
  MutexLock lock(mu_);
  open_ = Fresh(now_ms);
}

std::vector<FeatureDrift> VersionMonitor::Drift(const DriftCounts& counts) const {
  std::vector<FeatureDrift> all = ComputeDrift(counts);
  std::vector<FeatureDrift> out;
  for (size_t f = 0; f < all.size() && f < reported_.size(); ++f) {
    if (reported_[f]) out.push_back(std::move(all[f]));
  }
  return out;
}

const float* VersionMonitor::PredictionValues(const serving::InferResponse& response,
                                              int64_t rows) const {
  if (!reference_ || reference_->prediction_index < 0 || rows <= 0) return nullptr;
  for (const serving::NamedTensor& o : response.outputs) {
    if ((o.name == "probability" || o.name == "prediction") && o.tensor.type() == DataType::kFp32 &&
        o.tensor.NumElements() == rows) {
      return static_cast<const float*>(o.tensor.data());
    }
  }
  return nullptr;  // filtered out by the request's `outputs`
}

Window VersionMonitor::Fresh(int64_t start_ms) const {
  Window w;
  w.start_ms = start_ms;
  if (reference_) w.drift.emplace(*reference_);
  // Closed windows are kept (windows_kept): bound what each keeps for AUC.
  PerformanceOptions performance;
  performance.max_auc_pairs = kWindowAucPairs;
  w.performance.emplace(task_, performance);
  return w;
}

Status VersionMonitor::AddFeedback(std::span<const double> scores, double label) {
  MutexLock lock(mu_);
  return open_.performance->Add(scores, label);
}

void VersionMonitor::CountUnmatched(int64_t n) {
  MutexLock lock(mu_);
  open_.performance->CountUnmatched(n);
}

void VersionMonitor::Remember(const serving::InferResponse& response, int64_t rows,
                              int64_t now_ms) {
  // The task's output: one value per row, or (multiclass) one per class.
  const serving::NamedTensor* out = TaskOutput(response, rows);
  if (out == nullptr) return;
  const size_t per_row = static_cast<size_t>(out->tensor.NumElements() / rows);
  const float* v = static_cast<const float*>(out->tensor.data());
  for (int64_t r = 0; r < rows; ++r) {
    const std::string_view key = RowKey(response, rows, r);
    if (key.empty()) continue;
    LoggedPrediction p;
    p.version = version_;
    p.time_ms = now_ms;
    p.scores.assign(v + static_cast<size_t>(r) * per_row, v + static_cast<size_t>(r + 1) * per_row);
    log_->feedback->Remember(key, std::move(p));
  }
}

void VersionMonitor::ObserveSuccess(const serving::InferRequest& request,
                                    const serving::InferResponse& response, int64_t latency_us) {
  const Shape& shape = request.input.shape();
  const int64_t rows = shape.rank() > 0 ? shape.dim(0) : 0;
  const size_t columns = shape.rank() > 1 ? static_cast<size_t>(shape.dim(1)) : 0;
  const bool countable = request.input.type() == DataType::kFp32 &&
                         columns == feature_of_column_.size() && reference_ != nullptr;
  const float* predictions = PredictionValues(response, rows);
  {
    MutexLock lock(mu_);
    ++open_.requests;
    open_.rows += rows;
    ++open_.latency[LatencyBucketOf(latency_us)];
    if (countable && open_.drift) {
      const float* x = static_cast<const float*>(request.input.data());
      DriftCounts& counts = *open_.drift;
      for (int64_t r = 0; r < rows; ++r, x += columns) {
        for (size_t c = 0; c < columns; ++c) {
          const int64_t f = feature_of_column_[c];
          if (f >= 0) counts.AddNumber(static_cast<size_t>(f), static_cast<double>(x[c]));
        }
      }
    }
    if (predictions != nullptr && open_.drift) {
      const size_t p = static_cast<size_t>(reference_->prediction_index);
      for (int64_t r = 0; r < rows; ++r) {
        open_.drift->AddNumber(p, static_cast<double>(predictions[r]));
      }
    }
  }
  if (log_ == nullptr) return;
  const int64_t now_ms = WallClockMs();
  if (log_->feedback != nullptr) Remember(response, rows, now_ms);
  if (log_->logger != nullptr && request.input.type() == DataType::kFp32 &&
      columns == schema_.columns.size()) {
    Log(static_cast<const float*>(request.input.data()), rows, columns, response, latency_us,
        now_ms);
  }
}

void VersionMonitor::Log(const float* x, int64_t rows, size_t columns,
                         const serving::InferResponse& response, int64_t latency_us,
                         int64_t now_ms) {
  // Reused by every call on this thread: a record costs no allocation.
  thread_local std::string frame;
  thread_local std::vector<RowOutput> outputs;
  for (int64_t r = 0; r < rows; ++r) {
    if (!log_->Keep()) continue;
    outputs.clear();
    for (const serving::NamedTensor& o : response.outputs) {
      if (o.tensor.type() != DataType::kFp32 || o.tensor.shape().rank() == 0) continue;
      if (o.tensor.shape().dim(0) != rows) continue;
      auto name = std::find(schema_.outputs.begin(), schema_.outputs.end(), o.name);
      if (name == schema_.outputs.end()) continue;
      const size_t per_row = static_cast<size_t>(o.tensor.NumElements() / rows);
      const float* v =
          static_cast<const float*>(o.tensor.data()) + static_cast<size_t>(r) * per_row;
      outputs.push_back(RowOutput{.index = static_cast<uint16_t>(name - schema_.outputs.begin()),
                                  .scalar = o.tensor.shape().rank() == 1,
                                  .values = {v, per_row}});
    }
    frame.clear();
    const std::span<const float> row(x + static_cast<size_t>(r) * columns, columns);
    if (AppendRowRecord(schema_id_, now_ms, latency_us, RowKey(response, rows, r), row, outputs,
                        &frame)) {
      log_->logger->OfferFrame(frame, now_ms);
    }
  }
}

void VersionMonitor::ObserveError() {
  MutexLock lock(mu_);
  ++open_.errors;
}

Window VersionMonitor::CloseWindow(int64_t end_ms) {
  Window next = Fresh(end_ms);
  MutexLock lock(mu_);
  Window closed = std::move(open_);
  open_ = std::move(next);
  closed.end_ms = std::max(end_ms, closed.start_ms);
  closed.complete = true;
  closed_.push_back(closed);
  while (closed_.size() > windows_kept_) closed_.pop_front();
  return closed;
}

Window VersionMonitor::Query(const WindowQuery& query, int64_t now_ms) const {
  MutexLock lock(mu_);
  Window open = open_;
  open.end_ms = now_ms;
  switch (query.kind) {
    case WindowQuery::Kind::kCurrent:
      return open;
    case WindowQuery::Kind::kLast:
      return closed_.empty() ? open : closed_.back();
    case WindowQuery::Kind::kSpan:
      break;
  }
  Window merged = Fresh(open.start_ms);
  merged.end_ms = now_ms;
  for (const Window& w : closed_) {
    if (w.end_ms > now_ms - query.span_ms) merged.Merge(w);
  }
  merged.Merge(open);
  merged.complete = false;
  return merged;
}

}  // namespace ferry::monitor

#include "ferry/monitor/live/model_monitor.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include "ferry/base/files.h"
#include "ferry/base/json_writer.h"
#include "ferry/base/wall_clock.h"
#include "ferry/bundle/baseline.h"
#include "ferry/monitor/drift_json.h"
#include "ferry/monitor/segment_log.h"

namespace ferry::monitor {
namespace {

Result<std::shared_ptr<const DriftReference>> ReadReference(const bundle::Bundle& b) {
  const std::filesystem::path path = b.BaselinePath();
  if (path.empty()) return std::shared_ptr<const DriftReference>();
  FERRY_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  FERRY_ASSIGN_OR_RETURN(bundle::Baseline baseline,
                         bundle::ParseBaselineJson(text, b.manifest.baseline));
  return std::make_shared<const DriftReference>(MakeDriftReference(baseline));
}

void WriteWindow(JsonWriter& j, const WindowQuery& query, const Window& w) {
  j.Key("window").BeginObject().Key("query").String(query.text);
  j.Key("start_ms").Int(w.start_ms).Key("end_ms").Int(w.end_ms);
  j.Key("complete").Bool(w.complete).EndObject();
}

}  // namespace

Monitor::Monitor(MonitorOptions options, std::filesystem::path log_root,
                 std::shared_ptr<MetricsRegistry> metrics)
    : options_(std::move(options)),
      log_root_(std::move(log_root)),
      metrics_(metrics ? std::move(metrics) : std::make_shared<MetricsRegistry>()),
      psi_(metrics_->AddGauge("ferry_drift_psi",
                              "Population stability index of a feature in the last closed window.",
                              {"model", "version", "feature"})),
      ks_(metrics_->AddGauge("ferry_drift_ks",
                             "Binned Kolmogorov-Smirnov distance of a feature in the last closed "
                             "window.",
                             {"model", "version", "feature"})),
      js_(metrics_->AddGauge("ferry_drift_js",
                             "Jensen-Shannon distance of a feature in the last closed window.",
                             {"model", "version", "feature"})),
      missing_rate_(metrics_->AddGauge("ferry_drift_missing_rate",
                                       "Share of missing values of a feature in the last closed "
                                       "window.",
                                       {"model", "version", "feature"})),
      window_rows_(metrics_->AddGauge("ferry_monitor_window_rows",
                                      "Rows scored in the last closed monitoring window.",
                                      {"model", "version"})),
      accuracy_(metrics_->AddGauge("ferry_performance_accuracy",
                                   "Accuracy of the predictions whose labels arrived in the last "
                                   "closed window.",
                                   {"model", "version"})),
      auc_(metrics_->AddGauge("ferry_performance_auc",
                              "ROC AUC of the labelled predictions of the last closed window.",
                              {"model", "version"})),
      log_loss_(metrics_->AddGauge("ferry_performance_log_loss",
                                   "Log loss of the labelled predictions of the last closed "
                                   "window.",
                                   {"model", "version"})),
      rmse_(metrics_->AddGauge("ferry_performance_rmse",
                               "RMSE of the labelled predictions of the last closed window.",
                               {"model", "version"})),
      mae_(metrics_->AddGauge("ferry_performance_mae",
                              "MAE of the labelled predictions of the last closed window.",
                              {"model", "version"})),
      feedback_joined_(metrics_->AddGauge("ferry_feedback_joined",
                                          "Labels joined with their prediction in the last closed "
                                          "window.",
                                          {"model", "version"})),
      feedback_unmatched_(metrics_->AddGauge("ferry_feedback_unmatched",
                                             "Labels whose prediction was not found, in the last "
                                             "closed window.",
                                             {"model", "version"})),
      log_written_(metrics_->AddCounter("ferry_prediction_log_records_total",
                                        "Prediction records written to the log.", {"model"})),
      log_dropped_(metrics_->AddCounter("ferry_prediction_log_dropped_total",
                                        "Prediction records dropped because the log's queue "
                                        "was full.",
                                        {"model"})),
      log_failed_(metrics_->AddCounter("ferry_prediction_log_errors_total",
                                       "Prediction records that could not be written.",
                                       {"model"})) {}

Monitor::~Monitor() { Stop(); }

void Monitor::OnWindowClosed(std::function<void(const ClosedWindow&)> callback) {
  on_closed_ = std::move(callback);
}

void Monitor::Start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void Monitor::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    wake_.notify_all();
    thread_.join();
  }
}

void Monitor::Run(std::stop_token stop) {
  const int64_t w = options_.window_ms;
  int64_t boundary = (WallClockMs() / w + 1) * w;
  while (!stop.stop_requested()) {
    const int64_t now = WallClockMs();
    const int64_t wake_at = std::min(boundary, now + 1000);
    {
      std::unique_lock<std::mutex> lock(wait_mu_);
      wake_.wait_until(lock, stop,
                       std::chrono::system_clock::time_point(std::chrono::milliseconds(wake_at)),
                       [] { return false; });
    }
    if (stop.stop_requested()) break;
    PublishLogCounters();
    if (WallClockMs() >= boundary) {
      CloseWindows(boundary);
      boundary = (WallClockMs() / w + 1) * w;
    }
  }
}

Result<std::shared_ptr<serving::PredictionObserver>> Monitor::ForVersion(
    const std::string& model, int64_t version, const bundle::Bundle& bundle) {
  {
    MutexLock lock(mu_);
    auto it = models_.find(model);
    if (it != models_.end()) {
      auto v = it->second.versions.find(version);
      if (v != it->second.versions.end()) {
        it->second.latest = version;
        return std::shared_ptr<serving::PredictionObserver>(v->second);
      }
    }
  }
  FERRY_ASSIGN_OR_RETURN(std::shared_ptr<const DriftReference> reference, ReadReference(bundle));

  MutexLock lock(mu_);
  ModelState& state = models_[model];
  if (!state.log) {
    state.log = std::make_unique<ModelLog>();
    state.log->sample_rate = options_.SampleRateFor(model);
    if (options_.feedback_keys > 0) {
      state.log->feedback = std::make_unique<FeedbackStore>(options_.feedback_keys);
    }
    if (options_.prediction_log && state.log->sample_rate > 0.0) {
      SegmentLogOptions log_options;
      log_options.max_segment_bytes = options_.segment_max_bytes;
      log_options.max_segment_age_ms = options_.segment_max_age_ms;
      log_options.retention_bytes = options_.retention_bytes;
      log_options.retention_age_ms = options_.retention_ms;
      auto segments = SegmentLog::Open(log_root_ / model, log_options);
      if (!segments.ok()) {
        models_.erase(model);
        return segments.status().WithContext("prediction log of model '" + model + "'");
      }
      PredictionLoggerOptions logger_options;
      logger_options.capacity_records = options_.log_queue;
      logger_options.validate_json = false;  // VersionMonitor writes the JSON itself
      auto logger = PredictionLogger::Create(std::move(*segments), logger_options);
      if (!logger.ok()) {
        models_.erase(model);
        return logger.status();
      }
      state.log->logger = std::move(*logger);
    }
  }
  auto [it, inserted] = state.versions.try_emplace(version);
  if (inserted) {
    it->second = std::make_shared<VersionMonitor>(
        model, version, bundle.manifest.task, bundle.manifest.signature, std::move(reference),
        state.log.get(), options_.windows_kept, WallClockMs());
  }
  state.latest = version;
  return std::shared_ptr<serving::PredictionObserver>(it->second);
}

void Monitor::PublishLogCounters() {
  MutexLock lock(mu_);
  for (auto& [name, state] : models_) {
    if (!state.log || !state.log->logger) continue;
    const PredictionLogger& logger = *state.log->logger;
    const uint64_t written = logger.written(), dropped = logger.dropped(), failed = logger.failed();
    log_written_.WithLabels({name}).Increment(written - state.reported_written);
    log_dropped_.WithLabels({name}).Increment(dropped - state.reported_dropped);
    log_failed_.WithLabels({name}).Increment(failed - state.reported_failed);
    state.reported_written = written;
    state.reported_dropped = dropped;
    state.reported_failed = failed;
  }
}

void Monitor::CloseWindows(int64_t end_ms) {
  std::vector<std::shared_ptr<VersionMonitor>> all;
  {
    MutexLock lock(mu_);
    for (auto& [name, state] : models_) {
      for (auto& [v, monitor] : state.versions) all.push_back(monitor);
    }
  }
  for (const std::shared_ptr<VersionMonitor>& vm : all) {
    ClosedWindow closed;
    closed.model = vm->model();
    closed.version = vm->version();
    closed.task = vm->task();
    closed.window = vm->CloseWindow(end_ms);
    if (closed.window.drift) closed.drift = vm->Drift(*closed.window.drift);
    if (closed.window.performance) closed.performance = closed.window.performance->Compute();
    Publish(closed);
    if (on_closed_) on_closed_(closed);
  }
}

void Monitor::Publish(const ClosedWindow& closed) {
  const std::string version = std::to_string(closed.version);
  window_rows_.WithLabels({closed.model, version}).Set(static_cast<double>(closed.window.rows));
  const std::vector<std::string> vlabels{closed.model, version};
  const PerformanceMetrics& p = closed.performance;
  accuracy_.WithLabels(vlabels).Set(p.accuracy);
  auc_.WithLabels(vlabels).Set(p.auc);
  log_loss_.WithLabels(vlabels).Set(p.log_loss);
  rmse_.WithLabels(vlabels).Set(p.rmse);
  mae_.WithLabels(vlabels).Set(p.mae);
  feedback_joined_.WithLabels(vlabels).Set(static_cast<double>(p.count));
  feedback_unmatched_.WithLabels(vlabels).Set(static_cast<double>(p.unmatched));
  for (const FeatureDrift& d : closed.drift) {
    const std::vector<std::string> labels{closed.model, version, d.name};
    psi_.WithLabels(labels).Set(d.psi);
    ks_.WithLabels(labels).Set(d.ks);
    js_.WithLabels(labels).Set(d.js);
    missing_rate_.WithLabels(labels).Set(d.missing_rate);
  }
}

Result<std::shared_ptr<VersionMonitor>> Monitor::Find(const std::string& model,
                                                      std::optional<int64_t> version) const {
  MutexLock lock(mu_);
  auto it = models_.find(model);
  if (it == models_.end()) return NotFound("model '" + model + "' is not monitored here");
  const int64_t v = version.value_or(it->second.latest);
  auto vit = it->second.versions.find(v);
  if (vit == it->second.versions.end()) {
    return NotFound("model '" + model + "' has no version " + std::to_string(v) +
                    " monitored here");
  }
  return vit->second;
}

Result<std::string> Monitor::DriftJson(const std::string& model, std::optional<int64_t> version,
                                       const WindowQuery& query, int64_t now_ms) const {
  FERRY_ASSIGN_OR_RETURN(std::shared_ptr<VersionMonitor> vm, Find(model, version));
  const Window w = vm->Query(query, now_ms);
  std::vector<FeatureDrift> drift;
  if (w.drift) drift = vm->Drift(*w.drift);
  std::string out;
  JsonWriter j(&out);
  j.BeginObject().Key("model").String(model).Key("version").Int(vm->version());
  WriteWindow(j, query, w);
  j.Key("requests").Int(w.requests).Key("rows").Int(w.rows).Key("errors").Int(w.errors);
  j.Key("error_rate");
  WriteNumberOrNull(j, w.ErrorRate());
  j.Key("latency_p99_ms");
  WriteNumberOrNull(j, w.LatencyP99Ms());
  j.Key("baseline").Bool(vm->has_baseline());
  // The input feature that drifted most (by PSI) sums the window up.
  const FeatureDrift* worst = nullptr;
  const FeatureDrift* prediction = nullptr;
  for (const FeatureDrift& d : drift) {
    if (d.is_prediction) {
      prediction = &d;
    } else if (!std::isnan(d.psi) && (worst == nullptr || d.psi > worst->psi)) {
      worst = &d;
    }
  }
  j.Key("max_psi");
  WriteNumberOrNull(j, worst ? worst->psi : NAN);
  j.Key("max_psi_feature");
  if (worst) {
    j.String(worst->name);
  } else {
    j.Null();
  }
  // The prediction's drift (null when the baseline has no prediction profile).
  j.Key("prediction");
  if (prediction) {
    WriteFeatureDrift(j, *prediction);
  } else {
    j.Null();
  }
  j.Key("features").BeginArray();
  for (const FeatureDrift& d : drift) {
    if (!d.is_prediction) WriteFeatureDrift(j, d);
  }
  j.EndArray().EndObject();
  return out;
}

Result<FeedbackResult> Monitor::AddFeedback(const std::string& model,
                                            const std::vector<Feedback>& items, int64_t now_ms) {
  FeedbackStore* store = nullptr;
  std::map<int64_t, std::shared_ptr<VersionMonitor>> versions;
  int64_t latest = 0;
  {
    MutexLock lock(mu_);
    auto it = models_.find(model);
    if (it == models_.end()) return NotFound("model '" + model + "' is not monitored here");
    store = it->second.log ? it->second.log->feedback.get() : nullptr;
    versions = it->second.versions;
    latest = it->second.latest;
  }
  // Join: memory first, then one pass over the log for the rest.
  std::vector<std::optional<LoggedPrediction>> joined(items.size());
  std::vector<std::string> missing;
  for (size_t i = 0; i < items.size(); ++i) {
    if (store != nullptr) joined[i] = store->Find(items[i].key);
    if (!joined[i] && !items[i].key.empty()) missing.push_back(items[i].key);
  }
  if (!missing.empty() && options_.prediction_log) {
    const int64_t since = options_.feedback_lookback_ms > 0 ? now_ms - options_.feedback_lookback_ms
                                                            : std::numeric_limits<int64_t>::min();
    FERRY_ASSIGN_OR_RETURN(LogLookup found, LookUpInLog(log_root_ / model, missing, since));
    for (size_t i = 0; i < items.size(); ++i) {
      if (joined[i]) continue;
      auto f = found.found.find(items[i].key);
      if (f != found.found.end()) joined[i] = f->second;
    }
  }
  // Parse every label before recording any: a bad one refuses the batch.
  struct Pending {
    VersionMonitor* version;
    const LoggedPrediction* prediction;
    double label;
  };
  std::vector<Pending> pending;
  FeedbackResult result;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string where = items.size() == 1 ? "" : "feedback[" + std::to_string(i) + "]: ";
    if (!joined[i]) {
      ++result.unmatched;
      if (result.unmatched_keys.size() < 100) result.unmatched_keys.push_back(items[i].key);
      continue;
    }
    auto v = versions.find(joined[i]->version);
    if (v == versions.end()) {  // predicted by a version this server never loaded
      ++result.unmatched;
      if (result.unmatched_keys.size() < 100) result.unmatched_keys.push_back(items[i].key);
      continue;
    }
    const size_t classes =
        v->second->task() == Task::kMulticlassClassification ? joined[i]->scores.size() : 0;
    auto label = ParseLabel(v->second->task(), items[i].label_json, classes);
    if (!label.ok()) return InvalidArgument(where + "label: " + label.status().message());
    pending.push_back({v->second.get(), &*joined[i], *label});
  }
  for (const Pending& p : pending) {
    Status s = p.version->AddFeedback(p.prediction->scores, p.label);
    if (s.ok()) {
      ++result.joined;
    } else {
      ++result.unmatched;  // a logged prediction that does not fit the task
    }
  }
  if (result.unmatched > 0) {
    auto v = versions.find(latest);
    if (v != versions.end()) v->second->CountUnmatched(result.unmatched);
  }
  return result;
}

Result<std::string> Monitor::PerformanceJson(const std::string& model,
                                             std::optional<int64_t> version,
                                             const WindowQuery& query, int64_t now_ms) const {
  FERRY_ASSIGN_OR_RETURN(std::shared_ptr<VersionMonitor> vm, Find(model, version));
  const Window w = vm->Query(query, now_ms);
  PerformanceMetrics p;
  if (w.performance) p = w.performance->Compute();
  std::string out;
  JsonWriter j(&out);
  j.BeginObject().Key("model").String(model).Key("version").Int(vm->version());
  j.Key("task").String(TaskName(vm->task()));
  WriteWindow(j, query, w);
  j.Key("count").Int(p.count).Key("unmatched").Int(p.unmatched);
  j.Key("accuracy");
  WriteNumberOrNull(j, p.accuracy);
  j.Key("auc");
  WriteNumberOrNull(j, p.auc);
  j.Key("log_loss");
  WriteNumberOrNull(j, p.log_loss);
  j.Key("rmse");
  WriteNumberOrNull(j, p.rmse);
  j.Key("mae");
  WriteNumberOrNull(j, p.mae);
  j.Key("auc_pairs").Int(p.auc_pairs).Key("auc_sampled").Bool(p.auc_sampled);
  j.EndObject();
  return out;
}

Status Monitor::FlushLogs() {
  std::vector<PredictionLogger*> loggers;
  {
    MutexLock lock(mu_);
    for (auto& [name, state] : models_) {
      if (state.log && state.log->logger) loggers.push_back(state.log->logger.get());
    }
  }
  Status first;
  for (PredictionLogger* l : loggers) {
    Status s = l->Flush();
    if (first.ok() && !s.ok()) first = s;
  }
  return first;
}

}  // namespace ferry::monitor

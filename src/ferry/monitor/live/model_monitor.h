#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/base/thread_annotations.h"
#include "ferry/monitor/live/monitor_options.h"
#include "ferry/monitor/live/version_monitor.h"
#include "ferry/monitor/live/window.h"
#include "ferry/monitor/metrics_registry.h"
#include "ferry/serving/prediction_observer.h"

// Monitoring inside `ferry serve`: makes a VersionMonitor for every model
// version the core loads (the core's ObserverFactory), owns each model's
// prediction log, closes the time windows on a background thread, publishes
// drift gauges on /metrics and answers the drift API. Thread-safe.
namespace ferry::monitor {

// A window of one version just closed (what alert rules look at).
struct ClosedWindow {
  std::string model;
  int64_t version = 0;
  Task task = Task::kRegression;
  Window window;
  std::vector<FeatureDrift> drift;  // empty without a baseline
  PerformanceMetrics performance;   // of the feedback that arrived in the window
};

// One ground-truth label sent to POST /v2/models/{m}/feedback.
struct Feedback {
  std::string key;
  std::string label_json;  // the label's JSON text (ParseLabel reads it)
};

struct FeedbackResult {
  int64_t joined = 0;
  int64_t unmatched = 0;
  std::vector<std::string> unmatched_keys;  // the first 100
};

class Monitor final : public serving::ObserverFactory {
 public:
  // `log_root`: where model logs go (<log_root>/<model>/) when
  // options.prediction_log; `metrics`: the registry /metrics renders.
  Monitor(MonitorOptions options, std::filesystem::path log_root,
          std::shared_ptr<MetricsRegistry> metrics);
  ~Monitor() override;  // stops the window thread, drains the logs

  // Called with each closed window (on the window thread), after the gauges
  // are set. Set before Start.
  void OnWindowClosed(std::function<void(const ClosedWindow&)> callback);

  // Starts the window thread (windows aligned to multiples of the window
  // length on the wall clock).
  void Start();
  void Stop();

  // ObserverFactory: the version's monitor (the same one when a version is
  // loaded again). Errors: the prediction log folder cannot be opened, or
  // the bundle's baseline cannot be read.
  Result<std::shared_ptr<serving::PredictionObserver>> ForVersion(
      const std::string& model, int64_t version, const bundle::Bundle& bundle) override
      EXCLUDES(mu_);

  // Closes every open window at `end_ms` now (the window thread does this on
  // each boundary; tests call it directly).
  void CloseWindows(int64_t end_ms) EXCLUDES(mu_);

  // GET /api/v1/models/{m}/drift: JSON of the windows `query` means for
  // `version` (default: the version loaded last). NotFound for an unknown
  // model or version.
  Result<std::string> DriftJson(const std::string& model, std::optional<int64_t> version,
                                const WindowQuery& query, int64_t now_ms) const EXCLUDES(mu_);

  // Joins each label with the prediction made for its key (recent ones in
  // memory, older ones from the prediction log within feedback_lookback) and
  // adds it to the open window of the version that predicted. Reads the log
  // when a key is not in memory: call it off the I/O threads. NotFound for
  // an unknown model; InvalidArgument (nothing recorded) when a label does
  // not fit the model's task, naming the item.
  Result<FeedbackResult> AddFeedback(const std::string& model, const std::vector<Feedback>& items,
                                     int64_t now_ms) EXCLUDES(mu_);

  // GET /api/v1/models/{m}/performance: the metrics of the windows `query`
  // means for `version` (default: the version loaded last).
  Result<std::string> PerformanceJson(const std::string& model, std::optional<int64_t> version,
                                      const WindowQuery& query, int64_t now_ms) const EXCLUDES(mu_);

  // The version monitor of `model` (`version`, default the one loaded last).
  Result<std::shared_ptr<VersionMonitor>> Find(const std::string& model,
                                               std::optional<int64_t> version) const EXCLUDES(mu_);

  // Waits until every record offered so far is written (tests, shutdown).
  Status FlushLogs() EXCLUDES(mu_);

  const MonitorOptions& options() const { return options_; }
  const std::filesystem::path& log_root() const { return log_root_; }

 private:
  struct ModelState {
    std::unique_ptr<ModelLog> log;
    std::map<int64_t, std::shared_ptr<VersionMonitor>> versions;
    int64_t latest = 0;  // loaded last
    uint64_t reported_written = 0, reported_dropped = 0, reported_failed = 0;
  };
  void Run(std::stop_token stop);
  void PublishLogCounters() EXCLUDES(mu_);
  void Publish(const ClosedWindow& closed);

  const MonitorOptions options_;
  const std::filesystem::path log_root_;
  const std::shared_ptr<MetricsRegistry> metrics_;
  GaugeFamily& psi_;
  GaugeFamily& ks_;
  GaugeFamily& js_;
  GaugeFamily& missing_rate_;
  GaugeFamily& window_rows_;
  GaugeFamily& accuracy_;
  GaugeFamily& auc_;
  GaugeFamily& log_loss_;
  GaugeFamily& rmse_;
  GaugeFamily& mae_;
  GaugeFamily& feedback_joined_;
  GaugeFamily& feedback_unmatched_;
  CounterFamily& log_written_;
  CounterFamily& log_dropped_;
  CounterFamily& log_failed_;
  std::function<void(const ClosedWindow&)> on_closed_;

  mutable Mutex mu_;
  std::map<std::string, ModelState> models_ GUARDED_BY(mu_);

  std::mutex wait_mu_;  // only for waking the window thread
  std::condition_variable_any wake_;
  std::jthread thread_;
};

}  // namespace ferry::monitor

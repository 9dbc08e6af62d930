#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/base/status.h"
#include "ferry/base/thread_annotations.h"
#include "ferry/monitor/alerts/alert_rule.h"

namespace ferry::alerts {

// One metric of a closed window: its value (NaN = not computable) and how
// many observations it rests on (rows, joined labels, requests).
struct MetricValue {
  double value = std::numeric_limits<double>::quiet_NaN();
  int64_t count = 0;
};

// What monitoring knows about one model version over one closed window.
struct WindowSummary {
  std::string model;
  int64_t version = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // the engine's only notion of time
  // Keys: "drift.<stat>:<feature>" for stat in psi, ks, js, chi_square,
  // missing_rate, with "prediction" as the feature for the model's output;
  // "performance.<m>" for m in accuracy, auc, log_loss, rmse, mae;
  // "error_rate"; "latency_p99_ms". Absent keys are "no data".
  std::map<std::string, MetricValue> metrics;
};

// A rule's state. Allowed moves (each on one window with data):
//   ok      → pending  (breach, fewer than `for` consecutive breaches)
//   ok      → firing   (breach, `for` reached: for == 1)
//   pending → firing   (`for` consecutive breaches reached)
//   pending → ok       (no breach; recorded as "resolved")
//   firing  → ok       (no breach; recorded as "resolved")
// A window without data (metric absent, NaN, or count < min_count) changes nothing.
enum class AlertState { kOk, kPending, kFiring };
std::string_view AlertStateName(AlertState state);  // "ok", "pending", "firing"

enum class AlertEventType { kPending, kFiring, kResolved, kSuppressed };
// "pending", "firing", "resolved", "suppressed".
std::string_view AlertEventName(AlertEventType type);

// What one action of a firing did.
struct ActionOutcome {
  enum class Outcome { kQueued, kOk, kError };
  AlertAction::Type type = AlertAction::Type::kLog;
  Outcome outcome = Outcome::kQueued;
  std::string detail;  // the error text; the run id of a pipeline; "" for a log line
};

// One history entry. A firing that ran actions has one ActionOutcome per
// action of the rule, updated in place when the background worker is done.
// Entering firing within `cooldown` of the last firing that ran actions is
// recorded as kSuppressed (the state still becomes firing) and runs none.
struct AlertEvent {
  uint64_t id = 0;      // increasing from 1
  int64_t time_ms = 0;  // the window's end
  std::string alert;    // rule name
  std::string model;
  int64_t version = 0;
  AlertEventType type = AlertEventType::kPending;
  std::string feature;  // the feature the value is of ("" for non-drift metrics)
  double value = 0;
  std::vector<ActionOutcome> actions;
};

// What a firing tells its actions.
struct AlertFiring {
  const AlertRule* rule = nullptr;  // valid for the engine's lifetime
  std::string model;
  int64_t version = 0;
  std::string feature;  // for "*": the feature with the maximum
  double value = 0;
  int64_t time_ms = 0;
};

// {"alert","model","version","metric","feature","value","threshold","op",
//  "event":"firing","time_ms"}: the body of a webhook POST.
std::string WebhookBody(const AlertFiring& firing);
// "alert drift-high firing: model m version 3: drift.psi[f3] = 0.31 > 0.2".
std::string LogLine(const AlertFiring& firing);

// The side effects, injectable for tests. Each runs on the engine's worker
// thread, one action at a time, never under the engine's lock.
struct AlertCallbacks {
  // Default: writes the line and '\n' to stderr.
  std::function<void(const std::string& line)> log;
  // Default: PostJson(action.url, body, action.timeout_ms).
  std::function<Status(const WebhookAction& action, const std::string& body)> post_webhook;
  // Starts a pipeline run and returns its id. Default: none, and the action
  // fails with "no pipeline trigger is configured".
  std::function<Result<std::string>(const PipelineAction& action, const AlertFiring& firing)>
      trigger_pipeline;
};

struct AlertEngineOptions {
  size_t history_capacity = 1000;      // oldest entries dropped first
  size_t action_queue_capacity = 256;  // actions past it fail with "action queue full"
  AlertCallbacks callbacks;
};

// Evaluates alert rules on closed windows and runs the actions of firings on
// one background thread (Evaluate never waits for an action). Thread-safe.
// The destructor waits for the action in progress; queued ones that did not
// start are recorded as errors ("not run: the alert engine stopped").
class AlertEngine {
 public:
  // InvalidArgument for a zero capacity or two rules with the same name.
  static Result<std::unique_ptr<AlertEngine>> Create(std::vector<AlertRule> rules,
                                                     AlertEngineOptions options);
  ~AlertEngine();
  AlertEngine(const AlertEngine&) = delete;
  AlertEngine& operator=(const AlertEngine&) = delete;

  // Updates every rule of summary.model with this window and returns the
  // events it produced (actions as queued). Windows are taken in call order.
  std::vector<AlertEvent> Evaluate(const WindowSummary& summary) EXCLUDES(mu_);

  // The body of GET /api/v1/alerts:
  // {"alerts":[{"name","model","metric","feature","op","threshold","for",
  //   "min_count","cooldown_ms","state","since_ms","last_value","consecutive",
  //   "last_fired_ms","suppressed"}],
  //  "history":[{"id","time_ms","alert","model","version","event","feature",
  //   "value","actions":[{"type","ok","detail"}]}]}
  // Times never set, and values never seen, are null; "ok" is null while an
  // action is queued or running. History is oldest first.
  std::string StateJson() const EXCLUDES(mu_);

  // Blocks until every action queued so far has finished.
  void WaitForActions() EXCLUDES(mu_);

  struct RuleStatus {
    AlertState state = AlertState::kOk;
    int64_t since_ms = -1;    // window end when it entered `state`; -1 = never moved
    int64_t consecutive = 0;  // consecutive breaching windows
    double last_value = std::numeric_limits<double>::quiet_NaN();
    int64_t last_fired_ms = -1;  // window end of the last firing that ran actions
    bool suppressed = false;     // the current firing episode was suppressed
  };
  // NotFound for an unknown rule name.
  Result<RuleStatus> StatusOf(std::string_view rule) const EXCLUDES(mu_);
  std::vector<AlertEvent> History() const EXCLUDES(mu_);
  const std::vector<AlertRule>& rules() const { return rules_; }

 private:
  struct Job {
    uint64_t event_id = 0;
    size_t action_index = 0;
    AlertFiring firing;
  };

  AlertEngine(std::vector<AlertRule> rules, AlertEngineOptions options);
  void Run();
  void AppendHistory(AlertEvent event) REQUIRES(mu_);
  void RecordOutcome(uint64_t event_id, size_t action_index, ActionOutcome outcome) REQUIRES(mu_);
  ActionOutcome RunAction(const Job& job) const;

  const std::vector<AlertRule> rules_;
  const AlertEngineOptions options_;

  mutable Mutex mu_;
  std::condition_variable_any cv_;
  std::vector<RuleStatus> status_ GUARDED_BY(mu_);  // parallel to rules_
  std::deque<AlertEvent> history_ GUARDED_BY(mu_);
  uint64_t next_event_id_ GUARDED_BY(mu_) = 1;
  std::deque<Job> queue_ GUARDED_BY(mu_);
  uint64_t jobs_queued_ GUARDED_BY(mu_) = 0;
  uint64_t jobs_done_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;

  std::jthread worker_;  // last: started after, and joined before, the rest is destroyed
};

}  // namespace ferry::alerts

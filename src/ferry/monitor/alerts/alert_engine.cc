#include "ferry/monitor/alerts/alert_engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <set>
#include <utility>

#include "ferry/base/json_writer.h"
#include "ferry/monitor/alerts/webhook.h"

namespace ferry::alerts {
namespace {

// Lets std::condition_variable_any wait on a ferry::Mutex the caller holds.
struct MutexAdapter {
  Mutex& mu;
  void lock() FERRY_TSA(no_thread_safety_analysis) { mu.Lock(); }
  void unlock() FERRY_TSA(no_thread_safety_analysis) { mu.Unlock(); }
};

// The value a rule sees in one window, or no data.
struct Observation {
  bool has_data = false;
  double value = 0;
  std::string feature;
};

bool Usable(const MetricValue& m, int64_t min_count) {
  return !std::isnan(m.value) && m.count >= min_count;
}

Observation Observe(const AlertRule& rule, const WindowSummary& summary) {
  Observation o;
  if (!rule.is_drift()) {
    auto it = summary.metrics.find(rule.metric);
    if (it == summary.metrics.end() || !Usable(it->second, rule.min_count)) return o;
    o.has_data = true;
    o.value = it->second.value;
    return o;
  }
  const std::string prefix = rule.metric + ":";
  if (rule.feature != "*") {
    auto it = summary.metrics.find(prefix + rule.feature);
    if (it == summary.metrics.end() || !Usable(it->second, rule.min_count)) return o;
    o.has_data = true;
    o.value = it->second.value;
    o.feature = rule.feature;
    return o;
  }
  // The maximum over input features; the prediction is not a feature.
  for (auto it = summary.metrics.lower_bound(prefix);
       it != summary.metrics.end() && it->first.starts_with(prefix); ++it) {
    std::string_view feature = std::string_view(it->first).substr(prefix.size());
    if (feature == "prediction" || !Usable(it->second, rule.min_count)) continue;
    if (!o.has_data || it->second.value > o.value) {
      o.has_data = true;
      o.value = it->second.value;
      o.feature = std::string(feature);
    }
  }
  return o;
}

void WriteTimeOrNull(JsonWriter& w, int64_t ms) {
  if (ms < 0) {
    w.Null();
  } else {
    w.Int(ms);
  }
}

}  // namespace

std::string_view AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kOk:
      return "ok";
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
  }
  return "?";
}

std::string_view AlertEventName(AlertEventType type) {
  switch (type) {
    case AlertEventType::kPending:
      return "pending";
    case AlertEventType::kFiring:
      return "firing";
    case AlertEventType::kResolved:
      return "resolved";
    case AlertEventType::kSuppressed:
      return "suppressed";
  }
  return "?";
}

std::string WebhookBody(const AlertFiring& firing) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("alert").String(firing.rule->name);
  w.Key("model").String(firing.model);
  w.Key("version").Int(firing.version);
  w.Key("metric").String(firing.rule->metric);
  w.Key("feature");
  if (firing.feature.empty()) {
    w.Null();
  } else {
    w.String(firing.feature);
  }
  w.Key("value").Double(firing.value);
  w.Key("threshold").Double(firing.rule->threshold);
  w.Key("op").String(CompareOpText(firing.rule->op));
  w.Key("event").String("firing");
  w.Key("time_ms").Int(firing.time_ms);
  w.EndObject();
  return out;
}

std::string LogLine(const AlertFiring& firing) {
  const AlertRule& r = *firing.rule;
  char numbers[96];
  std::snprintf(numbers, sizeof numbers, " = %.6g %s %.6g", firing.value,
                std::string(CompareOpText(r.op)).c_str(), r.threshold);
  std::string metric = r.metric;
  if (!firing.feature.empty()) metric += "[" + firing.feature + "]";
  return "alert " + r.name + " firing: model " + firing.model + " version " +
         std::to_string(firing.version) + ": " + metric + numbers;
}

Result<std::unique_ptr<AlertEngine>> AlertEngine::Create(std::vector<AlertRule> rules,
                                                         AlertEngineOptions options) {
  if (options.history_capacity == 0) {
    return InvalidArgument("alert engine: history capacity must be positive");
  }
  if (options.action_queue_capacity == 0) {
    return InvalidArgument("alert engine: action queue capacity must be positive");
  }
  std::set<std::string> names;
  for (const AlertRule& r : rules) {
    if (!names.insert(r.name).second) {
      return InvalidArgument("alert engine: two rules are named '" + r.name + "'");
    }
  }
  std::unique_ptr<AlertEngine> engine(new AlertEngine(std::move(rules), std::move(options)));
  engine->worker_ = std::jthread([p = engine.get()] { p->Run(); });
  return engine;
}

AlertEngine::AlertEngine(std::vector<AlertRule> rules, AlertEngineOptions options)
    : rules_(std::move(rules)), options_(std::move(options)) {
  MutexLock lock(mu_);
  status_.resize(rules_.size());
}

AlertEngine::~AlertEngine() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::vector<AlertEvent> AlertEngine::Evaluate(const WindowSummary& summary) {
  std::vector<AlertEvent> produced;
  bool queued = false;
  {
    MutexLock lock(mu_);
    for (size_t i = 0; i < rules_.size(); ++i) {
      const AlertRule& rule = rules_[i];
      if (rule.model != summary.model) continue;
      Observation o = Observe(rule, summary);
      if (!o.has_data) continue;
      RuleStatus& st = status_[i];
      st.last_value = o.value;
      const int64_t now = summary.end_ms;
      auto event = [&](AlertEventType type) {
        mu_.AssertHeld();  // called only below, under the lock
        AlertEvent e;
        e.id = next_event_id_++;
        e.time_ms = now;
        e.alert = rule.name;
        e.model = summary.model;
        e.version = summary.version;
        e.type = type;
        e.feature = o.feature;
        e.value = o.value;
        return e;
      };
      if (!Breaches(rule.op, o.value, rule.threshold)) {
        st.consecutive = 0;
        if (st.state != AlertState::kOk) {
          st.state = AlertState::kOk;
          st.since_ms = now;
          st.suppressed = false;
          produced.push_back(event(AlertEventType::kResolved));
          AppendHistory(produced.back());
        }
        continue;
      }
      ++st.consecutive;
      if (st.state == AlertState::kFiring) continue;  // one episode fires once
      if (st.consecutive < rule.for_windows) {
        if (st.state == AlertState::kOk) {
          st.state = AlertState::kPending;
          st.since_ms = now;
          produced.push_back(event(AlertEventType::kPending));
          AppendHistory(produced.back());
        }
        continue;
      }
      st.state = AlertState::kFiring;
      st.since_ms = now;
      st.suppressed = st.last_fired_ms >= 0 && now - st.last_fired_ms < rule.cooldown_ms;
      if (st.suppressed) {
        produced.push_back(event(AlertEventType::kSuppressed));
        AppendHistory(produced.back());
        continue;
      }
      st.last_fired_ms = now;
      AlertEvent fired = event(AlertEventType::kFiring);
      AlertFiring firing{&rule, summary.model, summary.version, o.feature, o.value, now};
      for (size_t a = 0; a < rule.actions.size(); ++a) {
        ActionOutcome outcome;
        outcome.type = rule.actions[a].type;
        if (queue_.size() >= options_.action_queue_capacity) {
          outcome.outcome = ActionOutcome::Outcome::kError;
          outcome.detail = "not run: the action queue is full (" +
                           std::to_string(options_.action_queue_capacity) + ")";
        } else {
          queue_.push_back(Job{fired.id, a, firing});
          ++jobs_queued_;
          queued = true;
        }
        fired.actions.push_back(std::move(outcome));
      }
      produced.push_back(fired);
      AppendHistory(std::move(fired));
    }
  }
  if (queued) cv_.notify_all();
  return produced;
}

void AlertEngine::AppendHistory(AlertEvent event) {
  history_.push_back(std::move(event));
  while (history_.size() > options_.history_capacity) history_.pop_front();
}

void AlertEngine::RecordOutcome(uint64_t event_id, size_t action_index, ActionOutcome outcome) {
  auto it = std::lower_bound(history_.begin(), history_.end(), event_id,
                             [](const AlertEvent& e, uint64_t id) { return e.id < id; });
  if (it == history_.end() || it->id != event_id) return;  // already dropped from history
  if (action_index < it->actions.size()) it->actions[action_index] = std::move(outcome);
}

ActionOutcome AlertEngine::RunAction(const Job& job) const {
  const AlertAction& action = job.firing.rule->actions[job.action_index];
  ActionOutcome out;
  out.type = action.type;
  auto fail = [&](std::string detail) {
    out.outcome = ActionOutcome::Outcome::kError;
    out.detail = std::move(detail);
    return out;
  };
  try {
    switch (action.type) {
      case AlertAction::Type::kLog: {
        std::string line = LogLine(job.firing);
        if (options_.callbacks.log) {
          options_.callbacks.log(line);
        } else {
          line += '\n';
          std::fputs(line.c_str(), stderr);
        }
        break;
      }
      case AlertAction::Type::kWebhook: {
        std::string body = WebhookBody(job.firing);
        Status s = options_.callbacks.post_webhook
                       ? options_.callbacks.post_webhook(action.webhook, body)
                       : PostJson(action.webhook.url, body, action.webhook.timeout_ms);
        if (!s.ok()) return fail(s.message());
        break;
      }
      case AlertAction::Type::kPipeline: {
        if (!options_.callbacks.trigger_pipeline) {
          return fail("no pipeline trigger is configured");
        }
        Result<std::string> run = options_.callbacks.trigger_pipeline(action.pipeline, job.firing);
        if (!run.ok())
          return fail("pipeline " + action.pipeline.name + ": " + run.status().message());
        out.detail = *run;
        break;
      }
    }
  } catch (const std::exception& e) {
    return fail(std::string("the action threw: ") + e.what());
  }
  out.outcome = ActionOutcome::Outcome::kOk;
  return out;
}

void AlertEngine::Run() {
  MutexAdapter adapter{mu_};
  while (true) {
    Job job;
    {
      MutexLock lock(mu_);
      while (queue_.empty() && !stopping_) {
        mu_.AssertHeld();
        cv_.wait(adapter);
      }
      mu_.AssertHeld();
      if (stopping_) {
        for (const Job& left : queue_) {
          ActionOutcome outcome;
          outcome.type = left.firing.rule->actions[left.action_index].type;
          outcome.outcome = ActionOutcome::Outcome::kError;
          outcome.detail = "not run: the alert engine stopped";
          RecordOutcome(left.event_id, left.action_index, std::move(outcome));
          ++jobs_done_;
        }
        queue_.clear();
        break;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    ActionOutcome outcome = RunAction(job);
    {
      MutexLock lock(mu_);
      RecordOutcome(job.event_id, job.action_index, std::move(outcome));
      ++jobs_done_;
    }
    cv_.notify_all();
  }
  cv_.notify_all();
}

void AlertEngine::WaitForActions() {
  MutexLock lock(mu_);
  const uint64_t target = jobs_queued_;
  MutexAdapter adapter{mu_};
  while (jobs_done_ < target) {
    mu_.AssertHeld();
    cv_.wait(adapter);
  }
}

Result<AlertEngine::RuleStatus> AlertEngine::StatusOf(std::string_view rule) const {
  MutexLock lock(mu_);
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].name == rule) return status_[i];
  }
  return NotFound("no alert rule named '" + std::string(rule) + "'");
}

std::vector<AlertEvent> AlertEngine::History() const {
  MutexLock lock(mu_);
  return {history_.begin(), history_.end()};
}

std::string AlertEngine::StateJson() const {
  std::string out;
  JsonWriter w(&out);
  MutexLock lock(mu_);
  w.BeginObject().Key("alerts").BeginArray();
  for (size_t i = 0; i < rules_.size(); ++i) {
    const AlertRule& r = rules_[i];
    const RuleStatus& st = status_[i];
    w.BeginObject();
    w.Key("name").String(r.name);
    w.Key("model").String(r.model);
    w.Key("metric").String(r.metric);
    w.Key("feature");
    if (r.feature.empty()) {
      w.Null();
    } else {
      w.String(r.feature);
    }
    w.Key("op").String(CompareOpText(r.op));
    w.Key("threshold").Double(r.threshold);
    w.Key("for").Int(r.for_windows);
    w.Key("min_count").Int(r.min_count);
    w.Key("cooldown_ms").Int(r.cooldown_ms);
    w.Key("state").String(AlertStateName(st.state));
    w.Key("since_ms");
    WriteTimeOrNull(w, st.since_ms);
    w.Key("last_value").Double(st.last_value);
    w.Key("consecutive").Int(st.consecutive);
    w.Key("last_fired_ms");
    WriteTimeOrNull(w, st.last_fired_ms);
    w.Key("suppressed").Bool(st.suppressed);
    w.EndObject();
  }
  w.EndArray().Key("history").BeginArray();
  for (const AlertEvent& e : history_) {
    w.BeginObject();
    w.Key("id").Uint(e.id);
    w.Key("time_ms").Int(e.time_ms);
    w.Key("alert").String(e.alert);
    w.Key("model").String(e.model);
    w.Key("version").Int(e.version);
    w.Key("event").String(AlertEventName(e.type));
    w.Key("feature");
    if (e.feature.empty()) {
      w.Null();
    } else {
      w.String(e.feature);
    }
    w.Key("value").Double(e.value);
    w.Key("actions").BeginArray();
    for (const ActionOutcome& a : e.actions) {
      w.BeginObject();
      w.Key("type").String(ActionTypeName(a.type));
      w.Key("ok");
      if (a.outcome == ActionOutcome::Outcome::kQueued) {
        w.Null();
      } else {
        w.Bool(a.outcome == ActionOutcome::Outcome::kOk);
      }
      w.Key("detail").String(a.detail);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

}  // namespace ferry::alerts

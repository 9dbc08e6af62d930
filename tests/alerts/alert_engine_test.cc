#include "ferry/monitor/alerts/alert_engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <future>
#include <mutex>
#include <string>
#include <vector>

namespace ferry::alerts {
namespace {

constexpr int64_t kMinute = 60'000;
const double kNaN = std::nan("");

AlertRule Rule(std::string name, std::string metric, CompareOp op, double threshold,
               int64_t for_windows = 1) {
  AlertRule r;
  r.name = std::move(name);
  r.model = "m";
  r.metric = std::move(metric);
  if (r.is_drift()) r.feature = "*";
  r.op = op;
  r.threshold = threshold;
  r.for_windows = for_windows;
  return r;
}

WindowSummary Window(int64_t end_ms, std::map<std::string, MetricValue> metrics,
                     std::string model = "m") {
  WindowSummary w;
  w.model = std::move(model);
  w.version = 3;
  w.start_ms = end_ms - kMinute;
  w.end_ms = end_ms;
  w.metrics = std::move(metrics);
  return w;
}

// One metric with plenty of observations.
WindowSummary One(int64_t end_ms, const std::string& key, double value, int64_t count = 100) {
  return Window(end_ms, {{key, {value, count}}});
}

std::vector<std::string> Names(const std::vector<AlertEvent>& events) {
  std::vector<std::string> out;
  for (const AlertEvent& e : events) {
    out.push_back(e.alert + ":" + std::string(AlertEventName(e.type)));
  }
  return out;
}

// Records what the actions were asked to do (called on the worker thread).
struct Recorder {
  std::mutex mu;
  std::vector<std::string> logs;
  std::vector<std::string> webhook_bodies;
  std::vector<std::string> pipelines;
  Status webhook_status;
  int runs = 0;

  AlertCallbacks Callbacks() {
    AlertCallbacks c;
    c.log = [this](const std::string& line) {
      std::lock_guard lock(mu);
      logs.push_back(line);
    };
    c.post_webhook = [this](const WebhookAction&, const std::string& body) {
      std::lock_guard lock(mu);
      webhook_bodies.push_back(body);
      return webhook_status;
    };
    c.trigger_pipeline = [this](const PipelineAction& a,
                                const AlertFiring& f) -> Result<std::string> {
      std::lock_guard lock(mu);
      pipelines.push_back(a.name + "(" + f.rule->name + ")");
      return "run-" + std::to_string(++runs);
    };
    return c;
  }
};

std::unique_ptr<AlertEngine> MakeEngine(std::vector<AlertRule> rules, AlertCallbacks callbacks = {},
                                        size_t history = 1000, size_t queue = 256) {
  AlertEngineOptions options;
  options.callbacks = std::move(callbacks);
  options.history_capacity = history;
  options.action_queue_capacity = queue;
  Result<std::unique_ptr<AlertEngine>> engine = AlertEngine::Create(std::move(rules), options);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  return std::move(engine).value();
}

AlertEngine::RuleStatus StatusOf(const AlertEngine& engine, const std::string& name) {
  Result<AlertEngine::RuleStatus> s = engine.StatusOf(name);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : AlertEngine::RuleStatus{};
}

using Events = std::vector<std::string>;

TEST(AlertEngineTest, NeedsConsecutiveBreachingWindows) {
  auto engine = MakeEngine({Rule("e", "error_rate", CompareOp::kGreater, 0.2, 3)});
  EXPECT_EQ(Names(engine->Evaluate(One(1 * kMinute, "error_rate", 0.3))), Events{"e:pending"});
  EXPECT_EQ(StatusOf(*engine, "e").consecutive, 1);
  EXPECT_EQ(Names(engine->Evaluate(One(2 * kMinute, "error_rate", 0.1))), Events{"e:resolved"});
  EXPECT_EQ(StatusOf(*engine, "e").state, AlertState::kOk);
  EXPECT_EQ(StatusOf(*engine, "e").consecutive, 0);
  EXPECT_EQ(Names(engine->Evaluate(One(3 * kMinute, "error_rate", 0.3))), Events{"e:pending"});
  EXPECT_EQ(Names(engine->Evaluate(One(4 * kMinute, "error_rate", 0.3))), Events{});
  EXPECT_EQ(StatusOf(*engine, "e").state, AlertState::kPending);
  EXPECT_EQ(StatusOf(*engine, "e").since_ms, 3 * kMinute);
  EXPECT_EQ(Names(engine->Evaluate(One(5 * kMinute, "error_rate", 0.3))), Events{"e:firing"});
  AlertEngine::RuleStatus s = StatusOf(*engine, "e");
  EXPECT_EQ(s.state, AlertState::kFiring);
  EXPECT_EQ(s.since_ms, 5 * kMinute);
  EXPECT_EQ(s.consecutive, 3);
  EXPECT_EQ(s.last_fired_ms, 5 * kMinute);
  EXPECT_EQ(Names(engine->Evaluate(One(6 * kMinute, "error_rate", 0.4))), Events{});
  EXPECT_EQ(StatusOf(*engine, "e").consecutive, 4);
  EXPECT_DOUBLE_EQ(StatusOf(*engine, "e").last_value, 0.4);
  EXPECT_EQ(Names(engine->Evaluate(One(7 * kMinute, "error_rate", 0.2))), Events{"e:resolved"});
  EXPECT_EQ(StatusOf(*engine, "e").state, AlertState::kOk);
  EXPECT_EQ(StatusOf(*engine, "e").since_ms, 7 * kMinute);
  EXPECT_EQ(engine->History().size(), 5u);
}

TEST(AlertEngineTest, FiresOnTheFirstBreachWhenForIsOne) {
  auto engine = MakeEngine({Rule("e", "error_rate", CompareOp::kGreater, 0.2)});
  EXPECT_EQ(Names(engine->Evaluate(One(kMinute, "error_rate", 0.25))), Events{"e:firing"});
}

TEST(AlertEngineTest, WindowsWithoutDataChangeNothing) {
  AlertRule rule = Rule("e", "error_rate", CompareOp::kGreater, 0.2, 2);
  rule.min_count = 50;
  auto engine = MakeEngine({rule});
  EXPECT_EQ(Names(engine->Evaluate(One(1 * kMinute, "error_rate", 0.3))), Events{"e:pending"});
  // NaN, too few observations, the metric absent, another model: no data.
  EXPECT_TRUE(engine->Evaluate(One(2 * kMinute, "error_rate", kNaN)).empty());
  EXPECT_TRUE(engine->Evaluate(One(3 * kMinute, "error_rate", 0.0, 49)).empty());
  EXPECT_TRUE(engine->Evaluate(One(4 * kMinute, "latency_p99_ms", 0.0)).empty());
  EXPECT_TRUE(engine->Evaluate(Window(5 * kMinute, {{"error_rate", {0.0, 100}}}, "n")).empty());
  AlertEngine::RuleStatus s = StatusOf(*engine, "e");
  EXPECT_EQ(s.state, AlertState::kPending);
  EXPECT_EQ(s.consecutive, 1);
  EXPECT_DOUBLE_EQ(s.last_value, 0.3);
  EXPECT_EQ(Names(engine->Evaluate(One(6 * kMinute, "error_rate", 0.3, 50))), Events{"e:firing"});
}

TEST(AlertEngineTest, StarIsTheMaximumOverInputFeatures) {
  AlertRule rule = Rule("d", "drift.psi", CompareOp::kGreater, 0.2);
  rule.min_count = 10;
  auto engine = MakeEngine({rule});
  std::vector<AlertEvent> events =
      engine->Evaluate(Window(kMinute, {
                                           {"drift.psi:a", {0.1, 100}},
                                           {"drift.psi:b", {0.5, 5}},
                                           {"drift.psi:c", {kNaN, 100}},
                                           {"drift.psi:d", {0.3, 100}},
                                           {"drift.psi:prediction", {0.9, 100}},
                                           {"drift.ks:e", {0.8, 100}},
                                       }));
  ASSERT_EQ(Names(events), Events{"d:firing"});
  EXPECT_EQ(events[0].feature, "d");  // b has too few values; the prediction is no feature
  EXPECT_DOUBLE_EQ(events[0].value, 0.3);
}

TEST(AlertEngineTest, WatchesOneFeatureOrThePrediction) {
  AlertRule a = Rule("a", "drift.js", CompareOp::kGreaterEqual, 0.3);
  a.feature = "a";
  AlertRule p = Rule("p", "drift.js", CompareOp::kGreaterEqual, 0.3);
  p.feature = "prediction";
  auto engine = MakeEngine({a, p});
  EXPECT_EQ(Names(engine->Evaluate(
                Window(kMinute, {{"drift.js:a", {0.3, 10}}, {"drift.js:prediction", {0.29, 10}}}))),
            Events{"a:firing"});
  EXPECT_EQ(Names(engine->Evaluate(Window(
                2 * kMinute, {{"drift.js:a", {0.1, 10}}, {"drift.js:prediction", {0.31, 10}}}))),
            (Events{"a:resolved", "p:firing"}));
}

TEST(AlertEngineTest, EachComparison) {
  auto engine = MakeEngine({Rule("gt", "performance.rmse", CompareOp::kGreater, 1.0),
                            Rule("ge", "performance.mae", CompareOp::kGreaterEqual, 1.0),
                            Rule("lt", "performance.accuracy", CompareOp::kLess, 0.9),
                            Rule("le", "performance.auc", CompareOp::kLessEqual, 0.8)});
  // At the threshold: only the inclusive ones breach.
  EXPECT_EQ(Names(engine->Evaluate(Window(kMinute, {{"performance.rmse", {1.0, 9}},
                                                    {"performance.mae", {1.0, 9}},
                                                    {"performance.accuracy", {0.9, 9}},
                                                    {"performance.auc", {0.8, 9}}}))),
            (Events{"ge:firing", "le:firing"}));
  EXPECT_EQ(Names(engine->Evaluate(Window(2 * kMinute, {{"performance.rmse", {1.1, 9}},
                                                        {"performance.mae", {0.9, 9}},
                                                        {"performance.accuracy", {0.85, 9}},
                                                        {"performance.auc", {0.81, 9}}}))),
            (Events{"gt:firing", "ge:resolved", "lt:firing", "le:resolved"}));
}

TEST(AlertEngineTest, RunsEachActionOncePerEpisode) {
  Recorder rec;
  AlertRule rule = Rule("d", "drift.psi", CompareOp::kGreater, 0.2);
  rule.actions.resize(3);
  rule.actions[1].type = AlertAction::Type::kWebhook;
  rule.actions[1].webhook.url = "http://127.0.0.1:1/hook";
  rule.actions[2].type = AlertAction::Type::kPipeline;
  rule.actions[2].pipeline.name = "retrain";
  auto engine = MakeEngine({rule}, rec.Callbacks());
  for (int i = 1; i <= 5; ++i) engine->Evaluate(One(i * kMinute, "drift.psi:f1", 0.5));
  engine->WaitForActions();
  {
    std::lock_guard lock(rec.mu);
    EXPECT_EQ(rec.logs, std::vector<std::string>{
                            "alert d firing: model m version 3: drift.psi[f1] = 0.5 > 0.2"});
    ASSERT_EQ(rec.webhook_bodies.size(), 1u);
    EXPECT_EQ(rec.webhook_bodies[0],
              R"({"alert":"d","model":"m","version":3,"metric":"drift.psi","feature":"f1",)"
              R"("value":0.5,"threshold":0.2,"op":">","event":"firing","time_ms":60000})");
    EXPECT_EQ(rec.pipelines, std::vector<std::string>{"retrain(d)"});
  }
  std::vector<AlertEvent> history = engine->History();
  ASSERT_EQ(history.size(), 1u);
  ASSERT_EQ(history[0].actions.size(), 3u);
  for (const ActionOutcome& a : history[0].actions) {
    EXPECT_EQ(a.outcome, ActionOutcome::Outcome::kOk) << a.detail;
  }
  EXPECT_EQ(history[0].actions[2].detail, "run-1");

  // A new episode (no cool-down) fires again.
  engine->Evaluate(One(6 * kMinute, "drift.psi:f1", 0.1));
  engine->Evaluate(One(7 * kMinute, "drift.psi:f1", 0.6));
  engine->WaitForActions();
  std::lock_guard lock(rec.mu);
  EXPECT_EQ(rec.logs.size(), 2u);
  EXPECT_EQ(rec.webhook_bodies.size(), 2u);
  EXPECT_EQ(rec.pipelines.size(), 2u);
}

TEST(AlertEngineTest, CoolDownSuppressesANewEpisode) {
  Recorder rec;
  AlertRule rule = Rule("e", "error_rate", CompareOp::kGreater, 0.2);
  rule.cooldown_ms = 10 * kMinute;
  rule.actions.resize(1);  // log
  auto engine = MakeEngine({rule}, rec.Callbacks());
  EXPECT_EQ(Names(engine->Evaluate(One(0, "error_rate", 0.5))), Events{"e:firing"});
  EXPECT_EQ(Names(engine->Evaluate(One(1 * kMinute, "error_rate", 0.1))), Events{"e:resolved"});
  std::vector<AlertEvent> events = engine->Evaluate(One(2 * kMinute, "error_rate", 0.5));
  EXPECT_EQ(Names(events), Events{"e:suppressed"});
  EXPECT_TRUE(events[0].actions.empty());
  AlertEngine::RuleStatus s = StatusOf(*engine, "e");
  EXPECT_EQ(s.state, AlertState::kFiring);
  EXPECT_TRUE(s.suppressed);
  EXPECT_EQ(s.last_fired_ms, 0);
  EXPECT_EQ(Names(engine->Evaluate(One(3 * kMinute, "error_rate", 0.5))), Events{});
  EXPECT_EQ(Names(engine->Evaluate(One(4 * kMinute, "error_rate", 0.1))), Events{"e:resolved"});
  EXPECT_FALSE(StatusOf(*engine, "e").suppressed);
  // Exactly the cool-down after the last firing: it fires (with actions) again.
  EXPECT_EQ(Names(engine->Evaluate(One(10 * kMinute, "error_rate", 0.5))), Events{"e:firing"});
  EXPECT_EQ(StatusOf(*engine, "e").last_fired_ms, 10 * kMinute);
  engine->WaitForActions();
  std::lock_guard lock(rec.mu);
  EXPECT_EQ(rec.logs.size(), 2u);
}

TEST(AlertEngineTest, RecordsActionErrors) {
  Recorder rec;
  rec.webhook_status = Unavailable("POST http://h/: HTTP 500");
  AlertRule rule = Rule("e", "error_rate", CompareOp::kGreater, 0.2);
  rule.actions.resize(2);
  rule.actions[0].type = AlertAction::Type::kWebhook;
  rule.actions[1].type = AlertAction::Type::kPipeline;
  rule.actions[1].pipeline.name = "retrain";
  AlertCallbacks callbacks = rec.Callbacks();
  callbacks.trigger_pipeline = nullptr;
  auto engine = MakeEngine({rule}, callbacks);
  engine->Evaluate(One(kMinute, "error_rate", 0.5));
  engine->WaitForActions();
  std::vector<AlertEvent> history = engine->History();
  ASSERT_EQ(history.size(), 1u);
  ASSERT_EQ(history[0].actions.size(), 2u);
  EXPECT_EQ(history[0].actions[0].outcome, ActionOutcome::Outcome::kError);
  EXPECT_EQ(history[0].actions[0].detail, "POST http://h/: HTTP 500");
  EXPECT_EQ(history[0].actions[1].outcome, ActionOutcome::Outcome::kError);
  EXPECT_EQ(history[0].actions[1].detail, "no pipeline trigger is configured");

  callbacks.trigger_pipeline = [](const PipelineAction&,
                                  const AlertFiring&) -> Result<std::string> {
    return NotFound("no pipeline named 'retrain'");
  };
  callbacks.post_webhook = [](const WebhookAction&, const std::string&) -> Status {
    throw std::runtime_error("boom");
  };
  engine = MakeEngine({rule}, callbacks);
  engine->Evaluate(One(kMinute, "error_rate", 0.5));
  engine->WaitForActions();
  history = engine->History();
  EXPECT_EQ(history[0].actions[0].detail, "the action threw: boom");
  EXPECT_EQ(history[0].actions[1].detail, "pipeline retrain: no pipeline named 'retrain'");
}

TEST(AlertEngineTest, EvaluateDoesNotWaitForActions) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  AlertCallbacks callbacks;
  callbacks.post_webhook = [&](const WebhookAction&, const std::string&) {
    entered.set_value();
    released.wait();
    return Status::Ok();
  };
  std::vector<std::string> logs;
  callbacks.log = [&](const std::string& line) { logs.push_back(line); };
  AlertRule a = Rule("a", "error_rate", CompareOp::kGreater, 0.2);
  a.actions.resize(1);
  a.actions[0].type = AlertAction::Type::kWebhook;
  AlertRule b = Rule("b", "latency_p99_ms", CompareOp::kGreater, 100);
  b.actions.resize(2);  // two log lines
  auto engine = MakeEngine({a, b}, callbacks, /*history=*/1000, /*queue=*/1);
  engine->Evaluate(One(kMinute, "error_rate", 0.5));
  entered.get_future().wait();  // the worker is inside the webhook
  std::vector<AlertEvent> events = engine->Evaluate(One(kMinute, "latency_p99_ms", 250));
  ASSERT_EQ(Names(events), Events{"b:firing"});
  // One log queued; the second found the queue (capacity 1) full.
  EXPECT_EQ(events[0].actions[0].outcome, ActionOutcome::Outcome::kQueued);
  EXPECT_EQ(events[0].actions[1].outcome, ActionOutcome::Outcome::kError);
  EXPECT_EQ(events[0].actions[1].detail, "not run: the action queue is full (1)");
  std::string json = engine->StateJson();
  EXPECT_NE(json.find(R"("actions":[{"type":"webhook","ok":null,"detail":""}])"), std::string::npos)
      << json;
  release.set_value();
  engine->WaitForActions();
  EXPECT_EQ(logs.size(), 1u);
  json = engine->StateJson();
  EXPECT_NE(json.find(R"("actions":[{"type":"webhook","ok":true,"detail":""}])"), std::string::npos)
      << json;
}

TEST(AlertEngineTest, HistoryIsBounded) {
  auto engine = MakeEngine({Rule("e", "error_rate", CompareOp::kGreater, 0.2)}, {}, /*history=*/3);
  for (int i = 1; i <= 5; ++i) {
    engine->Evaluate(One(i * kMinute, "error_rate", i % 2 == 1 ? 0.5 : 0.1));
  }
  std::vector<AlertEvent> history = engine->History();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].id, 3u);
  EXPECT_EQ(history[2].id, 5u);
  EXPECT_EQ(history[2].time_ms, 5 * kMinute);
}

TEST(AlertEngineTest, StateJsonShape) {
  Recorder rec;
  AlertRule d = Rule("drift-high", "drift.psi", CompareOp::kGreater, 0.2, 2);
  d.min_count = 50;
  d.cooldown_ms = 10 * kMinute;
  d.actions.resize(1);
  d.actions[0].type = AlertAction::Type::kPipeline;
  d.actions[0].pipeline.name = "retrain";
  AlertRule e = Rule("errors", "error_rate", CompareOp::kGreaterEqual, 0.5);
  auto engine = MakeEngine({d, e}, rec.Callbacks());
  EXPECT_EQ(engine->StateJson(),
            R"({"alerts":[)"
            R"({"name":"drift-high","model":"m","metric":"drift.psi","feature":"*","op":">",)"
            R"("threshold":0.2,"for":2,"min_count":50,"cooldown_ms":600000,"state":"ok",)"
            R"("since_ms":null,"last_value":null,"consecutive":0,"last_fired_ms":null,)"
            R"("suppressed":false},)"
            R"({"name":"errors","model":"m","metric":"error_rate","feature":null,"op":">=",)"
            R"("threshold":0.5,"for":1,"min_count":1,"cooldown_ms":0,"state":"ok",)"
            R"("since_ms":null,"last_value":null,"consecutive":0,"last_fired_ms":null,)"
            R"("suppressed":false}],"history":[]})");
  engine->Evaluate(One(1 * kMinute, "drift.psi:x", 0.25));
  engine->Evaluate(One(2 * kMinute, "drift.psi:x", 0.5));
  engine->WaitForActions();
  EXPECT_EQ(engine->StateJson(),
            R"({"alerts":[)"
            R"({"name":"drift-high","model":"m","metric":"drift.psi","feature":"*","op":">",)"
            R"("threshold":0.2,"for":2,"min_count":50,"cooldown_ms":600000,"state":"firing",)"
            R"("since_ms":120000,"last_value":0.5,"consecutive":2,"last_fired_ms":120000,)"
            R"("suppressed":false},)"
            R"({"name":"errors","model":"m","metric":"error_rate","feature":null,"op":">=",)"
            R"("threshold":0.5,"for":1,"min_count":1,"cooldown_ms":0,"state":"ok",)"
            R"("since_ms":null,"last_value":null,"consecutive":0,"last_fired_ms":null,)"
            R"("suppressed":false}],"history":[)"
            R"({"id":1,"time_ms":60000,"alert":"drift-high","model":"m","version":3,)"
            R"("event":"pending","feature":"x","value":0.25,"actions":[]},)"
            R"({"id":2,"time_ms":120000,"alert":"drift-high","model":"m","version":3,)"
            R"("event":"firing","feature":"x","value":0.5,"actions":[)"
            R"({"type":"pipeline","ok":true,"detail":"run-1"}]}]})");
}

TEST(AlertEngineTest, CreateRefusesBadOptions) {
  AlertEngineOptions options;
  options.history_capacity = 0;
  Result<std::unique_ptr<AlertEngine>> r = AlertEngine::Create({}, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "alert engine: history capacity must be positive");
  options = {};
  options.action_queue_capacity = 0;
  r = AlertEngine::Create({}, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "alert engine: action queue capacity must be positive");
  r = AlertEngine::Create({Rule("a", "error_rate", CompareOp::kGreater, 1),
                           Rule("a", "error_rate", CompareOp::kLess, 1)},
                          {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "alert engine: two rules are named 'a'");
  auto engine = MakeEngine({});
  EXPECT_EQ(engine->StatusOf("x").status().message(), "no alert rule named 'x'");
}

}  // namespace
}  // namespace ferry::alerts

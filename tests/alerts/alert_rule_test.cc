#include "ferry/monitor/alerts/alert_rule.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <string>

namespace ferry::alerts {
namespace {

Result<std::vector<AlertRule>> Parse(const std::string& yaml) {
  YAML::Node root = YAML::Load(yaml);
  return ParseAlertRules(root["alerts"], "serve.yaml");
}

// The error message of parsing `yaml`, or "" when it parses.
std::string ErrorOf(const std::string& yaml) {
  Result<std::vector<AlertRule>> r = Parse(yaml);
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

// One rule with the required keys plus `extra` lines (indented 4).
std::string OneRule(const std::string& extra) {
  return "alerts:\n"
         "  - name: r1\n"
         "    model: m\n"
         "    metric: drift.psi\n"
         "    threshold: 0.2\n" +
         extra;
}

TEST(AlertRuleTest, ParsesTheFullExample) {
  Result<std::vector<AlertRule>> r = Parse(R"(
alerts:
  - name: drift-high
    model: breast-cancer
    metric: drift.psi
    feature: "*"
    op: ">"
    threshold: 0.2
    for: 2
    min_count: 50
    cooldown: 10m
    actions:
      - log
      - webhook: {url: "http://127.0.0.1:9000/hook", timeout: 5s}
      - pipeline: {name: retrain, params: {data: /data/new.csv}}
  - name: acc-low
    model: breast-cancer
    metric: performance.accuracy
    op: "<="
    threshold: 0.9
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  const AlertRule& a = (*r)[0];
  EXPECT_EQ(a.name, "drift-high");
  EXPECT_EQ(a.model, "breast-cancer");
  EXPECT_EQ(a.metric, "drift.psi");
  EXPECT_EQ(a.feature, "*");
  EXPECT_EQ(a.op, CompareOp::kGreater);
  EXPECT_DOUBLE_EQ(a.threshold, 0.2);
  EXPECT_EQ(a.for_windows, 2);
  EXPECT_EQ(a.min_count, 50);
  EXPECT_EQ(a.cooldown_ms, 600'000);
  ASSERT_EQ(a.actions.size(), 3u);
  EXPECT_EQ(a.actions[0].type, AlertAction::Type::kLog);
  EXPECT_EQ(a.actions[1].type, AlertAction::Type::kWebhook);
  EXPECT_EQ(a.actions[1].webhook.url, "http://127.0.0.1:9000/hook");
  EXPECT_EQ(a.actions[1].webhook.timeout_ms, 5000);
  EXPECT_EQ(a.actions[2].type, AlertAction::Type::kPipeline);
  EXPECT_EQ(a.actions[2].pipeline.name, "retrain");
  EXPECT_EQ(a.actions[2].pipeline.params.at("data"), "/data/new.csv");

  const AlertRule& b = (*r)[1];
  EXPECT_EQ(b.feature, "");  // not a drift metric
  EXPECT_EQ(b.op, CompareOp::kLessEqual);
  EXPECT_EQ(b.for_windows, 1);
  EXPECT_EQ(b.min_count, 1);
  EXPECT_EQ(b.cooldown_ms, 0);
  EXPECT_TRUE(b.actions.empty());
}

TEST(AlertRuleTest, DefaultsAndEveryMetricAndOp) {
  for (const std::string& metric : KnownAlertMetrics()) {
    Result<std::vector<AlertRule>> r =
        Parse("alerts:\n  - {name: a, model: m, metric: " + metric + ", threshold: 1}\n");
    ASSERT_TRUE(r.ok()) << metric << ": " << r.status().ToString();
    EXPECT_EQ((*r)[0].feature, metric.starts_with("drift.") ? "*" : "") << metric;
  }
  const std::pair<const char*, CompareOp> ops[] = {{">", CompareOp::kGreater},
                                                   {"<", CompareOp::kLess},
                                                   {">=", CompareOp::kGreaterEqual},
                                                   {"<=", CompareOp::kLessEqual}};
  for (const auto& [text, op] : ops) {
    Result<std::vector<AlertRule>> r =
        Parse(OneRule("    op: \"" + std::string(text) + "\"\n    feature: prediction\n"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].op, op);
    EXPECT_EQ(CompareOpText(op), text);
    EXPECT_EQ((*r)[0].feature, "prediction");
  }
}

TEST(AlertRuleTest, NoAlertsIsAnEmptyList) {
  Result<std::vector<AlertRule>> r = Parse("other: 1\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  r = Parse("alerts:\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(AlertRuleTest, ErrorsNameThePositionTheRuleAndTheKey) {
  EXPECT_EQ(ErrorOf("alerts: {a: 1}\n"),
            "serve.yaml:1:9: alerts: expected a list of rules, got a mapping");
  EXPECT_EQ(ErrorOf("alerts:\n  - 3\n"), "serve.yaml:2:5: alerts[0]: expected a mapping, got '3'");
  EXPECT_EQ(ErrorOf(OneRule("    colour: red\n")),
            "serve.yaml:6:5: alerts[0] (r1): colour: unknown key; expected one of: actions, "
            "cooldown, feature, for, metric, min_count, model, name, op, threshold");
  EXPECT_EQ(ErrorOf("alerts:\n  - {model: m, metric: error_rate, threshold: 1}\n"),
            "serve.yaml:2:5: alerts[0]: name: is required");
  EXPECT_EQ(ErrorOf("alerts:\n  - {name: 'a b', model: m, metric: error_rate, threshold: 1}\n"),
            "serve.yaml:2:12: alerts[0] (a b): name: expected letters, digits, '_', '.' or '-' "
            "(at most 128)");
  EXPECT_EQ(ErrorOf("alerts:\n  - {name: a, metric: error_rate, threshold: 1}\n"),
            "serve.yaml:2:5: alerts[0] (a): model: is required");
  EXPECT_EQ(ErrorOf("alerts:\n  - {name: a, model: [x], metric: error_rate, threshold: 1}\n"),
            "serve.yaml:2:22: alerts[0] (a): model: expected a non-empty string, got a list");
  EXPECT_EQ(ErrorOf("alerts:\n  - {name: a, model: m, threshold: 1}\n"),
            "serve.yaml:2:5: alerts[0] (a): metric: is required");
  EXPECT_EQ(ErrorOf("alerts:\n  - {name: a, model: m, metric: drift.foo, threshold: 1}\n"),
            "serve.yaml:2:33: alerts[0] (a): metric: unknown metric 'drift.foo'; expected one "
            "of: drift.psi, drift.ks, drift.js, drift.chi_square, drift.missing_rate, "
            "performance.accuracy, performance.auc, performance.log_loss, performance.rmse, "
            "performance.mae, error_rate, latency_p99_ms");
  EXPECT_EQ(
      ErrorOf("alerts:\n  - {name: a, model: m, metric: error_rate, feature: f, threshold: 1}\n"),
      "serve.yaml:2:54: alerts[0] (a): feature: only drift metrics take a feature (metric is "
      "error_rate)");
  EXPECT_EQ(ErrorOf(OneRule("    feature: ''\n")),
            "serve.yaml:6:14: alerts[0] (r1): feature: expected a non-empty string, got ''");
  EXPECT_EQ(ErrorOf(OneRule("    op: '=='\n")),
            "serve.yaml:6:9: alerts[0] (r1): op: expected one of >, <, >=, <=, got '=='");
  EXPECT_EQ(ErrorOf("alerts:\n  - {name: a, model: m, metric: error_rate}\n"),
            "serve.yaml:2:5: alerts[0] (a): threshold: is required");
  EXPECT_EQ(ErrorOf("alerts:\n  - {name: a, model: m, metric: error_rate, threshold: high}\n"),
            "serve.yaml:2:56: alerts[0] (a): threshold: expected a finite number, got 'high'");
  EXPECT_EQ(ErrorOf("alerts:\n  - {name: a, model: m, metric: error_rate, threshold: .nan}\n"),
            "serve.yaml:2:56: alerts[0] (a): threshold: expected a finite number, got '.nan'");
  EXPECT_EQ(ErrorOf(OneRule("    for: 0\n")),
            "serve.yaml:6:10: alerts[0] (r1): for: expected a positive integer, got '0'");
  EXPECT_EQ(ErrorOf(OneRule("    for: 1.5\n")),
            "serve.yaml:6:10: alerts[0] (r1): for: expected a positive integer, got '1.5'");
  EXPECT_EQ(ErrorOf(OneRule("    min_count: -3\n")),
            "serve.yaml:6:16: alerts[0] (r1): min_count: expected a positive integer, got '-3'");
  EXPECT_EQ(ErrorOf(OneRule("    cooldown: 10\n")),
            "serve.yaml:6:15: alerts[0] (r1): cooldown: expected a duration like 90s, 10m or 1h, "
            "got '10'");
  EXPECT_EQ(ErrorOf(OneRule("    actions: log\n")),
            "serve.yaml:6:14: alerts[0] (r1): actions: expected a list, got 'log'");
  EXPECT_EQ(ErrorOf(OneRule("    actions: [email]\n")),
            "serve.yaml:6:15: alerts[0] (r1): actions[0]: expected log, {webhook: {...}} or "
            "{pipeline: {...}}, got 'email'");
  EXPECT_EQ(ErrorOf(OneRule("    actions: [{webhook: {url: 'http://h/'}, log: 1}]\n")),
            "serve.yaml:6:15: alerts[0] (r1): actions[0]: expected log, {webhook: {...}} or "
            "{pipeline: {...}} (one key), got a mapping");
  EXPECT_EQ(ErrorOf(OneRule("    actions: [{email: {to: x}}]\n")),
            "serve.yaml:6:16: alerts[0] (r1): actions[0]: unknown action 'email'; expected log, "
            "webhook or pipeline");
  EXPECT_EQ(ErrorOf(OneRule("    actions: [{webhook: 'http://h/'}]\n")),
            "serve.yaml:6:25: alerts[0] (r1): actions[0].webhook: expected a mapping {url, "
            "timeout}, got 'http://h/'");
  EXPECT_EQ(ErrorOf(OneRule("    actions: [{webhook: {timeout: 1s}}]\n")),
            "serve.yaml:6:25: alerts[0] (r1): actions[0].webhook.url: is required");
  EXPECT_EQ(ErrorOf(OneRule("    actions: [{webhook: {url: 'https://h/'}}]\n")),
            "serve.yaml:6:31: alerts[0] (r1): actions[0].webhook.url: webhook url: expected "
            "http://host:port/path (only plain http is supported), got 'https://h/'");
  EXPECT_EQ(ErrorOf(OneRule("    actions: [{webhook: {url: 'http://h/', timeout: 0}}]\n")),
            "serve.yaml:6:53: alerts[0] (r1): actions[0].webhook.timeout: must be more than 0 "
            "and at most 60s");
  EXPECT_EQ(ErrorOf(OneRule("    actions: [{webhook: {url: 'http://h/', timeout: 61s}}]\n")),
            "serve.yaml:6:53: alerts[0] (r1): actions[0].webhook.timeout: must be more than 0 "
            "and at most 60s");
  EXPECT_EQ(ErrorOf(OneRule("    actions: [{webhook: {url: 'http://h/', retries: 3}}]\n")),
            "serve.yaml:6:44: alerts[0] (r1): actions[0].webhook.retries: unknown key; expected "
            "one of: timeout, url");
  EXPECT_EQ(ErrorOf(OneRule("    actions: [{pipeline: {params: {a: 1}}}]\n")),
            "serve.yaml:6:26: alerts[0] (r1): actions[0].pipeline.name: is required");
  EXPECT_EQ(ErrorOf(OneRule("    actions: [{pipeline: {name: p, params: [1]}}]\n")),
            "serve.yaml:6:44: alerts[0] (r1): actions[0].pipeline.params: expected a mapping of "
            "names to values, got a list");
  EXPECT_EQ(ErrorOf(OneRule("    actions: [{pipeline: {name: p, params: {a: [1]}}}]\n")),
            "serve.yaml:6:48: alerts[0] (r1): actions[0].pipeline.params.a: expected a scalar "
            "value, got a list");
  EXPECT_EQ(ErrorOf(OneRule("    actions: [{pipeline: {name: p, with: {}}}]\n")),
            "serve.yaml:6:36: alerts[0] (r1): actions[0].pipeline.with: unknown key; expected "
            "one of: name, params");
}

TEST(AlertRuleTest, RefusesDuplicateNames) {
  EXPECT_EQ(ErrorOf("alerts:\n"
                    "  - {name: a, model: m, metric: error_rate, threshold: 1}\n"
                    "  - {name: b, model: m, metric: error_rate, threshold: 1}\n"
                    "  - {name: a, model: n, metric: error_rate, threshold: 2}\n"),
            "serve.yaml:4:12: alerts[2] (a): name: duplicate name (also alerts[0])");
}

TEST(AlertRuleTest, ParsesDurations) {
  EXPECT_EQ(*ParseAlertDurationMs("0"), 0);
  EXPECT_EQ(*ParseAlertDurationMs("250ms"), 250);
  EXPECT_EQ(*ParseAlertDurationMs("90s"), 90'000);
  EXPECT_EQ(*ParseAlertDurationMs("10m"), 600'000);
  EXPECT_EQ(*ParseAlertDurationMs("1h30m"), 5'400'000);
  for (const char* bad : {"", "10", "s", "1d", "-1s", "1.5s", "9999h"}) {
    Result<int64_t> r = ParseAlertDurationMs(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(),
              "expected a duration like 90s, 10m or 1h, got '" + std::string(bad) + "'");
  }
}

TEST(AlertRuleTest, ComparesWithEachOp) {
  EXPECT_TRUE(Breaches(CompareOp::kGreater, 0.3, 0.2));
  EXPECT_FALSE(Breaches(CompareOp::kGreater, 0.2, 0.2));
  EXPECT_TRUE(Breaches(CompareOp::kGreaterEqual, 0.2, 0.2));
  EXPECT_FALSE(Breaches(CompareOp::kGreaterEqual, 0.1, 0.2));
  EXPECT_TRUE(Breaches(CompareOp::kLess, 0.1, 0.2));
  EXPECT_FALSE(Breaches(CompareOp::kLess, 0.2, 0.2));
  EXPECT_TRUE(Breaches(CompareOp::kLessEqual, 0.2, 0.2));
  EXPECT_FALSE(Breaches(CompareOp::kLessEqual, 0.3, 0.2));
  for (CompareOp op :
       {CompareOp::kGreater, CompareOp::kLess, CompareOp::kGreaterEqual, CompareOp::kLessEqual}) {
    EXPECT_FALSE(Breaches(op, std::nan(""), 0.2));
  }
}

}  // namespace
}  // namespace ferry::alerts

#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"

namespace YAML {
class Node;
}

namespace ferry::alerts {

// How a rule compares a window's value with its threshold.
enum class CompareOp { kGreater, kLess, kGreaterEqual, kLessEqual };

// ">", "<", ">=", "<=".
std::string_view CompareOpText(CompareOp op);
// True when `value op threshold` holds. NaN never breaches.
bool Breaches(CompareOp op, double value, double threshold);

// POST of the alert's JSON body to an http:// URL.
struct WebhookAction {
  std::string url;
  int64_t timeout_ms = 5000;  // (0, 60 s]
};

// Starts a run of pipeline `name` with `params` overriding its defaults.
struct PipelineAction {
  std::string name;
  std::map<std::string, std::string> params;
};

struct AlertAction {
  enum class Type { kLog, kWebhook, kPipeline };
  Type type = Type::kLog;
  WebhookAction webhook;    // when type == kWebhook
  PipelineAction pipeline;  // when type == kPipeline
};

// "log", "webhook", "pipeline".
std::string_view ActionTypeName(AlertAction::Type type);

// One entry of the serve config's `alerts:` list (docs/monitoring.md, "Alerts").
struct AlertRule {
  std::string name;    // unique, [A-Za-z0-9_.-]+
  std::string model;   // the model whose windows it watches
  std::string metric;  // one of KnownAlertMetrics()
  // Drift metrics only (else ""): a feature name, "prediction", or "*" = the
  // maximum over the input features (not the prediction).
  std::string feature;
  CompareOp op = CompareOp::kGreater;
  double threshold = 0;
  int64_t for_windows = 1;  // consecutive breaching windows before it fires, >= 1
  int64_t min_count = 1;    // a window with fewer observations is "no data", >= 1
  int64_t cooldown_ms = 0;  // no new firing with actions within this of the last one
  std::vector<AlertAction> actions;

  bool is_drift() const { return metric.starts_with("drift."); }
};

// drift.psi, drift.ks, drift.js, drift.chi_square, drift.missing_rate,
// performance.accuracy, performance.auc, performance.log_loss,
// performance.rmse, performance.mae, error_rate, latency_p99_ms.
const std::vector<std::string>& KnownAlertMetrics();

// "0", or NUMBER+UNIT parts with units ms, s, m, h ("90s", "10m", "1h30m").
// InvalidArgument "expected a duration like 90s, 10m or 1h, got 'x'".
Result<int64_t> ParseAlertDurationMs(std::string_view text);

// Parses the `alerts:` list. `origin` names the file in messages, which read
// "<origin>:<line>:<col>: alerts[<i>] (<name>): <key>: <problem>" (the name
// when it is known; line:col when the node has a position). A null/undefined
// node is an empty list. Unknown keys, missing required keys, bad values and
// duplicate names are InvalidArgument.
Result<std::vector<AlertRule>> ParseAlertRules(const YAML::Node& alerts, std::string_view origin);

}  // namespace ferry::alerts

#include "ferry/monitor/alerts/alert_rule.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "ferry/base/duration.h"
#include "ferry/monitor/alerts/webhook.h"

namespace ferry::alerts {
namespace {

// Actions run one at a time: one slow webhook holds up the others.
constexpr int64_t kMaxWebhookTimeoutMs = 60'000;

// Builds messages "<origin>:<line>:<col>: alerts[<i>] (<name>): <key>: <problem>".
class Where {
 public:
  Where(std::string_view origin, size_t index) : origin_(origin), index_(index) {}
  void set_name(std::string name) { name_ = std::move(name); }

  Status At(const YAML::Node& node, std::string_view key, std::string_view problem) const {
    std::string msg = origin_;
    if (node.IsDefined() && node.Mark().line >= 0) {
      msg +=
          ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
    }
    msg += ": alerts[" + std::to_string(index_) + "]";
    if (!name_.empty()) msg += " (" + name_ + ")";
    if (!key.empty()) msg += ": " + std::string(key);
    msg += ": " + std::string(problem);
    return InvalidArgument(std::move(msg));
  }

 private:
  std::string origin_;
  size_t index_;
  std::string name_;
};

std::string Describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return "'" + n.Scalar() + "'";
    default:
      return "nothing";
  }
}

std::string JoinKeys(const std::set<std::string_view>& keys) {
  std::string out;
  for (std::string_view k : keys) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

Status CheckKeys(const Where& w, const YAML::Node& map, std::string_view prefix,
                 const std::set<std::string_view>& allowed) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : Describe(it->first);
    if (!allowed.count(key)) {
      return w.At(it->first, std::string(prefix) + key,
                  "unknown key; expected one of: " + JoinKeys(allowed));
    }
  }
  return Status::Ok();
}

Result<std::string> RequireString(const Where& w, const YAML::Node& parent, const char* key,
                                  std::string_view label) {
  YAML::Node n = parent[key];
  if (!n.IsDefined() || n.IsNull()) return w.At(parent, label, "is required");
  if (!n.IsScalar() || n.Scalar().empty()) {
    return w.At(n, label, "expected a non-empty string, got " + Describe(n));
  }
  return n.Scalar();
}

Result<int64_t> ReadCount(const Where& w, const YAML::Node& n, std::string_view label) {
  const std::string text = n.IsScalar() ? n.Scalar() : "";
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (!n.IsScalar() || text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      v < 1) {
    return w.At(n, label, "expected a positive integer, got " + Describe(n));
  }
  return v;
}

Result<int64_t> ReadDuration(const Where& w, const YAML::Node& n, std::string_view label) {
  if (!n.IsScalar()) return w.At(n, label, "expected a duration like 90s, 10m or 1h");
  Result<int64_t> ms = ParseAlertDurationMs(n.Scalar());
  if (!ms.ok()) return w.At(n, label, ms.status().message());
  return *ms;
}

Result<double> ReadNumber(const Where& w, const YAML::Node& n, std::string_view label) {
  const std::string text = n.IsScalar() ? n.Scalar() : "";
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (!n.IsScalar() || text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(v)) {
    return w.At(n, label, "expected a finite number, got " + Describe(n));
  }
  return v;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

Result<AlertAction> ParseAction(const Where& w, const YAML::Node& n, const std::string& label) {
  AlertAction action;
  if (n.IsScalar()) {
    if (n.Scalar() == "log") return action;
    return w.At(n, label,
                "expected log, {webhook: {...}} or {pipeline: {...}}, got " + Describe(n));
  }
  if (!n.IsMap() || n.size() != 1) {
    return w.At(
        n, label,
        "expected log, {webhook: {...}} or {pipeline: {...}} (one key), got " + Describe(n));
  }
  const auto entry = *n.begin();
  const std::string kind = entry.first.IsScalar() ? entry.first.Scalar() : "";
  const YAML::Node body = entry.second;
  const std::string at = label + "." + kind;
  if (kind == "webhook") {
    action.type = AlertAction::Type::kWebhook;
    if (!body.IsMap()) {
      return w.At(body, at, "expected a mapping {url, timeout}, got " + Describe(body));
    }
    FERRY_RETURN_IF_ERROR(CheckKeys(w, body, at + ".", {"url", "timeout"}));
    FERRY_ASSIGN_OR_RETURN(action.webhook.url, RequireString(w, body, "url", at + ".url"));
    Result<HttpUrl> url = ParseHttpUrl(action.webhook.url);
    if (!url.ok()) return w.At(body["url"], at + ".url", url.status().message());
    if (YAML::Node t = body["timeout"]) {
      FERRY_ASSIGN_OR_RETURN(action.webhook.timeout_ms, ReadDuration(w, t, at + ".timeout"));
      if (action.webhook.timeout_ms <= 0 || action.webhook.timeout_ms > kMaxWebhookTimeoutMs) {
        return w.At(t, at + ".timeout", "must be more than 0 and at most 60s");
      }
    }
    return action;
  }
  if (kind == "pipeline") {
    action.type = AlertAction::Type::kPipeline;
    if (!body.IsMap()) {
      return w.At(body, at, "expected a mapping {name, params}, got " + Describe(body));
    }
    FERRY_RETURN_IF_ERROR(CheckKeys(w, body, at + ".", {"name", "params"}));
    FERRY_ASSIGN_OR_RETURN(action.pipeline.name, RequireString(w, body, "name", at + ".name"));
    if (YAML::Node params = body["params"]; params.IsDefined() && !params.IsNull()) {
      if (!params.IsMap()) {
        return w.At(params, at + ".params",
                    "expected a mapping of names to values, got " + Describe(params));
      }
      for (const auto& kv : params) {
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
        if (key.empty()) return w.At(kv.first, at + ".params", "expected a parameter name");
        if (!kv.second.IsScalar()) {
          return w.At(kv.second, at + ".params." + key,
                      "expected a scalar value, got " + Describe(kv.second));
        }
        action.pipeline.params[key] = kv.second.Scalar();
      }
    }
    return action;
  }
  return w.At(entry.first, label,
              "unknown action '" + kind + "'; expected log, webhook or pipeline");
}

Result<AlertRule> ParseRule(const Where& where, const YAML::Node& n) {
  Where w = where;
  if (!n.IsMap()) return w.At(n, "", "expected a mapping, got " + Describe(n));
  if (YAML::Node name = n["name"]; name.IsDefined() && name.IsScalar()) w.set_name(name.Scalar());
  FERRY_RETURN_IF_ERROR(CheckKeys(w, n, "",
                                  {"name", "model", "metric", "feature", "op", "threshold", "for",
                                   "min_count", "cooldown", "actions"}));
  AlertRule rule;
  FERRY_ASSIGN_OR_RETURN(rule.name, RequireString(w, n, "name", "name"));
  if (!IsIdentifier(rule.name)) {
    return w.At(n["name"], "name", "expected letters, digits, '_', '.' or '-' (at most 128)");
  }
  FERRY_ASSIGN_OR_RETURN(rule.model, RequireString(w, n, "model", "model"));
  FERRY_ASSIGN_OR_RETURN(rule.metric, RequireString(w, n, "metric", "metric"));
  const auto& known = KnownAlertMetrics();
  if (std::find(known.begin(), known.end(), rule.metric) == known.end()) {
    std::string list;
    for (const auto& m : known) list += (list.empty() ? "" : ", ") + m;
    return w.At(n["metric"], "metric",
                "unknown metric '" + rule.metric + "'; expected one of: " + list);
  }
  if (YAML::Node f = n["feature"]; f.IsDefined()) {
    if (!rule.is_drift()) {
      return w.At(f, "feature",
                  "only drift metrics take a feature (metric is " + rule.metric + ")");
    }
    FERRY_ASSIGN_OR_RETURN(rule.feature, RequireString(w, n, "feature", "feature"));
  } else if (rule.is_drift()) {
    rule.feature = "*";
  }
  if (YAML::Node op = n["op"]; op.IsDefined()) {
    const std::string text = op.IsScalar() ? op.Scalar() : "";
    if (text == ">") {
      rule.op = CompareOp::kGreater;
    } else if (text == "<") {
      rule.op = CompareOp::kLess;
    } else if (text == ">=") {
      rule.op = CompareOp::kGreaterEqual;
    } else if (text == "<=") {
      rule.op = CompareOp::kLessEqual;
    } else {
      return w.At(op, "op", "expected one of >, <, >=, <=, got " + Describe(op));
    }
  }
  YAML::Node threshold = n["threshold"];
  if (!threshold.IsDefined() || threshold.IsNull()) return w.At(n, "threshold", "is required");
  FERRY_ASSIGN_OR_RETURN(rule.threshold, ReadNumber(w, threshold, "threshold"));
  if (YAML::Node f = n["for"]) {
    FERRY_ASSIGN_OR_RETURN(rule.for_windows, ReadCount(w, f, "for"));
  }
  if (YAML::Node m = n["min_count"]) {
    FERRY_ASSIGN_OR_RETURN(rule.min_count, ReadCount(w, m, "min_count"));
  }
  if (YAML::Node c = n["cooldown"]) {
    FERRY_ASSIGN_OR_RETURN(rule.cooldown_ms, ReadDuration(w, c, "cooldown"));
  }
  if (YAML::Node actions = n["actions"]; actions.IsDefined() && !actions.IsNull()) {
    if (!actions.IsSequence()) {
      return w.At(actions, "actions", "expected a list, got " + Describe(actions));
    }
    for (size_t i = 0; i < actions.size(); ++i) {
      FERRY_ASSIGN_OR_RETURN(AlertAction a,
                             ParseAction(w, actions[i], "actions[" + std::to_string(i) + "]"));
      rule.actions.push_back(std::move(a));
    }
  }
  return rule;
}

}  // namespace

std::string_view CompareOpText(CompareOp op) {
  switch (op) {
    case CompareOp::kGreater:
      return ">";
    case CompareOp::kLess:
      return "<";
    case CompareOp::kGreaterEqual:
      return ">=";
    case CompareOp::kLessEqual:
      return "<=";
  }
  return "?";
}

bool Breaches(CompareOp op, double value, double threshold) {
  switch (op) {
    case CompareOp::kGreater:
      return value > threshold;
    case CompareOp::kLess:
      return value < threshold;
    case CompareOp::kGreaterEqual:
      return value >= threshold;
    case CompareOp::kLessEqual:
      return value <= threshold;
  }
  return false;
}

std::string_view ActionTypeName(AlertAction::Type type) {
  switch (type) {
    case AlertAction::Type::kLog:
      return "log";
    case AlertAction::Type::kWebhook:
      return "webhook";
    case AlertAction::Type::kPipeline:
      return "pipeline";
  }
  return "?";
}

const std::vector<std::string>& KnownAlertMetrics() {
  static const std::vector<std::string> kMetrics = {"drift.psi",          "drift.ks",
                                                    "drift.js",           "drift.chi_square",
                                                    "drift.missing_rate", "performance.accuracy",
                                                    "performance.auc",    "performance.log_loss",
                                                    "performance.rmse",   "performance.mae",
                                                    "error_rate",         "latency_p99_ms"};
  return kMetrics;
}

Result<int64_t> ParseAlertDurationMs(std::string_view text) {
  if (text == "0") return int64_t{0};
  Result<int64_t> ms = ParseDurationMs(text);
  if (!ms.ok()) {
    return InvalidArgument("expected a duration like 90s, 10m or 1h, got '" + std::string(text) +
                           "'");
  }
  return ms;
}

Result<std::vector<AlertRule>> ParseAlertRules(const YAML::Node& alerts, std::string_view origin) {
  std::vector<AlertRule> rules;
  if (!alerts.IsDefined() || alerts.IsNull()) return rules;
  const std::string where(origin);
  try {
    if (!alerts.IsSequence()) {
      std::string msg = where;
      if (alerts.Mark().line >= 0) {
        msg += ":" + std::to_string(alerts.Mark().line + 1) + ":" +
               std::to_string(alerts.Mark().column + 1);
      }
      return InvalidArgument(msg + ": alerts: expected a list of rules, got " + Describe(alerts));
    }
    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < alerts.size(); ++i) {
      Where w(where, i);
      FERRY_ASSIGN_OR_RETURN(AlertRule rule, ParseRule(w, alerts[i]));
      auto [it, fresh] = seen.emplace(rule.name, i);
      if (!fresh) {
        w.set_name(rule.name);
        return w.At(alerts[i]["name"], "name",
                    "duplicate name (also alerts[" + std::to_string(it->second) + "])");
      }
      rules.push_back(std::move(rule));
    }
  } catch (const YAML::Exception& e) {
    std::string at = where;
    if (e.mark.line >= 0) {
      at += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    return InvalidArgument(at + ": alerts: " + e.msg);
  }
  return rules;
}

}  // namespace ferry::alerts

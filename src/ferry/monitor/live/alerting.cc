#include "ferry/monitor/live/alerting.h"

#include <yaml-cpp/yaml.h>

#include "ferry/base/files.h"
#include "ferry/protocol/error_reply.h"

namespace ferry::monitor {

alerts::WindowSummary SummarizeWindow(const ClosedWindow& closed) {
  alerts::WindowSummary s;
  s.model = closed.model;
  s.version = closed.version;
  s.start_ms = closed.window.start_ms;
  s.end_ms = closed.window.end_ms;
  for (const FeatureDrift& d : closed.drift) {
    const int64_t n = d.count;
    s.metrics["drift.psi:" + d.name] = {d.psi, n};
    s.metrics["drift.ks:" + d.name] = {d.ks, n};
    s.metrics["drift.js:" + d.name] = {d.js, n};
    s.metrics["drift.chi_square:" + d.name] = {d.chi_square, n};
    s.metrics["drift.missing_rate:" + d.name] = {d.missing_rate, d.count + d.missing};
  }
  const PerformanceMetrics& p = closed.performance;
  s.metrics["performance.accuracy"] = {p.accuracy, p.count};
  s.metrics["performance.auc"] = {p.auc, p.count};
  s.metrics["performance.log_loss"] = {p.log_loss, p.count};
  s.metrics["performance.rmse"] = {p.rmse, p.count};
  s.metrics["performance.mae"] = {p.mae, p.count};
  const Window& w = closed.window;
  s.metrics["error_rate"] = {w.ErrorRate(), w.requests + w.errors};
  s.metrics["latency_p99_ms"] = {w.LatencyP99Ms(), w.requests};
  return s;
}

Result<std::vector<alerts::AlertRule>> LoadAlertRules(const std::filesystem::path& config) {
  FERRY_ASSIGN_OR_RETURN(std::string text, ReadFile(config));
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(config.string() + ": not valid YAML: " + e.msg);
  }
  if (!root.IsMap()) return std::vector<alerts::AlertRule>();
  return alerts::ParseAlertRules(root["alerts"], config.string());
}

void MountAlertRoutes(protocol::Router& router, std::shared_ptr<alerts::AlertEngine> engine) {
  router.AddRoute("GET", "/api/v1/alerts",
                  [engine](protocol::HttpRequest& request, protocol::Responder done) {
                    const std::string_view target = request.target;
                    const std::string_view path = target.substr(0, target.find('?'));
                    if (path != "/api/v1/alerts" && path != "/api/v1/alerts/") {
                      done(protocol::ErrorReply(NotFound("no route " + std::string(path))));
                      return;
                    }
                    done(protocol::JsonReply(engine->StateJson()));
                  });
}

}  // namespace ferry::monitor

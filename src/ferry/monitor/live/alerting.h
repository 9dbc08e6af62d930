#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/monitor/alerts/alert_engine.h"
#include "ferry/monitor/alerts/alert_rule.h"
#include "ferry/monitor/live/model_monitor.h"
#include "ferry/protocol/router.h"

// Alert rules over ferry serve's monitoring windows: what a closed window
// tells the rules, the rules of the serve config, and GET /api/v1/alerts.
namespace ferry::monitor {

// The metrics of a closed window as alert rules name them:
// drift.<psi|ks|js|chi_square|missing_rate>:<feature> (count: the feature's
// values), performance.<accuracy|auc|log_loss|rmse|mae> (count: joined
// labels), error_rate (count: answers), latency_p99_ms (count: requests).
alerts::WindowSummary SummarizeWindow(const ClosedWindow& closed);

// The `alerts:` list of a serve config file (empty when absent).
Result<std::vector<alerts::AlertRule>> LoadAlertRules(const std::filesystem::path& config);

// GET /api/v1/alerts → AlertEngine::StateJson().
void MountAlertRoutes(protocol::Router& router, std::shared_ptr<alerts::AlertEngine> engine);

}  // namespace ferry::monitor

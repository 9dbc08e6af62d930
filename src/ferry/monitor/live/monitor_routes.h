#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "ferry/monitor/live/model_monitor.h"
#include "ferry/protocol/router.h"

// ferry serve's monitoring API (mounted by MountMonitorRoutes):
//
//   GET /api/v1/models/{m}/drift[?window=last|current|15m][&version=V]
//       drift of each input feature against the version's training
//       baseline in that window, with request/row/error counts and p99
//       latency (docs/monitoring.md shows the body).
//   GET /api/v1/models/{m}/performance[?window=…][&version=V]
//       accuracy, AUC, log loss / RMSE, MAE of the labels joined in the window.
//   POST /v2/models/{m}/feedback
//       {"key": "k", "label": 1} or a JSON array of such objects (at most
//       kMaxFeedbackItems); → {"joined": n, "unmatched": n, "unmatched_keys": […]}.
//
// Errors: {"error": …} — 404 unknown model or version, 400 bad query, body
// or label (nothing of the batch recorded), 413 too many items.
namespace ferry::monitor {

// Adds the routes to `router` (before the registry's /api/v1/ routes, so
// call it first). `monitor` must outlive the router.
inline constexpr size_t kMaxFeedbackItems = 100'000;

// `run_blocking` runs feedback (which may read the prediction log) off the
// I/O threads; null: inline.
void MountMonitorRoutes(protocol::Router& router, std::shared_ptr<Monitor> monitor,
                        std::function<void(std::function<void()>)> run_blocking);

// Parses a feedback body (exposed for tests).
Result<std::vector<Feedback>> ParseFeedbackBody(std::string_view body);

}  // namespace ferry::monitor

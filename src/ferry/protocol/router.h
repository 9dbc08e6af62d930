#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ferry/protocol/http_message.h"
#include "ferry/protocol/transport_metrics.h"
#include "ferry/protocol/v2_decode.h"
#include "ferry/serving/inference_service.h"

// Maps HTTP requests onto the InferenceService: every endpoint of the v2
// protocol that Ferry serves, Triton's statistics and repository extensions,
// and /metrics. Transport-neutral (no Beast); the server calls Handle once
// per request.
//
//   GET  /v2/health/live | /v2/health/ready | /v2
//   GET  /v2/models/{m}[/versions/{v}]            metadata
//   GET  /v2/models/{m}[/versions/{v}]/ready
//   POST /v2/models/{m}[/versions/{v}]/infer
//   GET  /v2/models[/{m}[/versions/{v}]]/stats
//   POST /v2/repository/index
//   POST /v2/repository/models/{m}/load | /unload  (blocking: run_blocking)
//   GET  /metrics
//
// Errors are {"error": "..."} with the status from ErrorReply (the one
// mapping). Routes under /v2/repository are management routes: when a token
// is configured they need "Authorization: Bearer <token>".
namespace ferry::protocol {

struct RouterOptions {
  std::string server_name = "ferry";
  std::string server_version = "dev";
  DecodeLimits limits;
  // Bearer token for management routes; empty = no check.
  std::string management_token;
  // Runs work that may block (model loads) off the I/O threads; null = inline.
  std::function<void(std::function<void()>)> run_blocking;
};

// A route added by an extension: called with the request and the responder.
using RouteHandler = std::function<void(HttpRequest&, Responder)>;

class Router {
 public:
  // `service` must outlive the router. `metrics`: the registry rendered at
  // /metrics (the core's); a new one when null.
  Router(serving::InferenceService& service, RouterOptions options,
         std::shared_ptr<monitor::MetricsRegistry> metrics);

  // Adds a route matched before the built-in ones (and before routes added
  // later): `method` exactly and a path starting with `path_prefix`, ending
  // with `path_suffix` (empty: any end) and made of `path_segments`
  // segments (0: any number; see PathSegments). `management`: needs the
  // bearer token. Not thread-safe: add every route before the server starts.
  void AddRoute(std::string method, std::string path_prefix, RouteHandler handler,
                bool management = false, std::string path_suffix = "", size_t path_segments = 0);

  // Answers `request` through `done`, exactly once, possibly on another
  // thread (infer answers come from the core's workers). Thread-safe.
  void Handle(HttpRequest request, Responder done);

  TransportMetrics& metrics() { return *metrics_; }

 private:
  struct Extension {
    std::string method, prefix;
    RouteHandler handler;
    bool management;
    std::string suffix;
    size_t segments;
  };

  void Infer(HttpRequest& request, const std::string& model, std::optional<int64_t> version,
             Responder done);
  Status CheckToken(const HttpRequest& request) const;

  serving::InferenceService& service_;
  const RouterOptions options_;
  std::unique_ptr<TransportMetrics> metrics_;
  std::vector<Extension> extensions_;
};

}  // namespace ferry::protocol

#pragma once

#include <string>
#include <vector>

#include "ferry/protocol/http_server.h"
#include "ferry/protocol/v2_decode.h"

// `ferry serve`: the model server on HTTP (v2 protocol). A plain function;
// serve_cli.cc maps the flags onto ServeArgs.
namespace ferry::cli {

struct ServeArgs {
  // "NAME=BUNDLE_DIR", or a registry reference "NAME@ALIAS" / "NAME:7" / "NAME"
  std::vector<std::string> models;
  std::string config;      // ferry-serve.yaml, optional
  std::string repository;  // model repository folder, optional
  std::string registry;    // --registry URI; else FERRY_REGISTRY, else the default under FERRY_HOME
  // Bearer token for the management routes (/v2/repository/*, registry
  // writes under /api/v1), optional; the CLI fills it from FERRY_TOKEN too.
  std::string token;
  protocol::HttpServerOptions http;
  protocol::DecodeLimits limits;
  std::string version = "dev";
  std::vector<std::string> pipelines;  // --pipeline FILE: mounts the trigger API
  bool scheduler = false;              // --scheduler: start their scheduled runs
  int64_t starting_deadline_s = 3600;  // --starting-deadline
  // Prediction log root (<DIR>/<model>/); empty: the config's log_dir, else
  // $FERRY_HOME/logs.
  std::string log_dir;
  bool no_prediction_log = false;  // --no-prediction-log overrides the config
  bool no_monitoring = false;      // --no-monitoring: no observer at all (log, drift, feedback)
};

// Opens the registry when one is configured (--registry, FERRY_REGISTRY, or
// an existing $FERRY_HOME/registry.db) or a --model names a reference, and
// mounts its REST API (/api/v1/...) on the router; resolves registry
// references and follows the ones that can move (registry_poll_interval_ms).
// Refuses to start (kExitFailure) on a non-loopback address without a token:
// the management routes would be open to the network.
// Monitors every model (monitoring: section of the config): prediction log,
// drift windows on /metrics and GET /api/v1/models/{m}/drift.
// Loads the models, serves until SIGTERM or SIGINT, then shuts down
// gracefully: stops accepting, lets in-flight requests finish (within the
// configured shutdown_timeout_ms) and returns kExitOk. Prints
// "ferry serve: listening on http://HOST:PORT" on stdout once ready (the
// real port when --port 0). Errors go to stderr with kExitFailure.
int Serve(const ServeArgs& args);

}  // namespace ferry::cli

#pragma once

#include <string>
#include <vector>

#include "ferry/protocol/http_server.h"
#include "ferry/protocol/v2_decode.h"

// `ferry serve`: the model server on HTTP (v2 protocol). A plain function;
// serve_cli.cc maps the flags onto ServeArgs.
namespace ferry::cli {

struct ServeArgs {
  std::vector<std::string> models;  // "NAME=BUNDLE_DIR"
  std::string config;               // ferry-serve.yaml, optional
  std::string repository;           // model repository folder, optional
  std::string token;                // bearer token for /v2/repository/*, optional
  protocol::HttpServerOptions http;
  protocol::DecodeLimits limits;
  std::string version = "dev";
};

// Loads the models, serves until SIGTERM or SIGINT, then shuts down
// gracefully: stops accepting, lets in-flight requests finish (within the
// configured shutdown_timeout_ms) and returns kExitOk. Prints
// "ferry serve: listening on http://HOST:PORT" on stdout once ready (the
// real port when --port 0). Errors go to stderr with kExitFailure.
int Serve(const ServeArgs& args);

}  // namespace ferry::cli

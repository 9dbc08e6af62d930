#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "ferry/protocol/http_server.h"
#include "ferry/protocol/router.h"
#include "ferry/serving/model_server.h"

// The real serving stack for transport tests: a ModelServer on the example
// breast-cancer bundle (model "breast-cancer", version 1), the Router and the
// Beast HttpServer on 127.0.0.1, port 0.
namespace ferry::testing {

struct TestServerOptions {
  protocol::HttpServerOptions http;
  protocol::DecodeLimits limits;
  std::string token;
  serving::ModelSettings settings;
};

class TestServer {
 public:
  explicit TestServer(TestServerOptions options);
  ~TestServer();
  uint16_t port() const { return http_->port(); }
  protocol::HttpServer& http() { return *http_; }
  serving::ModelServer& core() { return *core_; }

 private:
  std::unique_ptr<serving::ModelServer> core_;
  std::unique_ptr<protocol::Router> router_;
  std::unique_ptr<protocol::HttpServer> http_;
};

// The example bundle, created once per test binary in a temporary folder.
const std::filesystem::path& ExampleBundle();
// The 30 features of the example data's first row, comma-separated.
const std::string& ExampleRowCsv();

}  // namespace ferry::testing

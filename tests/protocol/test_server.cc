#include "test_server.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "ferry/bundle/create.h"
#include "testing/test_util.h"

namespace ferry::testing {

const std::filesystem::path& ExampleBundle() {
  static TempDir dir;  // removed at exit
  static const std::filesystem::path path = [] {
    bundle::CreateOptions o;
    o.model_file = SourceDir() / "examples/breast-cancer/model.json";
    o.output_dir = dir.path() / "breast-cancer";
    o.name = "breast-cancer";
    auto b = bundle::CreateBundle(o);
    if (!b.ok()) {
      std::fprintf(stderr, "cannot create the example bundle: %s\n", b.status().message().c_str());
      std::abort();
    }
    return o.output_dir;
  }();
  return path;
}

const std::string& ExampleRowCsv() {
  static const std::string row = [] {
    std::ifstream in(SourceDir() / "examples/breast-cancer/data.csv");
    std::string header, line;
    std::getline(in, header);
    std::getline(in, line);
    // id first, target last.
    size_t first = line.find(',');
    size_t last = line.rfind(',');
    return line.substr(first + 1, last - first - 1);
  }();
  return row;
}

TestServer::TestServer(TestServerOptions options) {
  serving::ServerOptions so;
  so.models.push_back({"breast-cancer", ExampleBundle()});
  so.defaults = options.settings;
  so.shutdown_timeout_ms = 2000;
  auto metrics = std::make_shared<monitor::MetricsRegistry>();
  auto core = serving::ModelServer::Create(so, metrics);
  if (!core.ok()) {
    std::fprintf(stderr, "ModelServer::Create: %s\n", core.status().message().c_str());
    std::abort();
  }
  core_ = std::move(*core);
  protocol::RouterOptions ro;
  ro.server_version = "test";
  ro.limits = options.limits;
  ro.management_token = options.token;
  router_ = std::make_unique<protocol::Router>(*core_, ro, metrics);
  options.http.port = 0;
  auto http = protocol::HttpServer::Start(options.http, *router_);
  if (!http.ok()) {
    std::fprintf(stderr, "HttpServer::Start: %s\n", http.status().message().c_str());
    std::abort();
  }
  http_ = std::move(*http);
}

TestServer::~TestServer() {
  http_->StopAccepting();
  http_->WaitIdle(std::chrono::seconds(2));
  core_->Shutdown(std::chrono::seconds(2));
  http_->Stop();
  core_.reset();
  http_.reset();
}

}  // namespace ferry::testing

#include "ferry/monitor/live/monitor_routes.h"

#include <gtest/gtest.h>

#include <string>

#include "ferry/serving/model_server.h"
#include "testing/test_util.h"

namespace ferry::monitor {
namespace {

// Answers one request through the router (extension routes answer inline).
protocol::HttpResponse Call(protocol::Router& router, std::string method, std::string target,
                            std::string body = "") {
  protocol::HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.body = std::move(body);
  request.content_type = "application/json";
  protocol::HttpResponse out;
  out.status = -1;
  router.Handle(std::move(request), [&](protocol::HttpResponse r) { out = std::move(r); });
  return out;
}

// A server with no model (the real core), the monitoring routes, and a
// catch-all /api/v1/ route mounted after them, as the registry's is.
struct Stack {
  std::unique_ptr<serving::ModelServer> core;
  std::unique_ptr<protocol::Router> router;
  Stack(std::shared_ptr<Monitor> monitor) {
    serving::ServerOptions options;
    options.allow_no_models = true;
    core = std::move(serving::ModelServer::Create(options).value());
    router = std::make_unique<protocol::Router>(*core, protocol::RouterOptions{}, nullptr);
    MountMonitorRoutes(*router, std::move(monitor), nullptr);
    router->AddRoute("GET", "/api/v1/", [](protocol::HttpRequest&, protocol::Responder done) {
      protocol::HttpResponse r;
      r.body = "registry";
      done(std::move(r));
    });
  }
};

TEST(MonitorRoutesTest, MatchOnlyTheirOwnPaths) {
  ferry::testing::TempDir tmp;
  Stack stack(std::make_shared<Monitor>(MonitorOptions{}, tmp / "logs", nullptr));
  // The monitoring API answers its paths (an unknown model: 404 as JSON).
  protocol::HttpResponse r = Call(*stack.router, "GET", "/api/v1/models/m/drift?window=last");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("\"error\""), std::string::npos) << r.body;
  r = Call(*stack.router, "GET", "/api/v1/models/m/performance");
  EXPECT_EQ(r.status, 404);
  r = Call(*stack.router, "GET", "/api/v1/models/m/drift?window=nonsense");
  EXPECT_EQ(r.status, 400) << r.body;
  // Registry paths that merely end the same way are not taken: an alias
  // named "drift", a model named "performance".
  for (const char* path : {"/api/v1/models/m/aliases/drift", "/api/v1/models/drift",
                           "/api/v1/models/performance", "/api/v1/models/m/versions/3"}) {
    r = Call(*stack.router, "GET", path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, "registry") << path;
  }
  // Feedback: POST /v2/models/{m}/feedback only.
  r = Call(*stack.router, "POST", "/v2/models/m/feedback", R"({"key": "k", "label": 1})");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_NE(r.body.find("not monitored"), std::string::npos) << r.body;
  r = Call(*stack.router, "POST", "/v2/models/m/feedback", "{");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Call(*stack.router, "POST", "/v2/models/m/versions/1/feedback", R"({"key":"k","label":1})");
  // Not the monitoring route (which would say "not monitored here"): the core's 404.
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body.find("not monitored"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace ferry::monitor

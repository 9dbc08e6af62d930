// The /api/v1 registry endpoints, called through the transport-neutral
// handler (the same object ferry serve mounts), against both stores.
#include "ferry/registry/http/registry_routes.h"

#include <gtest/gtest.h>

#include "ferry/base/files.h"
#include "ferry/bundle/archive.h"
#include "registry/registry_test_util.h"

namespace ferry::registry {
namespace {

using testing::FreshStore;

class RoutesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    FERRY_REQUIRE_URI(fresh_);
    Result<std::unique_ptr<Registry>> r = Registry::Open({fresh_.home(), fresh_.uri(), {}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    reg_ = std::move(*r);
    routes_ = std::make_unique<RegistryRoutes>(*reg_, RegistryRoutesOptions{"s3cret"});
  }
  protocol::HttpResponse Call(const std::string& method, const std::string& target,
                              std::string body = "", std::string auth = "Bearer s3cret") {
    protocol::HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = std::move(body);
    req.authorization = std::move(auth);
    protocol::HttpResponse out;
    out.status = -1;
    routes_->Handle(req, [&](protocol::HttpResponse r) { out = std::move(r); });
    return out;
  }
  std::string Archive() {
    std::filesystem::path dir = testing::MakeBundle(tmp_ / "b", "bc", "rest");
    std::filesystem::path archive = tmp_ / "b.tar.zst";
    EXPECT_TRUE(bundle::PackDirectory(dir, archive).ok());
    return *ReadFile(archive);
  }
  FreshStore fresh_{GetParam()};
  ferry::testing::TempDir tmp_;
  std::unique_ptr<Registry> reg_;
  std::unique_ptr<RegistryRoutes> routes_;
};

TEST_P(RoutesTest, RegisterByUploadAliasTagsHistory) {
  protocol::HttpResponse up = Call("POST", "/api/v1/models/bc/versions", Archive());
  ASSERT_EQ(up.status, 201) << up.body;
  EXPECT_NE(up.body.find("\"reference\":\"bc:1\""), std::string::npos);
  EXPECT_EQ(Call("PUT", "/api/v1/models/bc/aliases/champion", "{\"version\":1}").status, 200);
  protocol::HttpResponse got = Call("GET", "/api/v1/models/bc/aliases/champion");
  EXPECT_EQ(got.status, 200);
  EXPECT_NE(got.body.find("\"version\":1"), std::string::npos);
  EXPECT_EQ(Call("PUT", "/api/v1/models/bc/versions/1/tags/stage", "{\"value\":\"prod\"}").status,
            200);
  protocol::HttpResponse v = Call("GET", "/api/v1/models/bc/versions/1");
  EXPECT_NE(v.body.find("\"tags\":{\"stage\":\"prod\"}"), std::string::npos) << v.body;
  EXPECT_EQ(Call("GET", "/api/v1/models").status, 200);
  EXPECT_NE(Call("GET", "/api/v1/models/bc").body.find("\"versions\":[{"), std::string::npos);
  protocol::HttpResponse h = Call("GET", "/api/v1/models/bc/history?limit=2");
  EXPECT_NE(h.body.find("\"action\":\"tag_set\""), std::string::npos) << h.body;
  EXPECT_NE(h.body.find("\"actor\":\"api\""), std::string::npos);
  EXPECT_EQ(Call("DELETE", "/api/v1/models/bc/aliases/champion").status, 200);
  EXPECT_EQ(Call("DELETE", "/api/v1/models/bc/versions/1/tags/stage").status, 200);
}

TEST_P(RoutesTest, ErrorsAreJsonWithTheRightStatus) {
  EXPECT_EQ(Call("GET", "/api/v1/models/nope").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/models/nope").body, "{\"error\":\"model 'nope' not found\"}");
  EXPECT_EQ(Call("PUT", "/api/v1/models/bc/aliases/x", "{}", "").status, 401);
  EXPECT_EQ(Call("PUT", "/api/v1/models/bc/aliases/x", "{}", "Bearer wrong").status, 401);
  EXPECT_EQ(Call("POST", "/api/v1/models/bc/versions", "not a tar").status, 400);
  EXPECT_EQ(Call("PUT", "/api/v1/models/bc/aliases/latest", "{\"version\":1}").status, 400);
  EXPECT_EQ(Call("PUT", "/api/v1/models/bc/aliases/x", "[1]").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/models/bc/versions/zero").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/other").status, 404);
  RegistryRoutes no_token(*reg_, {});
  protocol::HttpRequest req;
  req.method = "DELETE";
  req.target = "/api/v1/models/bc";
  int status = 0;
  no_token.Handle(req, [&](protocol::HttpResponse r) { status = r.status; });
  EXPECT_EQ(status, 403);
}

INSTANTIATE_TEST_SUITE_P(Stores, RoutesTest, ::testing::Values("sqlite", "postgres"),
                         testing::StoreKindName);

}  // namespace
}  // namespace ferry::registry

// Serving registry references (AliasFollower) with a real SQLite registry and
// a real ModelServer: resolve at start, follow alias moves one poll at a
// time (no thread, no clock), keep serving when the new version cannot be.
#include "ferry/registry/serving/alias_follower.h"

#include <gtest/gtest.h>

#include <fstream>
#include <future>

#include "registry/registry_test_util.h"

namespace ferry::registry {
namespace {

namespace fs = std::filesystem;
using testing::FreshStore;
using testing::MakeBundle;

class AliasFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Registry>> r = Registry::Open({fresh_.home(), fresh_.uri(), {}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    reg_ = std::move(*r);
  }
  int64_t Register(const std::string& description) {
    fs::path dir = MakeBundle(bundles_ / description, "bc", description);
    Result<VersionRecord> v = reg_->Register({dir, "", "", {}}, actor_);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? v->version : 0;
  }
  void Alias(int64_t version) {
    ASSERT_TRUE(reg_->SetAlias("bc", "champion", version, {}, actor_).ok());
  }
  // The version a request without a version is answered by.
  int64_t Serving(serving::ModelServer& server) {
    auto req = std::make_unique<serving::InferRequest>();
    req->model = "bc";
    req->input_name = "features";
    req->input = Tensor(DataType::kFp32, Shape{1, 30});
    req->received = std::chrono::steady_clock::now();
    std::promise<Result<serving::InferResponse>> p;
    server.Infer(std::move(req),
                 [&p](Result<serving::InferResponse> r) { p.set_value(std::move(r)); });
    Result<serving::InferResponse> res = p.get_future().get();
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    return res.ok() ? res->version : 0;
  }
  std::string State(serving::ModelServer& server, int64_t version) {
    const serving::ModelMetadata md = *server.Metadata("bc", std::nullopt);
    for (const serving::VersionInfo& v : md.versions) {
      if (v.version == version) return std::string(serving::VersionStateName(v.state));
    }
    return "none";
  }

  FreshStore fresh_{"sqlite"};
  ferry::testing::TempDir bundles_;
  std::unique_ptr<Registry> reg_;
  Actor actor_{"ci", ""};
};

TEST_F(AliasFollowerTest, ResolvesAtStartAndFollowsTheAlias) {
  EXPECT_TRUE(IsRegistryReferenceArg("bc@champion"));
  EXPECT_FALSE(IsRegistryReferenceArg("bc=/models/bc"));
  ASSERT_EQ(Register("one"), 1);
  ASSERT_EQ(Register("two"), 2);
  Alias(1);
  const ModelRef ref = *ParseReference("bc@champion");
  Result<serving::ModelSource> source = ResolveModelSource(*reg_, ref);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  EXPECT_EQ(source->version, 1);
  EXPECT_EQ(source->parameters.at("registry_reference"), "bc@champion");
  EXPECT_EQ(source->parameters.at("registry_version"), "bc:1");

  serving::ServerOptions options;
  options.models.push_back(*source);
  auto server = serving::ModelServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  std::vector<std::string> log;
  AliasFollowerOptions fo;
  fo.interval = std::chrono::milliseconds(0);  // polls only when the test asks
  fo.log = [&log](const std::string& line) { log.push_back(line); };
  AliasFollower follower(*reg_, **server, {{ref, 1}}, fo);
  follower.Start();  // interval 0: no thread

  EXPECT_EQ(follower.PollOnce(), 0);
  EXPECT_TRUE(log.empty());
  Alias(2);
  EXPECT_EQ(follower.PollOnce(), 1);
  EXPECT_EQ(Serving(**server), 2);
  EXPECT_EQ(State(**server, 1), "UNLOADED");
  EXPECT_EQ((*server)->Metadata("bc", std::nullopt)->parameters.at("registry_version"), "bc:2");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], "model 'bc': bc@champion moved to bc:2: swapped in, replacing bc:1");

  // Version 3's blob is corrupt: listed FAILED, version 2 keeps serving, not retried.
  ASSERT_EQ(Register("three"), 3);
  const std::string blob = reg_->store().GetVersion("bc", 3)->blob_sha256;
  std::ofstream(fresh_.home() / "artifacts" / "sha256" / blob.substr(0, 2) / blob,
                std::ios::in | std::ios::out | std::ios::binary)
      << "garbage";
  Alias(3);
  EXPECT_EQ(follower.PollOnce(), 0);
  EXPECT_EQ(Serving(**server), 2);
  EXPECT_EQ(State(**server, 3), "FAILED");
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].rfind("model 'bc': bc@champion moved to bc:3, which cannot be served: ", 0), 0u)
      << log[1];
  EXPECT_NE(log[1].find("corrupt"), std::string::npos) << log[1];
  EXPECT_NE(log[1].find("; bc:2 keeps serving"), std::string::npos) << log[1];
  EXPECT_EQ(follower.PollOnce(), 0);
  EXPECT_EQ(log.size(), 2u);

  // A rollback to a lower version is followed; an alias that goes away is
  // logged once and the version serving stays.
  Alias(1);
  EXPECT_EQ(follower.PollOnce(), 1);
  EXPECT_EQ(Serving(**server), 1);
  ASSERT_TRUE(reg_->DeleteAlias("bc", "champion", false, actor_).ok());
  EXPECT_EQ(follower.PollOnce(), 0);
  EXPECT_EQ(follower.PollOnce(), 0);
  ASSERT_EQ(log.size(), 4u);
  EXPECT_NE(log[3].find("cannot resolve bc@champion"), std::string::npos) << log[3];
  EXPECT_EQ(Serving(**server), 1);
}

TEST_F(AliasFollowerTest, APinnedVersionNeverMovesAndAMissingOneIsAnError) {
  ASSERT_EQ(Register("one"), 1);
  Result<serving::ModelSource> pinned = ResolveModelSource(*reg_, *ParseReference("bc:1"));
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  EXPECT_EQ(pinned->version, 1);
  Result<serving::ModelSource> missing = ResolveModelSource(*reg_, *ParseReference("bc@nope"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ferry::registry

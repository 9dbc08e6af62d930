#include "ferry/serving/model_server.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <thread>

#include "serving/serving_test_util.h"
#include "testing/test_util.h"

// The serving core end to end with the real XGBoost backend and real bundle
// folders: routing, metadata, stats, repository and version policies, load,
// unload, failed loads, shutdown.
namespace ferry::serving {
namespace {

using ferry::testing::TempDir;
using testing::CopyBundle;
using testing::DirectPredictions;
using testing::ExampleRows;
using testing::MakeExampleBundle;
using testing::MakeRequest;

// Runs one request synchronously.
Result<InferResponse> Call(InferenceService& s, std::unique_ptr<InferRequest> r) {
  std::promise<Result<InferResponse>> p;
  auto f = p.get_future();
  s.Infer(std::move(r), [&p](Result<InferResponse> res) { p.set_value(std::move(res)); });
  return f.get();
}

std::string States(const ModelMetadata& md) {
  std::string out;
  for (const VersionInfo& v : md.versions) {
    if (!out.empty()) out += " ";
    out += std::to_string(v.version) + ":" + std::string(VersionStateName(v.state));
  }
  return out;
}

TEST(ModelServerTest, ServesBundleAndMatchesTheBackend) {
  TempDir tmp;
  MakeExampleBundle(tmp / "bc");
  ServerOptions o;
  o.models.push_back({"bc", tmp / "bc"});
  o.defaults.instances = 2;
  auto server = ModelServer::Create(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_TRUE((*server)->Live());
  EXPECT_TRUE((*server)->Ready());

  const std::vector<float> rows = ExampleRows(20);
  auto req = MakeRequest("bc", rows);
  req->id = "abc";
  req->key = "user-7";
  auto res = Call(**server, std::move(req));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->model, "bc");
  EXPECT_EQ(res->version, 1);
  EXPECT_EQ(res->id, "abc");
  EXPECT_EQ(res->key, "user-7");
  ASSERT_EQ(res->outputs.size(), 1u);
  EXPECT_EQ(res->outputs[0].name, "probability");
  auto got = res->outputs[0].tensor.Data<float>();
  const std::vector<float> want = DirectPredictions(tmp / "bc", rows);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]) << i;

  auto md = (*server)->Metadata("bc", std::nullopt);
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(md->platform, "xgboost");
  EXPECT_EQ(States(*md), "1:READY");
  ASSERT_EQ(md->signature.inputs.size(), 1u);
  EXPECT_EQ(md->signature.inputs[0].name, "features");

  auto stats = (*server)->Stats("bc", std::nullopt);
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0].stats.success_count, 1u);
  EXPECT_EQ((*stats)[0].stats.inference_count, 20u);
  EXPECT_EQ(*(*server)->ModelReady("bc", 1), true);
}

TEST(ModelServerTest, UnknownModelAndVersionAreNotFound) {
  TempDir tmp;
  MakeExampleBundle(tmp / "bc");
  ServerOptions o;
  o.models.push_back({"bc", tmp / "bc"});
  auto server = ModelServer::Create(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto r1 = Call(**server, MakeRequest("nope", ExampleRows(1)));
  EXPECT_EQ(r1.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r1.status().message(), "unknown model 'nope'");
  auto req = MakeRequest("bc", ExampleRows(1));
  req->version = 9;
  auto r2 = Call(**server, std::move(req));
  EXPECT_EQ(r2.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r2.status().message(), "model 'bc' has no version 9");
  EXPECT_EQ((*server)->Metadata("nope", std::nullopt).status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*server)->ModelReady("bc", 9).status().code(), StatusCode::kNotFound);
}

TEST(ModelServerTest, CreateFailsClearlyForABadBundle) {
  TempDir tmp;
  ServerOptions o;
  o.models.push_back({"bc", tmp / "missing"});
  auto server = ModelServer::Create(o);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kNotFound);
  EXPECT_NE(server.status().message().find("model 'bc'"), std::string::npos);
  EXPECT_EQ(ModelServer::Create(ServerOptions{}).status().message(),
            "nothing to serve: give --model NAME=BUNDLE_DIR or --repository DIR");
}

struct Repo {
  TempDir tmp;
  std::filesystem::path bundle = tmp / "bundle";
  std::filesystem::path root = tmp / "repo";
  Repo() { MakeExampleBundle(bundle); }
  void Add(int64_t version, const std::string& model = "bc") {
    CopyBundle(bundle, root / model / std::to_string(version));
  }
  void Break(int64_t version, const std::string& model = "bc") {
    std::ofstream(root / model / std::to_string(version) / "model.json") << "{not a model";
  }
};

TEST(ModelServerTest, RepositoryVersionPolicies) {
  Repo repo;
  repo.Add(1);
  repo.Add(2);
  repo.Add(3);
  repo.Add(1, "other");
  ServerOptions o;
  o.repository = repo.root;
  o.default_version_policy.kind = VersionPolicy::Kind::kLatest;
  o.default_version_policy.latest = 2;
  VersionPolicy specific;
  specific.kind = VersionPolicy::Kind::kSpecific;
  specific.specific = {1};
  o.version_policies["other"] = specific;
  auto server = ModelServer::Create(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_EQ(States(*(*server)->Metadata("bc", std::nullopt)), "2:READY 3:READY");
  EXPECT_EQ(States(*(*server)->Metadata("other", std::nullopt)), "1:READY");
  auto res = Call(**server, MakeRequest("bc", ExampleRows(1)));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->version, 3);  // the default is the highest READY version
  auto req = MakeRequest("bc", ExampleRows(1));
  req->version = 2;
  EXPECT_EQ(Call(**server, std::move(req))->version, 2);
  EXPECT_EQ((*server)->RepositoryIndex(/*ready_only=*/true).size(), 3u);
}

TEST(ModelServerTest, FailedVersionIsReportedAndOthersServe) {
  Repo repo;
  repo.Add(1);
  repo.Add(2);
  repo.Break(2);
  ServerOptions o;
  o.repository = repo.root;
  o.default_version_policy.kind = VersionPolicy::Kind::kAll;
  auto server = ModelServer::Create(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto md = (*server)->Metadata("bc", std::nullopt);
  EXPECT_EQ(States(*md), "1:READY 2:FAILED");
  EXPECT_FALSE(md->versions[1].reason.empty());
  EXPECT_EQ(Call(**server, MakeRequest("bc", ExampleRows(1)))->version, 1);
  auto req = MakeRequest("bc", ExampleRows(1));
  req->version = 2;
  auto r = Call(**server, std::move(req));
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "model 'bc' version 2 is not ready (FAILED)");
}

TEST(ModelServerTest, FailedReloadKeepsTheOldVersionServing) {
  TempDir tmp;
  MakeExampleBundle(tmp / "bc");
  ServerOptions o;
  o.models.push_back({"bc", tmp / "bc"});
  auto server = ModelServer::Create(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  std::ofstream(tmp / "bc" / "model.json") << "{broken";
  Status load = (*server)->LoadModel("bc");
  EXPECT_FALSE(load.ok());
  EXPECT_TRUE((*server)->Ready());
  EXPECT_EQ(States(*(*server)->Metadata("bc", std::nullopt)), "1:READY");
  auto res = Call(**server, MakeRequest("bc", ExampleRows(3)));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
}

TEST(ModelServerTest, SwapSourceMovesAModelToAnotherVersionAndKeepsItOnFailure) {
  TempDir tmp;
  MakeExampleBundle(tmp / "a");
  CopyBundle(tmp / "a", tmp / "b");
  CopyBundle(tmp / "a", tmp / "broken");
  std::ofstream(tmp / "broken" / "model.json") << "{broken";
  ServerOptions o;
  o.models.push_back({"bc", tmp / "a", 3, {{"registry_version", "bc:3"}}});
  auto server = ModelServer::Create(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_EQ(Call(**server, MakeRequest("bc", ExampleRows(1)))->version, 3);
  EXPECT_EQ((*server)->Metadata("bc", std::nullopt)->parameters.at("registry_version"), "bc:3");

  // A lower version number (a rollback) takes over too: the old one is unloaded.
  ASSERT_TRUE((*server)->SwapSource({"bc", tmp / "b", 2, {{"registry_version", "bc:2"}}}).ok());
  auto md = (*server)->Metadata("bc", std::nullopt);
  EXPECT_EQ(States(*md), "2:READY 3:UNLOADED");
  EXPECT_EQ(md->parameters.at("registry_version"), "bc:2");
  EXPECT_EQ(Call(**server, MakeRequest("bc", ExampleRows(1)))->version, 2);

  Status bad = (*server)->SwapSource({"bc", tmp / "broken", 5, {}});
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.message().rfind("model 'bc' version 5: ", 0), 0u) << bad.message();
  md = (*server)->Metadata("bc", std::nullopt);
  EXPECT_EQ(States(*md), "2:READY 3:UNLOADED 5:FAILED");
  EXPECT_EQ(md->parameters.at("registry_version"), "bc:2");  // the serving version's
  EXPECT_EQ(Call(**server, MakeRequest("bc", ExampleRows(1)))->version, 2);

  ASSERT_TRUE((*server)->MarkVersionFailed("bc", 6, "blob is corrupt").ok());
  md = (*server)->Metadata("bc", std::nullopt);
  EXPECT_EQ(States(*md), "2:READY 3:UNLOADED 5:FAILED 6:FAILED");
  EXPECT_EQ(md->versions.back().reason, "blob is corrupt");
  EXPECT_TRUE((*server)->MarkVersionFailed("bc", 2, "ignored").ok());  // READY stays READY
  EXPECT_EQ(States(*(*server)->Metadata("bc", std::nullopt)),
            "2:READY 3:UNLOADED 5:FAILED 6:FAILED");

  // An explicit load reloads what the source is now.
  ASSERT_TRUE((*server)->LoadModel("bc").ok());
  EXPECT_EQ(Call(**server, MakeRequest("bc", ExampleRows(1)))->version, 2);
  EXPECT_EQ((*server)->SwapSource({"nope", tmp / "a", 1, {}}).code(), StatusCode::kNotFound);
  EXPECT_EQ((*server)->MarkVersionFailed("nope", 1, "x").code(), StatusCode::kNotFound);
}

TEST(ModelServerTest, UnloadAndLoadAgain) {
  Repo repo;
  repo.Add(1);
  ServerOptions o;
  o.repository = repo.root;
  auto server = ModelServer::Create(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_TRUE((*server)->UnloadModel("bc").ok());
  EXPECT_EQ(States(*(*server)->Metadata("bc", std::nullopt)), "1:UNLOADED");
  EXPECT_EQ(*(*server)->ModelReady("bc", std::nullopt), false);
  EXPECT_TRUE((*server)->Ready());  // an unloaded model is not expected to be ready
  auto r = Call(**server, MakeRequest("bc", ExampleRows(1)));
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ((*server)->UnloadModel("nope").code(), StatusCode::kNotFound);

  repo.Add(2);
  ASSERT_TRUE((*server)->LoadModel("bc").ok());
  EXPECT_EQ(States(*(*server)->Metadata("bc", std::nullopt)), "1:UNLOADED 2:READY");
  EXPECT_EQ(Call(**server, MakeRequest("bc", ExampleRows(1)))->version, 2);
  EXPECT_EQ((*server)->LoadModel("nope").code(), StatusCode::kNotFound);
}

TEST(ModelServerTest, PollingPicksUpANewVersion) {
  Repo repo;
  repo.Add(1);
  ServerOptions o;
  o.repository = repo.root;
  o.repository_poll_interval_ms = 20;
  auto server = ModelServer::Create(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  repo.Add(2);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!*(*server)->ModelReady("bc", std::nullopt) ||
         States(*(*server)->Metadata("bc", std::nullopt)) != "1:UNLOADED 2:READY") {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "version 2 never became the one served";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Call(**server, MakeRequest("bc", ExampleRows(1)))->version, 2);
}

TEST(ModelServerTest, ShutdownRefusesNewWork) {
  TempDir tmp;
  MakeExampleBundle(tmp / "bc");
  ServerOptions o;
  o.models.push_back({"bc", tmp / "bc"});
  auto server = ModelServer::Create(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  (*server)->Shutdown(std::chrono::milliseconds(1000));
  EXPECT_FALSE((*server)->Ready());
  auto r = Call(**server, MakeRequest("bc", ExampleRows(1)));
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "server is shutting down");
}

TEST(ModelServerTest, CoreMetricsAreRegistered) {
  TempDir tmp;
  MakeExampleBundle(tmp / "bc");
  ServerOptions o;
  o.models.push_back({"bc", tmp / "bc"});
  auto registry = std::make_shared<monitor::MetricsRegistry>();
  auto server = ModelServer::Create(o, registry);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_TRUE(Call(**server, MakeRequest("bc", ExampleRows(4))).ok());
  const std::string text = registry->RenderText();
  // One executed batch (the warm-up run is not counted).
  EXPECT_NE(text.find("ferry_batch_size_count{model=\"bc\",version=\"1\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("ferry_model_version_ready{model=\"bc\",version=\"1\"} 1"),
            std::string::npos);
  EXPECT_NE(
      text.find("ferry_queue_duration_seconds_bucket{model=\"bc\",version=\"1\",le=\"+Inf\"} 1"),
      std::string::npos);
  EXPECT_FALSE(registry->HasConflict());

  // The real promtool accepts the core's exposition.
  ferry::testing::WriteTextFile(tmp / "metrics.txt", text);
  const std::string cmd =
      "promtool check metrics < '" + (tmp / "metrics.txt").string() + "' > /dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << text;
}

}  // namespace
}  // namespace ferry::serving

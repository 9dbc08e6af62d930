#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "ferry/serving/model_server.h"
#include "serving/serving_test_util.h"
#include "testing/test_util.h"

// Hot swap under continuous load: client threads send requests without
// pause while the model is swapped 20 times (new repository versions and
// reloads of the same version). Not one request may fail.
namespace ferry::serving {
namespace {

using ferry::testing::TempDir;
using testing::CopyBundle;
using testing::DirectPredictions;
using testing::ExampleRows;
using testing::MakeExampleBundle;
using testing::MakeRequest;

TEST(HotSwapTest, TwentySwapsUnderLoadWithZeroFailedRequests) {
  TempDir tmp;
  MakeExampleBundle(tmp / "bundle");
  CopyBundle(tmp / "bundle", tmp / "repo" / "bc" / "1");
  ServerOptions o;
  o.repository = tmp / "repo";
  o.defaults.instances = 2;
  o.defaults.max_queue_size = 100000;  // the test is about swaps, not shedding
  auto created = ModelServer::Create(o);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ModelServer& server = **created;

  const std::vector<float> rows = ExampleRows(5);
  const std::vector<float> want = DirectPredictions(tmp / "bundle", rows);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ok{0}, failed{0}, wrong{0};
  std::mutex versions_mu;
  std::set<int64_t> versions_seen;
  std::string first_error;

  auto client = [&] {
    while (!stop.load()) {
      std::promise<Result<InferResponse>> p;
      auto f = p.get_future();
      server.Infer(MakeRequest("bc", rows),
                   [&p](Result<InferResponse> r) { p.set_value(std::move(r)); });
      Result<InferResponse> r = f.get();
      if (!r.ok()) {
        std::lock_guard lock(versions_mu);
        if (failed.fetch_add(1) == 0) first_error = r.status().ToString();
        continue;
      }
      auto got = r->outputs[0].tensor.Data<float>();
      if (!std::equal(got.begin(), got.end(), want.begin(), want.end())) wrong.fetch_add(1);
      ok.fetch_add(1);
      std::lock_guard lock(versions_mu);
      versions_seen.insert(r->version);
    }
  };
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i) clients.emplace_back(client);

  // 20 swaps: even ones add version N+1 (latest 1: it replaces N), odd ones
  // reload the current version in place.
  int64_t version = 1;
  for (int swap = 0; swap < 20; ++swap) {
    const int64_t before = ok.load();
    if (swap % 2 == 0) {
      ++version;
      CopyBundle(tmp / "bundle", tmp / "repo" / "bc" / std::to_string(version));
    }
    Status s = server.LoadModel("bc");
    ASSERT_TRUE(s.ok()) << s.ToString();
    // Let traffic flow on the new instance before the next swap.
    while (ok.load() < before + 20 && failed.load() == 0) std::this_thread::yield();
  }
  stop.store(true);
  for (std::thread& t : clients) t.join();

  EXPECT_EQ(failed.load(), 0) << first_error;
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(ok.load(), 400);
  EXPECT_EQ(versions_seen.count(11), 1u);  // the last version served traffic
  EXPECT_GE(versions_seen.size(), 5u);
  auto md = server.Metadata("bc", std::nullopt);
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(md->versions.back().version, 11);
  EXPECT_EQ(md->versions.back().state, VersionState::kReady);
  for (size_t i = 0; i + 1 < md->versions.size(); ++i) {
    EXPECT_EQ(md->versions[i].state, VersionState::kUnloaded);
  }
  // Statistics of version 11 survived its reload (one swap after it appeared).
  auto stats = server.Stats("bc", 11);
  ASSERT_TRUE(stats.ok());
  EXPECT_GT((*stats)[0].stats.success_count, 0u);
}

TEST(HotSwapTest, FailedLoadUnderLoadKeepsServing) {
  TempDir tmp;
  MakeExampleBundle(tmp / "bundle");
  CopyBundle(tmp / "bundle", tmp / "repo" / "bc" / "1");
  ServerOptions o;
  o.repository = tmp / "repo";
  auto created = ModelServer::Create(o);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ModelServer& server = **created;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ok{0}, failed{0};
  std::thread client([&] {
    while (!stop.load()) {
      std::promise<Result<InferResponse>> p;
      auto f = p.get_future();
      server.Infer(MakeRequest("bc", ExampleRows(1)),
                   [&p](Result<InferResponse> r) { p.set_value(std::move(r)); });
      (f.get().ok() ? ok : failed).fetch_add(1);
    }
  });
  // Version 2 is broken: the load fails, version 1 keeps serving.
  CopyBundle(tmp / "bundle", tmp / "repo" / "bc" / "2");
  std::filesystem::remove(tmp / "repo" / "bc" / "2" / "model.json");
  Status s = server.LoadModel("bc");
  EXPECT_FALSE(s.ok());
  const int64_t before = ok.load();
  while (ok.load() < before + 50 && failed.load() == 0) std::this_thread::yield();
  stop.store(true);
  client.join();
  EXPECT_EQ(failed.load(), 0);
  auto md = server.Metadata("bc", std::nullopt);
  ASSERT_EQ(md->versions.size(), 2u);
  EXPECT_EQ(md->versions[0].state, VersionState::kReady);
  EXPECT_EQ(md->versions[1].state, VersionState::kFailed);
}

}  // namespace
}  // namespace ferry::serving

// Transport behaviour that golden cases cannot express: keep-alive,
// pipelining, slowloris, max connections, cancellation on disconnect and
// graceful shutdown.
#include "ferry/protocol/http_server.h"

#include <gtest/gtest.h>

#include <thread>

#include "ferry/base/thread_annotations.h"
#include "raw_client.h"
#include "test_server.h"

namespace ferry::testing {
namespace {

using namespace std::chrono_literals;

std::string InferBody(int rows = 1) {
  std::string data;
  for (int i = 0; i < rows; ++i) data += (i ? "," : "") + ExampleRowCsv();
  return R"({"inputs":[{"name":"features","shape":[)" + std::to_string(rows) +
         R"(,30],"datatype":"FP32","data":[)" + data + "]}]}";
}

std::string Infer(int rows = 1) {
  return HttpRequestBytes("POST", "/v2/models/breast-cancer/infer", InferBody(rows),
                          "Content-Type: application/json\r\n");
}

TEST(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  TestServer server({});
  RawClient c(server.port());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(c.Send(Infer()));
    RawResponse r = c.Read();
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.headers["connection"], "close");
  }
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  TestServer server({});
  RawClient c(server.port());
  std::string all;
  for (int rows = 1; rows <= 4; ++rows) all += Infer(rows);
  all += HttpRequestBytes("GET", "/v2/models/nope", "");
  all += HttpRequestBytes("GET", "/v2/health/live", "");
  ASSERT_TRUE(c.Send(all));
  for (int rows = 1; rows <= 4; ++rows) {
    RawResponse r = c.Read();
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("\"shape\":[" + std::to_string(rows) + "]"), std::string::npos) << r.body;
  }
  EXPECT_EQ(c.Read().status, 404);
  EXPECT_EQ(c.Read().body, R"({"live":true})");
}

TEST(HttpServerTest, ConnectionCloseIsHonoured) {
  TestServer server({});
  RawClient c(server.port());
  ASSERT_TRUE(c.Send(HttpRequestBytes("GET", "/v2/health/live", "", "Connection: close\r\n")));
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_TRUE(c.WaitClosed(2s));
}

TEST(HttpServerTest, SlowHeaderIsCutOffAtTheReadTimeout) {
  TestServerOptions o;
  o.http.read_timeout_ms = 300;
  TestServer server(o);
  RawClient slow(server.port());
  ASSERT_TRUE(slow.Send("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n"));  // never finished
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(slow.WaitClosed(5s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  // Others are still served.
  RawClient c(server.port());
  ASSERT_TRUE(c.Send(HttpRequestBytes("GET", "/v2/health/live", "")));
  EXPECT_EQ(c.Read().status, 200);
}

TEST(HttpServerTest, ConnectionsPastTheLimitAreRefusedWith503) {
  TestServerOptions o;
  o.http.max_connections = 2;
  TestServer server(o);
  RawClient a(server.port()), b(server.port());
  // Make sure both are accepted and counted.
  ASSERT_TRUE(a.Send(HttpRequestBytes("GET", "/v2/health/live", "")));
  ASSERT_EQ(a.Read().status, 200);
  ASSERT_TRUE(b.Send(HttpRequestBytes("GET", "/v2/health/live", "")));
  ASSERT_EQ(b.Read().status, 200);
  RawClient c(server.port());
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers["retry-after"], "1");
  EXPECT_EQ(r.body, R"j({"error":"too many open connections (the limit is 2)"})j");
  a.Close();
  // Once one closes, a new connection is served again.
  RawResponse ok;
  for (int i = 0; i < 100 && ok.status != 200; ++i) {
    RawClient d(server.port());
    d.Send(HttpRequestBytes("GET", "/v2/health/live", ""));
    ok = d.Read();
    if (ok.status != 200) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(ok.status, 200);
}

// A service that holds infer requests until the test releases them (a
// fault fake: a model that does not answer).
class HeldService final : public serving::InferenceService {
 public:
  void Infer(std::unique_ptr<serving::InferRequest> r, serving::InferCallback done) override {
    MutexLock lock(mu_);
    held_.push_back({std::move(r), std::move(done)});
  }
  bool Live() const override { return true; }
  bool Ready() const override { return true; }
  Result<bool> ModelReady(const std::string&, std::optional<int64_t>) const override {
    return true;
  }
  Result<serving::ModelMetadata> Metadata(const std::string& m,
                                          std::optional<int64_t>) const override {
    serving::ModelMetadata md;
    md.name = m;
    md.signature.inputs.push_back({"features", DataType::kFp32, Shape{-1, 30}, {}});
    md.signature.outputs.push_back({"probability", DataType::kFp32, Shape{-1}, {}});
    return md;
  }
  Result<std::vector<serving::ModelStats>> Stats(const std::string&,
                                                 std::optional<int64_t>) const override {
    return std::vector<serving::ModelStats>{};
  }
  std::vector<serving::RepositoryEntry> RepositoryIndex(bool) const override { return {}; }
  Status LoadModel(const std::string&) override { return Status::Ok(); }
  Status UnloadModel(const std::string&) override { return Status::Ok(); }

  size_t HeldCount() {
    MutexLock lock(mu_);
    return held_.size();
  }
  bool Cancelled(size_t i) {
    MutexLock lock(mu_);
    return held_[i].request->cancelled && held_[i].request->cancelled->load();
  }
  // Answers every held request (cancelled ones kCancelled, as the core does).
  void ReleaseAll() {
    std::vector<Held> held;
    {
      MutexLock lock(mu_);
      held.swap(held_);
    }
    for (Held& h : held) {
      if (h.request->cancelled && h.request->cancelled->load()) {
        h.done(::ferry::Cancelled("the client went away"));
        continue;
      }
      serving::InferResponse r;
      r.model = h.request->model;
      r.version = 1;
      Tensor t(DataType::kFp32, Shape{h.request->input.shape().dim(0)});
      for (float& v : t.MutableData<float>()) v = 0.5f;
      r.outputs.push_back({"probability", std::move(t)});
      h.done(std::move(r));
    }
  }

 private:
  struct Held {
    std::unique_ptr<serving::InferRequest> request;
    serving::InferCallback done;
  };
  Mutex mu_;
  std::vector<Held> held_ GUARDED_BY(mu_);
};

bool WaitFor(const std::function<bool()>& cond) {
  for (int i = 0; i < 500; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

struct HeldStack {
  HeldService service;
  protocol::Router router{service, {}, nullptr};
  std::unique_ptr<protocol::HttpServer> http;
  HeldStack() {
    protocol::HttpServerOptions o;
    o.port = 0;
    http = std::move(protocol::HttpServer::Start(o, router).value());
  }
  ~HeldStack() {
    service.ReleaseAll();
    http->Stop();
  }
};

TEST(HttpServerTest, ClientThatDisconnectsWhileQueuedIsCancelled) {
  HeldStack stack;
  {
    RawClient c(stack.http->port());
    ASSERT_TRUE(c.Send(Infer()));
    ASSERT_TRUE(WaitFor([&] { return stack.service.HeldCount() == 1; }));
    EXPECT_FALSE(stack.service.Cancelled(0));
  }  // closes
  EXPECT_TRUE(WaitFor([&] { return stack.service.Cancelled(0); }));
  stack.service.ReleaseAll();
  EXPECT_TRUE(WaitFor([&] { return stack.http->InFlight() == 0; }));
}

TEST(HttpServerTest, GracefulStopFinishesInFlightRequestsAndRefusesNewConnections) {
  HeldStack stack;
  RawClient busy(stack.http->port());
  ASSERT_TRUE(busy.Send(Infer()));
  RawClient idle(stack.http->port());
  ASSERT_TRUE(idle.Send(HttpRequestBytes("GET", "/v2/health/live", "")));
  ASSERT_EQ(idle.Read().status, 200);
  ASSERT_TRUE(WaitFor([&] { return stack.service.HeldCount() == 1; }));

  stack.http->StopAccepting();
  EXPECT_TRUE(idle.WaitClosed(2s));          // idle keep-alive connections are closed
  EXPECT_FALSE(stack.http->WaitIdle(50ms));  // one request still in flight
  stack.service.ReleaseAll();
  RawResponse r = busy.Read();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_TRUE(stack.http->WaitIdle(2s));
}

}  // namespace
}  // namespace ferry::testing

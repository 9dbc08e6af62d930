#include "ferry/monitor/alerts/webhook.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

namespace ferry::alerts {
namespace {

// A one-thread HTTP server on 127.0.0.1, port 0, over plain sockets: reads a
// request (headers + Content-Length body), then answers `status` with `body`,
// or, with `hang`, never answers (until destroyed).
class TinyServer {
 public:
  TinyServer(int status, std::string body, bool hang = false)
      : status_(status), body_(std::move(body)), hang_(hang) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 8), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // The last complete request (headers and body) received.
  std::string request() {
    std::lock_guard lock(mu_);
    return request_;
  }

 private:
  // Waits for `fd` to be readable, checking stop_ every 20 ms.
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void Serve() {
    while (WaitReadable(listen_fd_)) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      std::string data;
      char buf[4096];
      size_t want = std::string::npos;
      while (WaitReadable(fd)) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
        size_t end = data.find("\r\n\r\n");
        if (end != std::string::npos && want == std::string::npos) {
          size_t cl = data.find("Content-Length: ");
          size_t length = cl == std::string::npos ? 0 : std::stoul(data.substr(cl + 16));
          want = end + 4 + length;
        }
        if (data.size() >= want) break;
      }
      {
        std::lock_guard lock(mu_);
        request_ = data;
      }
      if (hang_) {
        while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      } else {
        std::string reply = "HTTP/1.1 " + std::to_string(status_) +
                            " Whatever\r\nContent-Type: text/plain\r\nContent-Length: " +
                            std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" + body_;
        EXPECT_EQ(::write(fd, reply.data(), reply.size()), static_cast<ssize_t>(reply.size()));
      }
      ::close(fd);
    }
  }

  const int status_;
  const std::string body_;
  const bool hang_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string request_;
  std::thread thread_;
};

TEST(WebhookTest, ParsesHttpUrls) {
  Result<HttpUrl> u = ParseHttpUrl("http://127.0.0.1:9000/hook?x=1");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->target, "/hook?x=1");
  u = ParseHttpUrl("http://alerts.example");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "alerts.example");
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/");

  const std::pair<const char*, const char*> bad[] = {
      {"https://h/", "expected http://host:port/path (only plain http is supported)"},
      {"ftp://h/", "expected http://host:port/path (only plain http is supported)"},
      {"http://", "expected a host"},
      {"http://:80/", "expected a host"},
      {"http://h:0/", "expected a port in 1..65535"},
      {"http://h:70000/", "expected a port in 1..65535"},
      {"http://h:x/", "expected a port in 1..65535"},
      {"http://u:p@h/", "user info is not supported"},
      {"http://h/a#b", "a fragment is not allowed"},
      {"http://h/a b", "spaces and control characters are not allowed in the path"},
      {"http://h%41/", "expected a host name or IPv4 address"},
  };
  for (const auto& [url, why] : bad) {
    Result<HttpUrl> r = ParseHttpUrl(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "webhook url: " + std::string(why) + ", got '" + url + "'");
  }
}

TEST(WebhookTest, PostsJsonAndAcceptsA2xx) {
  TinyServer server(204, "");
  Status s = PostJson(server.url("/hook?k=v"), R"({"alert":"a"})", 5000);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string req = server.request();
  EXPECT_EQ(req.rfind("POST /hook?k=v HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("Content-Type: application/json\r\n"), std::string::npos) << req;
  EXPECT_NE(req.find("Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"),
            std::string::npos)
      << req;
  EXPECT_NE(req.find("Content-Length: 13\r\n"), std::string::npos) << req;
  EXPECT_EQ(req.substr(req.size() - 13), R"({"alert":"a"})");
}

TEST(WebhookTest, ANon2xxIsAnErrorWithTheStatus) {
  TinyServer server(503, "busy, try later");
  Status s = PostJson(server.url(), "{}", 5000);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "POST " + server.url() + ": HTTP 503 busy, try later");

  TinyServer redirect(302, "");
  s = PostJson(redirect.url(), "{}", 5000);
  EXPECT_EQ(s.message(), "POST " + redirect.url() + ": HTTP 302");
}

TEST(WebhookTest, ARefusedConnectionIsUnavailable) {
  // A port that was just free and has no listener.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/h";
  Status s = PostJson(url, "{}", 5000);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "POST " + url + ": connect: Connection refused");
}

TEST(WebhookTest, ASilentServerTimesOut) {
  TinyServer server(200, "", /*hang=*/true);
  auto start = std::chrono::steady_clock::now();
  Status s = PostJson(server.url(), "{}", 300);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(s.message(), "POST " + server.url() + ": timed out after 300ms");
  EXPECT_GE(took, std::chrono::milliseconds(290));
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(WebhookTest, RefusesABadUrlOrTimeout) {
  EXPECT_EQ(PostJson("https://h/", "{}", 1000).code(), StatusCode::kInvalidArgument);
  Status s = PostJson("http://127.0.0.1:1/", "{}", 0);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "webhook timeout must be positive");
}

}  // namespace
}  // namespace ferry::alerts

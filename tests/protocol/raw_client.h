#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

// A tiny blocking HTTP/1.1 client over a plain POSIX socket, for tests that
// must control the exact bytes on the wire (chunked bodies, pipelining,
// half-sent headers). Not thread-safe.
namespace ferry::testing {

struct RawResponse {
  int status = 0;  // 0: no response (connection closed or timed out first)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

class RawClient {
 public:
  // Connects to 127.0.0.1:port; aborts the test binary when it cannot.
  explicit RawClient(uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Sends bytes as they are. False when the peer is gone.
  bool Send(std::string_view bytes);
  // Reads one response (Content-Length framed), waiting up to `timeout`.
  RawResponse Read(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the server closes the connection within `timeout` (EOF or reset).
  bool WaitClosed(std::chrono::milliseconds timeout);
  void Close();

 private:
  // Appends at least one byte to buffer_; false on EOF, error or timeout.
  bool Fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

// "POST /path HTTP/1.1" with Host, Content-Length and the given extra header
// lines ("Name: value\r\n" each).
std::string HttpRequestBytes(std::string_view method, std::string_view target,
                             std::string_view body, std::string_view extra_headers = "");

}  // namespace ferry::testing

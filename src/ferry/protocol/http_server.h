#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "ferry/base/result.h"
#include "ferry/protocol/router.h"

// The HTTP/1.1 server of `ferry serve` (Boost.Beast on Asio): asynchronous,
// a few I/O threads, keep-alive and pipelining (requests on one connection
// are answered in order), chunked bodies, `Expect: 100-continue`, and the
// transport limits below. No thread is held per connection and none waits
// for a model: an infer request is handed to the Router and its answer is
// written when the core calls back. A client that disconnects while its
// request is queued has the request's CancelFlag set.
namespace ferry::protocol {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see HttpServer::port())
  int io_threads = 1;
  // Larger bodies are answered 413 and the connection closed.
  uint64_t max_body_bytes = 64ull << 20;
  // Larger request headers (request line + fields) are answered 413 and closed.
  uint32_t max_header_bytes = 16 << 10;
  // A request must arrive whole within this many ms after the connection
  // opens or the previous response is written (slowloris guard; also the
  // keep-alive idle timeout). The connection is closed when it passes.
  int64_t read_timeout_ms = 30000;
  // Open connections past this are answered 503 (Retry-After) and closed.
  int max_connections = 1024;

  Status Validate() const;
};

class HttpServer {
 public:
  // Binds, listens and starts the I/O threads. `router` must outlive the
  // server. Fails (kUnavailable) when the address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   Router& router);
  // Stop() then frees everything.
  ~HttpServer();

  // The bound port (the real one when options.port was 0).
  uint16_t port() const;

  // Graceful shutdown, step 1: stops accepting, closes idle connections, and
  // makes every later response close its connection. Idempotent.
  void StopAccepting();
  // Step 2: waits until no request is in flight or `timeout` passes; true
  // when none is left.
  bool WaitIdle(std::chrono::milliseconds timeout);
  // Step 3: closes every connection and joins the I/O threads. Idempotent.
  void Stop();

  // Requests handed to the router and not yet answered on the wire.
  int InFlight() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::protocol

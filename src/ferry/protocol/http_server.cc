// The only file that includes Boost.Beast (a heavy header: ~20 s per TU).
#include "ferry/protocol/http_server.h"

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>
#include <utility>  // before Asio/Beast: GCC 12 + C++20 (DEPENDENCIES.md, gotcha 4)
#include <vector>

#include "ferry/base/thread_annotations.h"
#include "ferry/protocol/error_reply.h"

namespace ferry::protocol {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

class Session;

// Posts core tasks (inline batches) to the I/O threads.
class IoExecutor final : public serving::Executor {
 public:
  explicit IoExecutor(net::io_context& ioc) : ioc_(ioc) {}
  void Post(std::function<void()> task) override { net::post(ioc_, std::move(task)); }

 private:
  net::io_context& ioc_;
};

struct HttpServer::Impl {
  // The concurrency hint lets Asio skip waking the reactor for work posted
  // from its only thread.
  explicit Impl(int io_threads) : ioc(io_threads) {}
  // Declared before the io_context: sessions destroyed with its queued
  // handlers still update these.
  HttpServerOptions options;
  Router* router = nullptr;
  uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<bool> stopped{false};
  std::atomic<int> in_flight{0};
  std::atomic<int> connections{0};
  Mutex mu;
  std::vector<std::weak_ptr<Session>> sessions GUARDED_BY(mu);
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  IoExecutor executor{ioc};
  std::vector<std::thread> threads;

  void Accept();
  void Register(const std::shared_ptr<Session>& s) EXCLUDES(mu);
  // Runs `f` on each live session's strand.
  template <typename F>
  void ForEachSession(F f) EXCLUDES(mu);
};

// One connection. Lives as long as an operation on it is pending; its
// handlers never run concurrently (a strand, or the only I/O thread).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server, bool refuse)
      : stream_(std::move(socket)), server_(server), refuse_(refuse) {}

  ~Session() {
    if (!refuse_) {
      server_.connections.fetch_sub(1);
      server_.router->metrics().connections().Decrement();
    }
  }

  void Start() {
    if (refuse_) {
      server_.router->metrics().connections_refused().Increment();
      keep_alive_ = false;
      return Write(ErrorReply(Unavailable("too many open connections (the limit is " +
                                          std::to_string(server_.options.max_connections) + ")")),
                   false);
    }
    ReadHeader();
  }

  // On the strand: closes the connection if it is waiting for a request.
  void CloseIfIdle() {
    if (state_ == State::kIdle) Close();
  }
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }
  beast::tcp_stream& stream() { return stream_; }

 private:
  enum class State { kIdle, kReading, kInRouter, kWriting };

  void ReadHeader() {
    state_ = State::kIdle;
    if (server_.stopping.load()) return Close();  // StopAccepting closes idle connections
    parser_.emplace();
    parser_->header_limit(server_.options.max_header_bytes);
    parser_->body_limit(server_.options.max_body_bytes);
    stream_.expires_after(std::chrono::milliseconds(server_.options.read_timeout_ms));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    state_ = State::kReading;
    received_ = std::chrono::steady_clock::now();
    const auto& req = parser_->get();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, req.version());
      return http::async_write(stream_, *continue_,
                               [self = shared_from_this()](beast::error_code ec, size_t) {
                                 if (ec) return self->Close();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRequest(ec); });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return Write(
          ErrorReply(OutOfRange("request body is larger than the limit of " +
                                std::to_string(server_.options.max_body_bytes) + " bytes")),
          false);
    }
    if (ec == http::error::header_limit) {
      return Write(
          ErrorReply(OutOfRange("request header is larger than the limit of " +
                                std::to_string(server_.options.max_header_bytes) + " bytes")),
          false);
    }
    if (ec.category() == beast::error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return Write(ErrorReply(InvalidArgument("malformed HTTP request: " + ec.message())), false);
    }
    Close();  // end of stream, timeout (slowloris), reset, shutdown
  }

  void OnRequest(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    stream_.expires_never();
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.content_type = std::string(req[http::field::content_type]);
    request.authorization = std::string(req[http::field::authorization]);
    request.body = std::move(req.body());
    request.received = received_;
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    request.cancelled = cancel_;
    request.executor = &server_.executor;
    state_ = State::kInRouter;
    server_.in_flight.fetch_add(1);
    server_.router->Handle(std::move(request), [self = shared_from_this()](HttpResponse r) {
      net::dispatch(self->stream_.get_executor(),
                    [self, r = std::move(r)]() mutable { self->Respond(std::move(r)); });
    });
    // Watch only a request that is still waiting once the handlers ready now
    // (often including the batch that answers it) have run: arming the watch
    // costs a system call.
    if (state_ == State::kInRouter) {
      net::post(stream_.get_executor(), [self = shared_from_this()] {
        if (self->state_ == State::kInRouter) self->WatchForDisconnect();
      });
    }
  }

  // While the router holds the request, a readable socket with nothing to
  // read means the client closed: the request is cancelled. (Bytes of a
  // pipelined next request end the watch.)
  void WatchForDisconnect() {
    watching_ = true;
    stream_.socket().async_wait(tcp::socket::wait_read,
                                [self = shared_from_this()](beast::error_code ec) {
                                  if (ec || self->state_ != State::kInRouter) return;
                                  beast::error_code aec;
                                  if (self->stream_.socket().available(aec) == 0 || aec) {
                                    self->cancel_->store(true);
                                  }
                                });
  }

  void Respond(HttpResponse r) {
    state_ = State::kWriting;
    if (watching_) {
      watching_ = false;
      beast::error_code ec;
      stream_.socket().cancel(ec);  // ends the disconnect watch
    }
    Write(std::move(r), true);
  }

  void Write(HttpResponse r, bool in_flight) {
    state_ = State::kWriting;
    const bool keep = keep_alive_ && !server_.stopping.load();
    res_.emplace(static_cast<http::status>(r.status), version_);
    res_->set(http::field::content_type, r.content_type);
    if (r.retry_after_s > 0) res_->set(http::field::retry_after, std::to_string(r.retry_after_s));
    res_->body() = std::move(r.body);
    res_->keep_alive(keep);
    res_->prepare_payload();
    http::async_write(stream_, *res_,
                      [self = shared_from_this(), keep, in_flight](beast::error_code ec, size_t) {
                        if (in_flight) self->server_.in_flight.fetch_sub(1);
                        if (ec) return self->Close();
                        if (!keep) return self->LingeringClose();
                        self->ReadHeader();
                      });
  }

  // Half-closes, then reads and drops what the client still sends (for up
  // to a second) before closing: closing with unread bytes would reset the
  // connection and could destroy the response in flight (an early 413).
  void LingeringClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(1));
    DrainUntilClosed();
  }
  void DrainUntilClosed() {
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->DrainUntilClosed();
                            });
  }

  std::array<char, 4096> drain_;
  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  const bool refuse_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> res_;
  serving::CancelFlag cancel_;
  std::chrono::steady_clock::time_point received_;
  State state_ = State::kIdle;
  bool keep_alive_ = true;
  bool watching_ = false;  // a disconnect watch is armed
  unsigned version_ = 11;
};

void HttpServer::Impl::Register(const std::shared_ptr<Session>& s) {
  MutexLock lock(mu);
  std::erase_if(sessions, [](const std::weak_ptr<Session>& w) { return w.expired(); });
  sessions.push_back(s);
}

template <typename F>
void HttpServer::Impl::ForEachSession(F f) {
  std::vector<std::shared_ptr<Session>> live;
  {
    MutexLock lock(mu);
    for (auto& w : sessions) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) net::post(s->stream().get_executor(), [s, f] { f(*s); });
}

void HttpServer::Impl::Accept() {
  // One I/O thread serializes every handler: a strand per connection would
  // only add cost.
  net::any_io_executor conn_executor = options.io_threads == 1
                                           ? net::any_io_executor(ioc.get_executor())
                                           : net::any_io_executor(net::make_strand(ioc));
  acceptor.async_accept(conn_executor, [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!acceptor.is_open()) return;  // stopped
      return Accept();
    }
    socket.set_option(tcp::no_delay(true), ec);
    const bool refuse = stopping.load() || connections.load() >= options.max_connections;
    if (!refuse) {
      connections.fetch_add(1);
      router->metrics().connections().Increment();
    }
    auto session = std::make_shared<Session>(std::move(socket), *this, refuse);
    if (!refuse) Register(session);
    net::dispatch(session->stream().get_executor(), [session] { session->Start(); });
    Accept();
  });
}

Status HttpServerOptions::Validate() const {
  if (io_threads < 1 || io_threads > 256) return InvalidArgument("io_threads must be in [1, 256]");
  if (max_body_bytes < 1) return InvalidArgument("max_body_bytes must be positive");
  if (max_header_bytes < 256) return InvalidArgument("max_header_bytes must be at least 256");
  if (read_timeout_ms < 1) return InvalidArgument("read_timeout_ms must be positive");
  if (max_connections < 1) return InvalidArgument("max_connections must be positive");
  return Status::Ok();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      Router& router) {
  FERRY_RETURN_IF_ERROR(options.Validate());
  auto impl = std::make_unique<Impl>(options.io_threads);
  impl->options = options;
  impl->router = &router;
  beast::error_code ec;
  auto address = net::ip::make_address(options.host, ec);
  if (ec) return InvalidArgument("bad listen address '" + options.host + "': " + ec.message());
  tcp::endpoint endpoint(address, options.port);
  const std::string where = options.host + ":" + std::to_string(options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Unavailable("cannot listen on " + where + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint().port();
  impl->Accept();
  for (int i = 0; i < options.io_threads; ++i) {
    impl->threads.emplace_back([io = &impl->ioc] { io->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->port; }

int HttpServer::InFlight() const { return impl_->in_flight.load(); }

void HttpServer::StopAccepting() {
  if (impl_->stopping.exchange(true)) return;
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  impl_->ForEachSession([](Session& s) { s.CloseIfIdle(); });
}

bool HttpServer::WaitIdle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (impl_->in_flight.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void HttpServer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  StopAccepting();
  impl_->ForEachSession([](Session& s) { s.Close(); });
  // Let the closes run, then stop the loop (handlers still queued are
  // destroyed with the io_context; sessions hold no other resources).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (impl_->connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace ferry::protocol

// The only file of the alerts module that includes Boost.Beast (a heavy header).
#include "ferry/monitor/alerts/webhook.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <optional>
#include <utility>  // before Asio/Beast: GCC 12 + C++20 (DEPENDENCIES.md, gotcha 4)

namespace ferry::alerts {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr size_t kMaxResponseBytes = 1 << 20;
constexpr size_t kBodyInError = 200;

Status BadUrl(std::string_view url, std::string_view why) {
  return InvalidArgument("webhook url: " + std::string(why) + ", got '" + std::string(url) + "'");
}

std::string FormatTimeout(int64_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return BadUrl(url, "expected http://host:port/path (only plain http is supported)");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  if (slash != std::string_view::npos) out.target = std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos)
    return BadUrl(url, "user info is not supported");
  if (out.target.find('#') != std::string::npos) return BadUrl(url, "a fragment is not allowed");
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return BadUrl(url, "spaces and control characters are not allowed in the path");
    }
  }
  std::string_view host = authority;
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    host = authority.substr(0, colon);
    std::string_view port_text = authority.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port == 0 || port > 65535) {
      return BadUrl(url, "expected a port in 1..65535");
    }
    out.port = static_cast<uint16_t>(port);
  }
  if (host.empty()) return BadUrl(url, "expected a host");
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_';
    if (!ok) return BadUrl(url, "expected a host name or IPv4 address");
  }
  out.host = std::string(host);
  return out;
}

Status PostJson(std::string_view url, std::string_view json_body, int64_t timeout_ms) {
  FERRY_ASSIGN_OR_RETURN(HttpUrl target, ParseHttpUrl(url));
  if (timeout_ms <= 0) return InvalidArgument("webhook timeout must be positive");
  const std::string what = "POST " + std::string(url);

  net::io_context ioc;
  tcp::resolver resolver(ioc);
  tcp::socket socket(ioc);
  net::steady_timer timer(ioc);
  beast::flat_buffer buffer;
  http::request<http::string_body> request{http::verb::post, target.target, 11};
  request.set(http::field::host, target.host + ":" + std::to_string(target.port));
  request.set(http::field::user_agent, "ferry-alerts");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::connection, "close");
  request.body() = std::string(json_body);
  request.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);

  bool timed_out = false;
  std::optional<Status> outcome;
  auto finish = [&](Status s) {
    if (outcome) return;
    outcome = std::move(s);
    timer.cancel();
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  };
  auto failed = [&](const char* step, const beast::error_code& ec) {
    if (timed_out)
      return finish(DeadlineExceeded(what + ": timed out after " + FormatTimeout(timeout_ms)));
    finish(Unavailable(what + ": " + step + ": " + ec.message()));
  };

  timer.expires_after(std::chrono::milliseconds(timeout_ms));
  timer.async_wait([&](const beast::error_code& ec) {
    if (ec || outcome) return;
    timed_out = true;
    resolver.cancel();
    beast::error_code ignored;
    socket.cancel(ignored);
    socket.close(ignored);
  });

  auto on_read = [&](const beast::error_code& ec, size_t) {
    if (ec) return failed("read", ec);
    const auto& response = parser.get();
    unsigned status = response.result_int();
    if (status >= 200 && status < 300) return finish(Status::Ok());
    std::string body = response.body().substr(0, kBodyInError);
    finish(
        Unavailable(what + ": HTTP " + std::to_string(status) + (body.empty() ? "" : " " + body)));
  };
  auto on_write = [&](const beast::error_code& ec, size_t) {
    if (ec) return failed("write", ec);
    http::async_read(socket, buffer, parser, on_read);
  };
  auto on_connect = [&](const beast::error_code& ec, const tcp::endpoint&) {
    if (ec) return failed("connect", ec);
    http::async_write(socket, request, on_write);
  };
  resolver.async_resolve(target.host, std::to_string(target.port),
                         [&](const beast::error_code& ec, tcp::resolver::results_type results) {
                           if (ec) return failed("resolve", ec);
                           if (timed_out) return failed("connect", net::error::operation_aborted);
                           net::async_connect(socket, results, on_connect);
                         });
  ioc.run();
  if (!outcome) return Internal(what + ": the exchange ended without an outcome");
  return *outcome;
}

}  // namespace ferry::alerts

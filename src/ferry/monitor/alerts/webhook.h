#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/base/result.h"
#include "ferry/base/status.h"

namespace ferry::alerts {

// The parts of an `http://host[:port][/path]` URL.
struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";  // path and query, starting with '/'
};

// InvalidArgument for anything else (https, user info, a fragment, a bad port):
// "webhook url: expected http://host:port/path, got '...'" or a narrower reason.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

// One synchronous HTTP/1.1 POST of `json_body` (Content-Type application/json,
// Connection: close) to `url`. The exchange (connect, write, read) is bounded
// by `timeout_ms`; resolving a host name (getaddrinfo) cannot be interrupted
// and may outlast it (an IP address avoids that). OK on a 2xx answer; otherwise:
//   InvalidArgument   the URL does not parse
//   DeadlineExceeded  "POST <url>: timed out after <duration>"
//   Unavailable       "POST <url>: <connect/read error>", or
//                     "POST <url>: HTTP <status> <first 200 bytes of the body>"
// Thread-safe (no shared state). Does not follow redirects.
Status PostJson(std::string_view url, std::string_view json_body, int64_t timeout_ms);

}  // namespace ferry::alerts

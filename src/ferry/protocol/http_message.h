#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "ferry/serving/inference_service.h"

// Transport-neutral HTTP request and response, as the router sees them. The
// Beast server (http_server.cc) fills an HttpRequest from the wire and writes
// the HttpResponse back; nothing else in this folder includes Beast.
namespace ferry::protocol {

struct HttpRequest {
  std::string method;                              // "GET", "POST", ...
  std::string target;                              // path and optional query, as sent
  std::string content_type;                        // value of Content-Type, empty if absent
  std::string authorization;                       // value of Authorization, empty if absent
  std::string body;                                // decoded (de-chunked) body
  std::chrono::steady_clock::time_point received;  // when the header was read
  serving::CancelFlag cancelled;                   // set when the client goes away; may be null
  serving::Executor* executor = nullptr;           // the server's I/O threads; may be null
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Seconds for a Retry-After header; 0 = no header.
  int retry_after_s = 0;
};

// Receives the response to one request exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;

}  // namespace ferry::protocol

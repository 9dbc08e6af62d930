#pragma once

#include <string>

#include "ferry/base/status.h"
#include "ferry/protocol/http_message.h"

// The one place where a Status becomes an HTTP reply (status from
// ferry::HttpStatusOf, body {"error": "<message>"}, Retry-After when the
// server sheds load). Every error the HTTP transport sends goes through here.
namespace ferry::protocol {

// Seconds a shed client is told to wait before retrying (429 and 503).
inline constexpr int kRetryAfterSeconds = 1;

// `status` must not be OK.
HttpResponse ErrorReply(const Status& status);

// 200 (or `http_status`) with a JSON body.
HttpResponse JsonReply(std::string body, int http_status = 200);

}  // namespace ferry::protocol

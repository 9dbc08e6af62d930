#include "ferry/protocol/error_reply.h"

#include "ferry/base/json_writer.h"

namespace ferry::protocol {

HttpResponse ErrorReply(const Status& status) {
  HttpResponse r;
  r.status = status.ok() ? 500 : HttpStatusOf(status.code());
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("error").String(status.ok() ? "internal error: OK status as an error"
                                                  : status.message());
  w.EndObject();
  r.body = std::move(body);
  if (status.code() == StatusCode::kResourceExhausted ||
      status.code() == StatusCode::kUnavailable) {
    r.retry_after_s = kRetryAfterSeconds;
  }
  return r;
}

HttpResponse JsonReply(std::string body, int http_status) {
  HttpResponse r;
  r.status = http_status;
  r.body = std::move(body);
  return r;
}

}  // namespace ferry::protocol

#pragma once

#include <string>

#include "ferry/protocol/http_message.h"
#include "ferry/registry/registry.h"

// The registry's REST API under /api/v1 (JSON), transport-neutral: the
// handler takes a protocol::HttpRequest and answers through a Responder, so
// `ferry serve` mounts it with Router::AddRoute and tests call it directly.
//
//   GET    /api/v1/models                                   list
//   GET    /api/v1/models/{m}                               model, aliases, tags, versions
//   GET    /api/v1/models/{m}/versions                      versions
//   GET    /api/v1/models/{m}/versions/{v}                  one version (+ tags)
//   GET    /api/v1/models/{m}/aliases/{a}                   the version the alias resolves to
//   GET    /api/v1/models/{m}/history[?limit=N]             audit log
//   POST   /api/v1/models/{m}/versions                      register: body = bundle .tar.zst
//   PUT    /api/v1/models/{m}/aliases/{a} {"version":N,"protect":b,"force":b,"reason":s} DELETE
//   /api/v1/models/{m}/aliases/{a}[?force=true&reason=…] PUT
//   /api/v1/models/{m}[/versions/{v}]/tags/{key}     {"value":s} DELETE
//   /api/v1/models/{m}[/versions/{v}]/tags/{key}
//
// Write calls (POST, PUT, DELETE) need "Authorization: Bearer <token>" when a
// token is configured (401 when it is wrong or missing). Without a token they
// are refused with 403 unless allow_writes_without_token (meant for a server
// bound to loopback only). Errors are
// {"error": "..."} with the status of protocol::ErrorReply. The actor in the
// audit log is "api". Thread-safe (the Registry is).
namespace ferry::registry {

struct RegistryRoutesOptions {
  std::string token;  // bearer token for writes
  bool allow_writes_without_token = false;
  size_t max_upload_bytes = size_t{1} << 30;  // register upload limit
};

class RegistryRoutes {
 public:
  // `registry` must outlive this object.
  RegistryRoutes(Registry& registry, RegistryRoutesOptions options);

  // Answers one request whose path starts with /api/v1/.
  void Handle(protocol::HttpRequest& request, const protocol::Responder& done);

 private:
  Result<std::string> Dispatch(protocol::HttpRequest& request, int* http_status);

  Registry& registry_;
  RegistryRoutesOptions options_;
};

}  // namespace ferry::registry

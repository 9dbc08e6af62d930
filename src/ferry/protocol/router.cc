#include "ferry/protocol/router.h"

#include <cctype>
#include <charconv>
#include <string_view>

#include "ferry/base/json_writer.h"
#include "ferry/protocol/error_reply.h"
#include "ferry/protocol/http_target.h"
#include "ferry/protocol/v2_encode.h"

namespace ferry::protocol {
namespace {

using serving::InferRequest;
using serving::InferResponse;

Result<int64_t> ParseVersion(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1) {
    return InvalidArgument("model version must be a positive integer, got '" + std::string(text) +
                           "'");
  }
  return v;
}

bool IsJsonContentType(std::string_view ct) {
  if (ct.empty()) return true;  // curl --data-binary without -H, many tiny clients
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  if (ct.size() != 16) return false;
  static constexpr std::string_view kJson = "application/json";
  for (size_t i = 0; i < ct.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(ct[i])) != kJson[i]) return false;
  }
  return true;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

std::string ObjectBody(std::string_view key, std::string_view name, bool value) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  if (!name.empty()) w.Key("name").String(name);
  w.Key(key).Bool(value).EndObject();
  return out;
}

// Parsed target: /v2/models/{m}[/versions/{v}][/tail]
struct ModelPath {
  std::string model;
  std::optional<int64_t> version;
  std::string_view tail;  // "", "ready", "infer", "stats"
};

Result<ModelPath> ParseModelPath(const std::vector<std::string_view>& p) {
  ModelPath mp;
  mp.model = std::string(p[2]);
  size_t i = 3;
  if (p.size() >= 5 && p[3] == "versions") {
    FERRY_ASSIGN_OR_RETURN(mp.version, ParseVersion(p[4]));
    i = 5;
  }
  if (p.size() > i + 1) return NotFound("no such route");
  if (p.size() == i + 1) mp.tail = p[i];
  return mp;
}

}  // namespace

Router::Router(serving::InferenceService& service, RouterOptions options,
               std::shared_ptr<monitor::MetricsRegistry> metrics)
    : service_(service),
      options_(std::move(options)),
      metrics_(std::make_unique<TransportMetrics>(
          metrics ? std::move(metrics) : std::make_shared<monitor::MetricsRegistry>())) {}

void Router::AddRoute(std::string method, std::string path_prefix, RouteHandler handler,
                      bool management, std::string path_suffix, size_t path_segments) {
  extensions_.push_back({std::move(method), std::move(path_prefix), std::move(handler), management,
                         std::move(path_suffix), path_segments});
}

Status Router::CheckToken(const HttpRequest& request) const {
  if (options_.management_token.empty()) return Status::Ok();
  static constexpr std::string_view kBearer = "Bearer ";
  std::string_view auth = request.authorization;
  if (auth.substr(0, kBearer.size()) != kBearer) {
    return Unauthenticated("this route needs 'Authorization: Bearer <token>'");
  }
  if (!ConstantTimeEquals(auth.substr(kBearer.size()), options_.management_token)) {
    return PermissionDenied("wrong bearer token");
  }
  return Status::Ok();
}

void Router::Handle(HttpRequest request, Responder done) {
  const char* route = "none";
  auto reply = [&](HttpResponse r) {
    metrics_->RecordRequest(route, r.status);
    done(std::move(r));
  };
  auto fail = [&](const Status& s) { reply(ErrorReply(s)); };
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  for (Extension& e : extensions_) {
    if (e.method == request.method && path.size() >= e.prefix.size() + e.suffix.size() &&
        path.substr(0, e.prefix.size()) == e.prefix &&
        path.substr(path.size() - e.suffix.size()) == e.suffix &&
        (e.segments == 0 || PathSegments(path).size() == e.segments)) {
      route = "extension";
      if (e.management) {
        if (Status s = CheckToken(request); !s.ok()) return fail(s);
      }
      return e.handler(request, [this, done = std::move(done)](HttpResponse r) {
        metrics_->RecordRequest("extension", r.status);
        done(std::move(r));
      });
    }
  }

  const std::vector<std::string_view> p = PathSegments(target);
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  auto no_route = [&] {
    fail(NotFound("no route for " + request.method + " " + std::string(path)));
  };

  if (p.size() == 1 && p[0] == "metrics" && get) {
    route = "metrics";
    HttpResponse r;
    r.content_type = std::string(monitor::kPrometheusContentType);
    r.body = metrics_->registry().RenderText();
    return reply(std::move(r));
  }
  if (p.empty() || p[0] != "v2") return no_route();
  if (p.size() == 1) {
    if (!get) return no_route();
    route = "server_metadata";
    return reply(
        JsonReply(EncodeServerMetadata(options_.server_name, options_.server_version,
                                       {"model_repository", "statistics", "keyed_predictions"})));
  }
  if (p[1] == "health" && p.size() == 3 && get) {
    route = "health";
    if (p[2] == "live") {
      if (!service_.Live()) return fail(Unavailable("the server is not live"));
      return reply(JsonReply(ObjectBody("live", "", true)));
    }
    if (p[2] == "ready") {
      if (!service_.Ready()) return fail(Unavailable("not every model is ready"));
      return reply(JsonReply(ObjectBody("ready", "", true)));
    }
    return no_route();
  }
  if (p[1] == "models" && p.size() == 3 && p[2] == "stats" && get) {
    route = "stats";
    auto stats = service_.Stats("", std::nullopt);
    if (!stats.ok()) return fail(stats.status());
    return reply(JsonReply(EncodeModelStats(*stats)));
  }
  if (p[1] == "models" && p.size() >= 3) {
    auto mp = ParseModelPath(p);
    if (!mp.ok()) {
      if (mp.status().code() == StatusCode::kNotFound) return no_route();
      return fail(mp.status());
    }
    if (mp->tail.empty() && get) {
      route = "model_metadata";
      auto md = service_.Metadata(mp->model, mp->version);
      if (!md.ok()) return fail(md.status());
      return reply(JsonReply(EncodeModelMetadata(*md)));
    }
    if (mp->tail == "ready" && get) {
      route = "model_ready";
      auto ready = service_.ModelReady(mp->model, mp->version);
      if (!ready.ok()) return fail(ready.status());
      if (!*ready) return fail(Unavailable("model '" + mp->model + "' is not ready"));
      return reply(JsonReply(ObjectBody("ready", mp->model, true)));
    }
    if (mp->tail == "stats" && get) {
      route = "stats";
      auto stats = service_.Stats(mp->model, mp->version);
      if (!stats.ok()) return fail(stats.status());
      return reply(JsonReply(EncodeModelStats(*stats)));
    }
    if (mp->tail == "infer" && post) {
      return Infer(request, mp->model, mp->version, std::move(done));
    }
    return no_route();
  }
  if (p[1] == "repository" && post) {
    route = "repository";
    if (Status s = CheckToken(request); !s.ok()) return fail(s);
    if (p.size() == 3 && p[2] == "index") {
      bool ready_only = false;
      if (Status s = DecodeRepositoryIndexRequest(request.body, options_.limits, &ready_only);
          !s.ok()) {
        return fail(s);
      }
      return reply(JsonReply(EncodeRepositoryIndex(service_.RepositoryIndex(ready_only))));
    }
    if (p.size() == 5 && p[2] == "models" && (p[4] == "load" || p[4] == "unload")) {
      const bool load = p[4] == "load";
      auto work = [this, load, model = std::string(p[3]), done = std::move(done)] {
        Status s = load ? service_.LoadModel(model) : service_.UnloadModel(model);
        HttpResponse r = s.ok() ? JsonReply("{}") : ErrorReply(s);
        metrics_->RecordRequest("repository", r.status);
        done(std::move(r));
      };
      if (options_.run_blocking) return options_.run_blocking(std::move(work));
      return work();
    }
  }
  no_route();
}

void Router::Infer(HttpRequest& request, const std::string& model, std::optional<int64_t> version,
                   Responder done) {
  const auto received = request.received;
  auto refuse = [&](const Status& s) {
    metrics_->RecordInfer(model, version ? std::to_string(*version) : std::string(), s.code(),
                          std::chrono::steady_clock::now() - received);
    HttpResponse r = ErrorReply(s);
    metrics_->RecordRequest("infer", r.status);
    done(std::move(r));
  };
  // The model first: metrics label only models that exist.
  auto signature = service_.RequestSignature(model, version);
  if (!signature.ok()) return refuse(signature.status());
  if (!IsJsonContentType(request.content_type)) {
    return refuse(InvalidArgument("Content-Type must be application/json, got '" +
                                  request.content_type + "'"));
  }
  auto infer = std::make_unique<InferRequest>();
  infer->model = model;
  infer->version = version;
  infer->received = received;
  infer->cancelled = request.cancelled;
  infer->executor = request.executor;
  if (Status s = DecodeInferRequest(request.body, **signature, options_.limits, infer.get());
      !s.ok()) {
    return refuse(s);
  }
  service_.Infer(std::move(infer), [this, model, version, received,
                                    done = std::move(done)](Result<InferResponse> result) {
    HttpResponse r;
    if (result.ok()) {
      r = JsonReply(EncodeInferResponse(*result));
      metrics_->RecordInfer(model, std::to_string(result->version), StatusCode::kOk,
                            std::chrono::steady_clock::now() - received);
    } else {
      r = ErrorReply(result.status());
      metrics_->RecordInfer(model, version ? std::to_string(*version) : std::string(),
                            result.status().code(), std::chrono::steady_clock::now() - received);
    }
    metrics_->RecordRequest("infer", r.status);
    done(std::move(r));
  });
}

}  // namespace ferry::protocol

#include "ferry/registry/http/registry_routes.h"

#include <simdjson.h>
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#include <charconv>
#include <map>
#include <vector>

#include "ferry/protocol/error_reply.h"
#include "ferry/protocol/http_target.h"
#include "ferry/registry/registry_json.h"

namespace ferry::registry {
namespace {

Result<int64_t> ParseVersion(const std::string& text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0) {
    return InvalidArgument("version must be a positive integer, got '" + text + "'");
  }
  return v;
}

// The fields of a small JSON request body.
struct Body {
  std::optional<int64_t> version;
  bool protect = false;
  bool force = false;
  std::string reason;
  std::optional<std::string> value;
};

Result<Body> ParseBody(const std::string& text) {
  Body b;
  if (text.empty()) return b;
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) || !doc.is_object()) {
    return InvalidArgument("request body must be a JSON object");
  }
  for (auto [key, val] : doc.get_object()) {
    if (key == "version" && val.is_int64()) {
      b.version = val.get_int64().value();
    } else if (key == "protect" && val.is_bool()) {
      b.protect = val.get_bool().value();
    } else if (key == "force" && val.is_bool()) {
      b.force = val.get_bool().value();
    } else if (key == "reason" && val.is_string()) {
      b.reason = std::string(val.get_string().value());
    } else if (key == "value" && val.is_string()) {
      b.value = std::string(val.get_string().value());
    } else {
      return InvalidArgument("request body: unexpected field or type '" + std::string(key) + "'");
    }
  }
  return b;
}

}  // namespace

RegistryRoutes::RegistryRoutes(Registry& registry, RegistryRoutesOptions options)
    : registry_(registry), options_(std::move(options)) {}

void RegistryRoutes::Handle(protocol::HttpRequest& request, const protocol::Responder& done) {
  int status = 200;
  Result<std::string> body = Dispatch(request, &status);
  if (!body.ok()) {
    done(protocol::ErrorReply(body.status()));
    return;
  }
  done(protocol::JsonReply(std::move(*body), status));
}

Result<std::string> RegistryRoutes::Dispatch(protocol::HttpRequest& req, int* http_status) {
  std::string_view target = req.target;
  size_t q = target.find('?');
  std::map<std::string, std::string> query = protocol::QueryParams(target);
  std::vector<std::string_view> segments = protocol::PathSegments(target);
  std::vector<std::string> p(segments.begin(), segments.end());
  if (p.size() < 3 || p[0] != "api" || p[1] != "v1" || p[2] != "models") {
    return NotFound("no such endpoint: " + req.method + " " + std::string(target.substr(0, q)));
  }
  p.erase(p.begin(), p.begin() + 3);  // now: [], [m], [m, versions], …
  Store& store = registry_.store();
  const bool write = req.method != "GET";
  Actor actor{"api", ""};
  if (write) {
    if (options_.token.empty() && !options_.allow_writes_without_token) {
      return PermissionDenied("registry writes are disabled: start ferry serve with --token");
    }
    const std::string expected = "Bearer " + options_.token;
    if (!options_.token.empty() &&
        (req.authorization.size() != expected.size() ||
         sodium_memcmp(req.authorization.data(), expected.data(), expected.size()) != 0)) {
      return Unauthenticated("registry writes need 'Authorization: Bearer <token>'");
    }
  }
  if (p.empty() && req.method == "GET") {
    FERRY_ASSIGN_OR_RETURN(auto models, store.ListModels());
    std::string out = "{\"models\":[";
    for (size_t i = 0; i < models.size(); ++i) {
      FERRY_ASSIGN_OR_RETURN(auto aliases, store.ListAliases(models[i].name));
      FERRY_ASSIGN_OR_RETURN(auto tags, store.ListTags(models[i].name, 0));
      out += (i ? "," : "") + ModelJson(models[i], aliases, tags);
    }
    return out + "]}";
  }
  if (p.empty()) return Unimplemented("method " + req.method + " not allowed on /api/v1/models");
  const std::string& model = p[0];
  if (p.size() == 1 && req.method == "GET") {
    FERRY_ASSIGN_OR_RETURN(auto m, store.GetModel(model));
    FERRY_ASSIGN_OR_RETURN(auto aliases, store.ListAliases(model));
    FERRY_ASSIGN_OR_RETURN(auto tags, store.ListTags(model, 0));
    FERRY_ASSIGN_OR_RETURN(auto versions, store.ListVersions(model));
    return "{\"model\":" + ModelJson(m, aliases, tags) + "," + VersionsJson(versions).substr(1);
  }
  if (p.size() == 2 && p[1] == "versions" && req.method == "GET") {
    FERRY_ASSIGN_OR_RETURN(auto versions, store.ListVersions(model));
    return VersionsJson(versions);
  }
  if (p.size() == 2 && p[1] == "versions" && req.method == "POST") {
    if (req.body.size() > options_.max_upload_bytes) {
      return OutOfRange("upload larger than " + std::to_string(options_.max_upload_bytes) +
                        " bytes");
    }
    std::filesystem::path tmpdir = registry_.artifacts().root() / "tmp";
    std::error_code ec;
    std::filesystem::create_directories(tmpdir, ec);
    std::string tmpl = (tmpdir / "upload-XXXXXX").string();
    int fd = ::mkstemp(tmpl.data());
    if (fd < 0) return Internal("cannot create an upload file in " + tmpdir.string());
    size_t off = 0;
    while (off < req.body.size()) {
      ssize_t w = ::write(fd, req.body.data() + off, req.body.size() - off);
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
    ::close(fd);
    Result<VersionRecord> v =
        off == req.body.size()
            ? registry_.RegisterArchive(tmpl, {{}, model, query["description"], {}}, actor)
            : Result<VersionRecord>(ResourceExhausted("cannot store the upload (disk full?)"));
    std::filesystem::remove(tmpl, ec);
    if (!v.ok()) return v.status();
    *http_status = 201;
    return VersionJson(*v, {});
  }
  if (p.size() == 3 && p[1] == "versions" && req.method == "GET") {
    FERRY_ASSIGN_OR_RETURN(int64_t v, ParseVersion(p[2]));
    FERRY_ASSIGN_OR_RETURN(auto rec, store.GetVersion(model, v));
    FERRY_ASSIGN_OR_RETURN(auto tags, store.ListTags(model, v));
    return VersionJson(rec, tags);
  }
  if (p.size() == 2 && p[1] == "history" && req.method == "GET") {
    int64_t limit = 0;
    if (!query["limit"].empty()) {
      FERRY_ASSIGN_OR_RETURN(limit, ParseVersion(query["limit"]));
    }
    FERRY_RETURN_IF_ERROR(store.GetModel(model).status());
    FERRY_ASSIGN_OR_RETURN(auto entries, store.History(model, limit));
    return AuditJson(entries);
  }
  if (p.size() == 3 && p[1] == "aliases") {
    const std::string& alias = p[2];
    if (req.method == "GET") {
      FERRY_ASSIGN_OR_RETURN(ModelRef ref, ParseReference(model + "@" + alias));
      FERRY_ASSIGN_OR_RETURN(auto v, registry_.Resolve(ref));
      return VersionJson(v, {});
    }
    FERRY_ASSIGN_OR_RETURN(Body body, ParseBody(req.body));
    if (req.method == "PUT") {
      if (!body.version) return InvalidArgument("request body needs \"version\"");
      actor.reason = body.reason;
      FERRY_ASSIGN_OR_RETURN(auto a, registry_.SetAlias(model, alias, *body.version,
                                                        {body.protect, body.force}, actor));
      return AliasJson(a);
    }
    if (req.method == "DELETE") {
      actor.reason = body.reason.empty() ? query["reason"] : body.reason;
      bool force = body.force || query["force"] == "true";
      FERRY_RETURN_IF_ERROR(registry_.DeleteAlias(model, alias, force, actor));
      return std::string("{\"deleted\":true}");
    }
  }
  // Tags: /m/tags/{key} or /m/versions/{v}/tags/{key}
  ModelRef ref;
  ref.name = model;
  std::string key;
  if (p.size() == 3 && p[1] == "tags") {
    key = p[2];
  } else if (p.size() == 5 && p[1] == "versions" && p[3] == "tags") {
    FERRY_ASSIGN_OR_RETURN(int64_t v, ParseVersion(p[2]));
    ref.version = v;
    key = p[4];
  }
  if (!key.empty() && req.method == "PUT") {
    FERRY_ASSIGN_OR_RETURN(Body body, ParseBody(req.body));
    if (!body.value) return InvalidArgument("request body needs \"value\"");
    FERRY_RETURN_IF_ERROR(registry_.SetTag(ref, key, *body.value, actor));
    return std::string("{\"key\":\"") + key + "\"}";
  }
  if (!key.empty() && req.method == "DELETE") {
    FERRY_RETURN_IF_ERROR(registry_.DeleteTag(ref, key, actor));
    return std::string("{\"deleted\":true}");
  }
  return NotFound("no such endpoint: " + req.method + " " + std::string(target.substr(0, q)));
}

}  // namespace ferry::registry

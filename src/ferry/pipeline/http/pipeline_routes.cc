#include "ferry/pipeline/http/pipeline_routes.h"

#include <simdjson.h>

#include "ferry/base/json_writer.h"
#include "ferry/pipeline/resolve.h"
#include "ferry/protocol/error_reply.h"
#include "ferry/protocol/http_target.h"

namespace ferry::pipeline {
namespace {

constexpr size_t kMaxParams = 256;

// "/api/v1/pipelines/x/runs?…" → {"x", "runs"}: the parts after "pipelines".
Result<std::vector<std::string>> PathAfterPipelines(std::string_view target) {
  std::vector<std::string_view> parts = protocol::PathSegments(target);
  if (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1" || parts[2] != "pipelines") {
    return NotFound("no such endpoint: " + std::string(target.substr(0, target.find('?'))));
  }
  return std::vector<std::string>(parts.begin() + 3, parts.end());
}

Result<std::map<std::string, std::string>> ParseParams(const std::string& body) {
  std::map<std::string, std::string> out;
  if (body.empty()) return out;
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) || !doc.is_object()) {
    return InvalidArgument("request body must be a JSON object like {\"params\": {\"k\": \"v\"}}");
  }
  for (auto [key, val] : doc.get_object()) {
    if (key != "params") return InvalidArgument("unknown field '" + std::string(key) + "'");
    if (!val.is_object()) return InvalidArgument("params must be a JSON object");
    for (auto [name, v] : val.get_object()) {
      if (out.size() >= kMaxParams) {
        return InvalidArgument("more than " + std::to_string(kMaxParams) + " params");
      }
      std::string text;
      if (v.is_string()) {
        text = std::string(v.get_string().value());
      } else if (v.is_int64() || v.is_uint64() || v.is_double() || v.is_bool()) {
        text = simdjson::minify(v);
      } else {
        return InvalidArgument("param '" + std::string(name) +
                               "' must be a string, a number or a boolean");
      }
      out[std::string(name)] = std::move(text);
    }
  }
  return out;
}

}  // namespace

PipelineRoutes::PipelineRoutes(std::vector<PipelineFile> pipelines, RunLauncher& launcher)
    : pipelines_(std::move(pipelines)), launcher_(launcher) {}

const PipelineFile* PipelineRoutes::Find(const std::string& name) const {
  for (const PipelineFile& p : pipelines_) {
    if (p.spec.name == name) return &p;
  }
  return nullptr;
}

void PipelineRoutes::Handle(protocol::HttpRequest& request, const protocol::Responder& done) {
  int status = 200;
  Result<std::string> body = Dispatch(request, &status);
  if (!body.ok()) {
    done(protocol::ErrorReply(body.status()));
    return;
  }
  done(protocol::JsonReply(std::move(*body), status));
}

Result<PipelineRoutes::Triggered> PipelineRoutes::Trigger(
    const std::string& name, const std::map<std::string, std::string>& params) {
  const PipelineFile* p = Find(name);
  if (p == nullptr) return NotFound("no pipeline named '" + name + "' on this server");
  std::vector<std::string> overrides;
  for (const auto& [k, v] : params) overrides.push_back(k + "=" + v);
  Triggered t;
  FERRY_ASSIGN_OR_RETURN(t.params, ResolveParams(p->spec, overrides));
  FERRY_ASSIGN_OR_RETURN(t.run_id, launcher_.Start(p->path, t.params));
  return t;
}

Result<std::string> PipelineRoutes::Dispatch(protocol::HttpRequest& req, int* http_status) {
  FERRY_ASSIGN_OR_RETURN(std::vector<std::string> p, PathAfterPipelines(req.target));
  std::string out;
  JsonWriter j(&out);
  if (req.method == "GET" && p.empty()) {
    j.BeginObject().Key("pipelines").BeginArray();
    for (const PipelineFile& f : pipelines_) {
      j.BeginObject().Key("name").String(f.spec.name).Key("file").String(f.path);
      j.Key("schedule").String(f.spec.schedule).Key("params").BeginObject();
      for (const ParamSpec& param : f.spec.params) {
        j.Key(param.name);
        if (param.default_value) {
          j.String(*param.default_value);
        } else {
          j.Null();
        }
      }
      j.EndObject().EndObject();
    }
    j.EndArray().EndObject();
    return out;
  }
  if (req.method == "POST" && p.size() == 2 && p[1] == "runs") {
    FERRY_ASSIGN_OR_RETURN(auto params, ParseParams(req.body));
    FERRY_ASSIGN_OR_RETURN(Triggered t, Trigger(p[0], params));
    j.BeginObject().Key("run_id").String(t.run_id).Key("pipeline").String(p[0]);
    j.Key("params").BeginObject();
    for (const auto& [k, v] : t.params) j.Key(k).String(v);
    j.EndObject().EndObject();
    *http_status = 201;
    return out;
  }
  return NotFound("no such endpoint: " + req.method + " " + req.target);
}

}  // namespace ferry::pipeline

#include "ferry/monitor/live/monitor_routes.h"

#include <simdjson.h>

#include <string>

#include "ferry/base/json_writer.h"
#include "ferry/base/wall_clock.h"
#include "ferry/protocol/error_reply.h"
#include "ferry/protocol/http_target.h"

namespace ferry::monitor {
namespace {

Result<std::optional<int64_t>> VersionParam(const std::map<std::string, std::string>& query) {
  auto it = query.find("version");
  if (it == query.end() || it->second.empty()) return std::optional<int64_t>();
  int64_t v = 0;
  for (char c : it->second) {
    if (c < '0' || c > '9' || v > 1'000'000'000'000) {
      return InvalidArgument("version: expected a positive integer, got '" + it->second + "'");
    }
    v = v * 10 + (c - '0');
  }
  if (v <= 0) return InvalidArgument("version: expected a positive integer");
  return std::optional<int64_t>(v);
}

// GET /api/v1/models/{m}/drift | /performance
Result<std::string> WindowReport(const Monitor& monitor, const protocol::HttpRequest& request,
                                 bool drift) {
  const std::vector<std::string_view> parts = protocol::PathSegments(request.target);
  // api, v1, models, {m}, drift|performance
  if (parts.size() != 5) return NotFound("no route " + request.target);
  const auto query = protocol::QueryParams(request.target);
  FERRY_ASSIGN_OR_RETURN(std::optional<int64_t> version, VersionParam(query));
  auto w = query.find("window");
  FERRY_ASSIGN_OR_RETURN(WindowQuery window,
                         ParseWindowQuery(w == query.end() ? "last" : w->second));
  const std::string model(parts[3]);
  return drift ? monitor.DriftJson(model, version, window, WallClockMs())
               : monitor.PerformanceJson(model, version, window, WallClockMs());
}

Result<Feedback> FeedbackItem(simdjson::dom::element e, const std::string& where) {
  simdjson::dom::object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) {
    return InvalidArgument(where + "expected an object {\"key\": …, \"label\": …}");
  }
  Feedback f;
  simdjson::dom::element key, label;
  if (o["key"].get(key) != simdjson::SUCCESS) return InvalidArgument(where + "missing \"key\"");
  if (o["label"].get(label) != simdjson::SUCCESS) {
    return InvalidArgument(where + "missing \"label\"");
  }
  std::string_view k;
  if (key.get_string().get(k) == simdjson::SUCCESS) {
    f.key = std::string(k);
  } else if (key.is_int64() || key.is_uint64()) {
    f.key = simdjson::minify(key);
  } else {
    return InvalidArgument(where + "key: expected a string");
  }
  if (f.key.empty()) return InvalidArgument(where + "key: must not be empty");
  f.label_json = simdjson::minify(label);
  return f;
}

// POST /v2/models/{m}/feedback
Result<std::string> PostFeedback(Monitor& monitor, const protocol::HttpRequest& request) {
  const std::vector<std::string_view> parts = protocol::PathSegments(request.target);
  // v2, models, {m}, feedback
  if (parts.size() != 4) return NotFound("no route " + request.target);
  FERRY_ASSIGN_OR_RETURN(std::vector<Feedback> items, ParseFeedbackBody(request.body));
  FERRY_ASSIGN_OR_RETURN(FeedbackResult r,
                         monitor.AddFeedback(std::string(parts[2]), items, WallClockMs()));
  std::string out;
  JsonWriter j(&out);
  j.BeginObject().Key("joined").Int(r.joined).Key("unmatched").Int(r.unmatched);
  j.Key("unmatched_keys").BeginArray();
  for (const std::string& k : r.unmatched_keys) j.String(k);
  j.EndArray().EndObject();
  return out;
}

protocol::HttpResponse Reply(Result<std::string> body) {
  return body.ok() ? protocol::JsonReply(std::move(*body)) : protocol::ErrorReply(body.status());
}

}  // namespace

Result<std::vector<Feedback>> ParseFeedbackBody(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) {
    return InvalidArgument("feedback: the body is not valid JSON");
  }
  std::vector<Feedback> items;
  simdjson::dom::array array;
  if (doc.get_array().get(array) == simdjson::SUCCESS) {
    if (array.size() > kMaxFeedbackItems) {
      return OutOfRange("feedback: " + std::to_string(array.size()) +
                        " items in one request; at most " + std::to_string(kMaxFeedbackItems));
    }
    size_t i = 0;
    for (simdjson::dom::element e : array) {
      FERRY_ASSIGN_OR_RETURN(Feedback f,
                             FeedbackItem(e, "feedback[" + std::to_string(i++) + "]: "));
      items.push_back(std::move(f));
    }
    if (items.empty()) return InvalidArgument("feedback: the array is empty");
    return items;
  }
  FERRY_ASSIGN_OR_RETURN(Feedback f, FeedbackItem(doc, "feedback: "));
  items.push_back(std::move(f));
  return items;
}

void MountMonitorRoutes(protocol::Router& router, std::shared_ptr<Monitor> monitor,
                        std::function<void(std::function<void()>)> run_blocking) {
  for (bool drift : {true, false}) {
    router.AddRoute(
        "GET", "/api/v1/models/",
        [monitor, drift](protocol::HttpRequest& request, protocol::Responder done) {
          done(Reply(WindowReport(*monitor, request, drift)));
        },
        /*management=*/false, drift ? "/drift" : "/performance", /*path_segments=*/5);
  }
  router.AddRoute(
      "POST", "/v2/models/",
      [monitor, run_blocking](protocol::HttpRequest& request, protocol::Responder done) {
        auto work = [monitor, request = std::move(request), done = std::move(done)]() mutable {
          done(Reply(PostFeedback(*monitor, request)));
        };
        if (run_blocking) {
          run_blocking(std::move(work));
        } else {
          work();
        }
      },
      /*management=*/false, "/feedback", /*path_segments=*/4);
}

}  // namespace ferry::monitor

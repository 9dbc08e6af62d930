#include "ferry/protocol/transport_metrics.h"

#include <cctype>

namespace ferry::protocol {
namespace {

std::string LowerName(StatusCode code) {
  std::string s(StatusCodeName(code));
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TransportMetrics::TransportMetrics(std::shared_ptr<monitor::MetricsRegistry> registry)
    : registry_(std::move(registry)),
      infer_requests_(registry_->AddCounter(
          "ferry_http_infer_requests_total",
          "Infer requests answered over HTTP, by model, version and outcome (status code name).",
          {"model", "version", "outcome"})),
      infer_duration_(registry_->AddHistogram(
          "ferry_http_infer_duration_seconds",
          "Total time of an HTTP infer request, from its header being read to its response "
          "being ready.",
          {"model"}, monitor::LatencySecondsBuckets())),
      requests_(registry_->AddCounter("ferry_http_requests_total",
                                      "HTTP requests answered, by route and status code.",
                                      {"route", "code"})),
      connections_(
          registry_->AddGauge("ferry_http_connections", "Open HTTP connections.").WithLabels({})),
      connections_refused_(
          registry_
              ->AddCounter("ferry_http_connections_refused_total",
                           "Connections answered 503 because max_connections were open.")
              .WithLabels({})) {}

void TransportMetrics::RecordInfer(std::string_view model, std::string_view version,
                                   StatusCode outcome, std::chrono::steady_clock::duration total) {
  if (outcome == StatusCode::kNotFound) {
    model = "_unknown";
    version = "";
  }
  monitor::Counter* counter;
  monitor::Histogram* histogram;
  {
    MutexLock lock(mu_);
    auto it = infer_children_.find(InferKeyView{model, version, outcome});
    if (it == infer_children_.end()) {
      monitor::Counter& c = infer_requests_.WithLabels(
          {std::string(model), std::string(version), LowerName(outcome)});
      it = infer_children_.emplace(InferKey{std::string(model), std::string(version), outcome}, &c)
               .first;
    }
    counter = it->second;
    auto hit = duration_children_.find(model);
    if (hit == duration_children_.end()) {
      monitor::Histogram& h = infer_duration_.WithLabels({std::string(model)});
      hit = duration_children_.emplace(std::string(model), &h).first;
    }
    histogram = hit->second;
  }
  counter->Increment();
  histogram->Observe(std::chrono::duration<double>(total).count());
}

void TransportMetrics::RecordRequest(const char* route, int http_status) {
  monitor::Counter* counter;
  {
    MutexLock lock(mu_);
    auto key = std::make_pair(std::string_view(route), http_status);
    auto it = request_children_.find(key);
    if (it == request_children_.end()) {
      monitor::Counter& c = requests_.WithLabels({route, std::to_string(http_status)});
      it = request_children_.emplace(key, &c).first;
    }
    counter = it->second;
  }
  counter->Increment();
}

}  // namespace ferry::protocol

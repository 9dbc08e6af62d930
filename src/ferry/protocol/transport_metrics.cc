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

void TransportMetrics::RecordInfer(const std::string& model, const std::string& version,
                                   StatusCode outcome, std::chrono::steady_clock::duration total) {
  const bool unknown = outcome == StatusCode::kNotFound;
  const std::string& m = unknown ? std::string("_unknown") : model;
  infer_requests_.WithLabels({m, unknown ? std::string() : version, LowerName(outcome)})
      .Increment();
  infer_duration_.WithLabels({m}).Observe(std::chrono::duration<double>(total).count());
}

void TransportMetrics::RecordRequest(const char* route, int http_status) {
  requests_.WithLabels({route, std::to_string(http_status)}).Increment();
}

}  // namespace ferry::protocol

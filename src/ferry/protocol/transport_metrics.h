#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "ferry/base/status.h"
#include "ferry/monitor/metrics_registry.h"

// The HTTP transport's own Prometheus metrics, registered in the registry the
// serving core also uses (so /metrics shows both):
//   ferry_http_infer_requests_total{model,version,outcome}   counter
//   ferry_http_infer_duration_seconds{model}                 histogram (total time,
//                                                            header read → response ready)
//   ferry_http_requests_total{route,code}                    counter (every HTTP request)
//   ferry_http_connections                                   gauge (open connections)
//   ferry_http_connections_refused_total                     counter (max_connections reached)
// `outcome` is the lower-case Status code name ("ok", "invalid_argument",
// "resource_exhausted", "deadline_exceeded", ...). Requests for a model or
// version that does not exist are counted under model="_unknown",
// version="" so that clients cannot create unbounded label sets.
// Thread-safe.
namespace ferry::protocol {

class TransportMetrics {
 public:
  explicit TransportMetrics(std::shared_ptr<monitor::MetricsRegistry> registry);

  // One finished infer request. `version` is the version that answered, or
  // the requested one (empty: none named).
  void RecordInfer(const std::string& model, const std::string& version, StatusCode outcome,
                   std::chrono::steady_clock::duration total);
  // One finished HTTP request of any kind; `route` is a fixed route name
  // ("infer", "metadata", "health", ..., "none").
  void RecordRequest(const char* route, int http_status);

  monitor::Gauge& connections() { return connections_; }
  monitor::Counter& connections_refused() { return connections_refused_; }
  monitor::MetricsRegistry& registry() { return *registry_; }

 private:
  std::shared_ptr<monitor::MetricsRegistry> registry_;
  monitor::CounterFamily& infer_requests_;
  monitor::HistogramFamily& infer_duration_;
  monitor::CounterFamily& requests_;
  monitor::Gauge& connections_;
  monitor::Counter& connections_refused_;
};

}  // namespace ferry::protocol

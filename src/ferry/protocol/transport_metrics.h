#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>

#include "ferry/base/status.h"
#include "ferry/base/thread_annotations.h"
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
  // the requested one (empty: none named). Allocation-free once the label
  // set has been seen.
  void RecordInfer(std::string_view model, std::string_view version, StatusCode outcome,
                   std::chrono::steady_clock::duration total) EXCLUDES(mu_);
  // One finished HTTP request of any kind; `route` is a string literal naming
  // a fixed route ("infer", "metadata", "health", ..., "none").
  void RecordRequest(const char* route, int http_status) EXCLUDES(mu_);

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
  // Children already looked up, so that the hot path takes one short lock
  // and no allocation.
  Mutex mu_;
  struct InferKey {
    std::string model, version;
    StatusCode outcome;
  };
  struct InferKeyView {
    std::string_view model, version;
    StatusCode outcome;
  };
  struct InferKeyLess {
    using is_transparent = void;
    static InferKeyView View(const InferKey& k) { return {k.model, k.version, k.outcome}; }
    static InferKeyView View(const InferKeyView& k) { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      InferKeyView x = View(a), y = View(b);
      return std::tie(x.model, x.version, x.outcome) < std::tie(y.model, y.version, y.outcome);
    }
  };
  std::map<InferKey, monitor::Counter*, InferKeyLess> infer_children_ GUARDED_BY(mu_);
  std::map<std::string, monitor::Histogram*, std::less<>> duration_children_ GUARDED_BY(mu_);
  std::map<std::pair<std::string_view, int>, monitor::Counter*> request_children_ GUARDED_BY(mu_);
};

}  // namespace ferry::protocol

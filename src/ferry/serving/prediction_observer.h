#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ferry/bundle/bundle.h"
#include "ferry/serving/inference_service.h"

// The serving core's hook for monitoring (prediction log, drift, feedback):
// an observer per loaded model version sees every answer that version gives.
namespace ferry::serving {

// Sees the answers of one model version. Called on the thread that answers
// (a worker or an I/O thread), so it must be cheap and never block on I/O.
// Thread-safe: calls come from several threads at once.
class PredictionObserver {
 public:
  virtual ~PredictionObserver() = default;
  // A successful answer, before it is handed to the caller. `request.input`
  // holds the rows the model scored; `response` the outputs and keys.
  // `latency_us`: from when the transport read the request.
  virtual void ObserveSuccess(const InferRequest& request, const InferResponse& response,
                              int64_t latency_us) = 0;
  // A request routed to this version that was answered with an error
  // (refused, expired, cancelled, failed).
  virtual void ObserveError() = 0;
};

// Makes the observer of a version while it loads (before it takes traffic).
class ObserverFactory {
 public:
  virtual ~ObserverFactory() = default;
  // `bundle`: the opened bundle the version is loaded from. Null: not
  // observed. An error fails the load (the old version keeps serving).
  virtual Result<std::shared_ptr<PredictionObserver>> ForVersion(const std::string& model,
                                                                 int64_t version,
                                                                 const bundle::Bundle& bundle) = 0;
};

}  // namespace ferry::serving

#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/base/thread_annotations.h"
#include "ferry/monitor/metrics_registry.h"
#include "ferry/serving/inference_service.h"
#include "ferry/serving/prediction_observer.h"
#include "ferry/serving/server_options.h"

// The serving core behind `ferry serve`: models and their versions, hot swap,
// per-version bounded priority queues, the dynamic batcher and its workers,
// statistics and core metrics. Implements the transport seam
// (InferenceService).
namespace ferry::serving {

class ModelEntry;
struct LoadContext;
struct CoreMetrics;

class ModelServer final : public InferenceService {
 public:
  // Loads every configured model (--model sources and the repository's
  // models per version policy), warms each version, and starts its workers.
  // Fails when the options are invalid, a --model bundle does not load, or
  // no model at all could be loaded. A repository model whose versions fail
  // to load is kept with state FAILED (and the reason) while others serve.
  // `metrics`: where core metrics are registered (a new registry when null);
  // the transport renders the same registry at /metrics. `observers`: makes
  // each loaded version's PredictionObserver (monitoring); null = none; must
  // outlive the server.
  static Result<std::unique_ptr<ModelServer>> Create(
      const ServerOptions& options, std::shared_ptr<monitor::MetricsRegistry> metrics = nullptr,
      ObserverFactory* observers = nullptr);

  // Shuts down with options.shutdown_timeout_ms.
  ~ModelServer() override;

  // InferenceService (see inference_service.h). Additional contracts:
  // - Infer refuses at once (callback on the calling thread) with
  //   kNotFound (unknown model/version), kUnavailable (no ready version,
  //   shutting down), kInvalidArgument (input name/shape/type, unknown
  //   output, priority >= priority_levels), kResourceExhausted (queue full),
  //   kDeadlineExceeded (deadline already passed). Otherwise the callback
  //   runs on a worker thread; a queued request whose deadline passes is
  //   answered kDeadlineExceeded and never executed; one whose CancelFlag is
  //   set is answered kCancelled and never executed.
  // - LoadModel: for a --model source, reloads the bundle folder as the same
  //   version; for a repository model, rescans DIR/NAME and applies the
  //   version policy (new versions loaded, existing ones reloaded, ones out
  //   of policy unloaded). Each new load is warmed next to the old one, then
  //   swapped in atomically; requests already queued on the old one finish
  //   there, then it is freed. A failed load leaves the old version serving
  //   and returns the error. Blocks until done: call it off the I/O threads.
  // - UnloadModel: stops routing to the model, drains its queues, frees it;
  //   the model stays listed (UNAVAILABLE) and can be loaded again.
  void Infer(std::unique_ptr<InferRequest> request, InferCallback done) override;
  bool Live() const override;
  bool Ready() const override;
  Result<bool> ModelReady(const std::string& model, std::optional<int64_t> version) const override;
  Result<ModelMetadata> Metadata(const std::string& model,
                                 std::optional<int64_t> version) const override;
  // The routed version's signature, shared (no copy per request).
  Result<std::shared_ptr<const Signature>> RequestSignature(
      const std::string& model, std::optional<int64_t> version) const override;
  Result<std::vector<ModelStats>> Stats(const std::string& model,
                                        std::optional<int64_t> version) const override;
  std::vector<RepositoryEntry> RepositoryIndex(bool ready_only) const override;
  Status LoadModel(const std::string& model) override;
  Status UnloadModel(const std::string& model) override;

  // Hot-swaps a --model source to another bundle folder and version number
  // (what a registry alias follower calls when the alias moves): loads
  // `source.version` from `source.bundle_dir` and warms it next to what
  // serves now, switches new requests to it, then unloads every other
  // version (their queued requests finish first). On failure what serves now
  // keeps serving, the new version is listed FAILED with the reason, and the
  // error is returned. For a model explicitly unloaded, only records the
  // source (the next load serves it). NotFound unless `source.name` is a
  // --model source. Blocks for the load: call it off the I/O threads.
  Status SwapSource(const ModelSource& source);
  // Lists `version` of --model source `model` as FAILED with `reason` (it
  // could not even be prepared, e.g. a corrupt registry blob); what serves
  // keeps serving. NotFound unless `model` is a --model source.
  Status MarkVersionFailed(const std::string& model, int64_t version, const std::string& reason);

  // Stops accepting requests (Infer → kUnavailable, Ready() false), lets
  // queued and running requests finish for up to `timeout`, then answers
  // what is left kUnavailable and stops the workers. Idempotent; thread-safe.
  void Shutdown(std::chrono::milliseconds timeout);

  // The registry holding the core's metrics (and the transport's).
  monitor::MetricsRegistry& metrics() { return *metrics_; }
  const std::shared_ptr<monitor::MetricsRegistry>& shared_metrics() const { return metrics_; }

  // Sorted names of every known model.
  std::vector<std::string> ModelNames() const;

 private:
  ModelServer(ServerOptions options, std::shared_ptr<monitor::MetricsRegistry> metrics,
              ObserverFactory* observers);
  Status Start();
  LoadContext ContextFor(const std::string& model,
                         std::map<std::string, std::string> parameters) const;
  std::shared_ptr<ModelEntry> FindModel(const std::string& name) const EXCLUDES(mu_);
  Status RescanRepository(bool initial) EXCLUDES(mu_);
  void PollRepository(std::stop_token stop);

  const ServerOptions options_;
  const std::shared_ptr<monitor::MetricsRegistry> metrics_;
  std::unique_ptr<CoreMetrics> core_metrics_;
  ObserverFactory* const observers_;
  std::atomic<bool> shutting_down_{false};

  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<ModelEntry>> models_ GUARDED_BY(mu_);
  Mutex load_mu_;  // serializes LoadModel/UnloadModel/rescans (held across loads)
  std::jthread poller_;
};

}  // namespace ferry::serving

#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/tensor/signature.h"
#include "ferry/tensor/task.h"
#include "ferry/tensor/tensor.h"

// The seam between the transport (src/ferry/protocol: HTTP, later gRPC) and
// the serving core (src/ferry/serving: models, queues, batching). The
// transport decodes requests into these structs and encodes the results; it
// never sees a backend, a queue or a lock.
namespace ferry::serving {

// Set by the transport when the client goes away; the core drops a request
// whose flag is set before executing it (and answers it kCancelled).
using CancelFlag = std::shared_ptr<std::atomic<bool>>;

// Runs tasks on the transport's I/O threads, after the I/O completions that
// are ready now (so requests read in one round can run as one batch, without
// a thread handoff). Implemented by the transport; thread-safe; outlives
// every request that names it and the core's use of it.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void Post(std::function<void()> task) = 0;
};

struct InferRequest {
  std::string model;
  std::optional<int64_t> version;     // empty: the model's default (highest ready) version
  std::string id;                     // echoed
  std::string key;                    // parameters.key, echoed (keyed predictions)
  std::vector<std::string> row_keys;  // one per row from a BYTES input named "keys", echoed
  std::string input_name;             // the signature input the data belongs to
  Tensor input;                       // [rows, num_features], FP32, rows >= 1
  std::vector<std::string> requested_outputs;  // empty: all outputs
  int priority = 0;                            // 0 = highest; must be < the model's priority_levels
  std::optional<int64_t> timeout_us;           // empty: the model's default_timeout_us (0 = none)
  std::chrono::steady_clock::time_point received;  // when the transport read the request
  CancelFlag cancelled;                            // may be null
  Executor* executor = nullptr;                    // may be null: the core's worker threads run it
};

struct NamedTensor {
  std::string name;
  Tensor tensor;  // first dimension = rows of the request
};

struct InferResponse {
  std::string model;
  int64_t version = 0;  // the version that answered
  std::string id;
  std::string key;
  std::vector<std::string> row_keys;
  std::vector<NamedTensor> outputs;  // in signature order, filtered by requested_outputs
};

// Called exactly once per request, from any thread (often a worker's). Errors
// use the Status codes whose HTTP mapping lives in status.cc: kInvalidArgument
// (400), kNotFound (404: model/version), kResourceExhausted (429, shed: queue
// full), kUnavailable (503: not ready / shutting down), kDeadlineExceeded (504),
// kCancelled, kInternal (500).
using InferCallback = std::function<void(Result<InferResponse>)>;

// States of a model version (see ModelVersionState transitions in the core).
enum class VersionState { kLoading, kReady, kUnloading, kUnloaded, kFailed };
std::string_view VersionStateName(VersionState s);  // "LOADING", "READY", ...

struct VersionInfo {
  int64_t version = 0;
  VersionState state = VersionState::kLoading;
  std::string reason;  // why it failed, empty otherwise
};

struct ModelMetadata {
  std::string name;
  std::vector<VersionInfo> versions;  // ascending
  std::string platform;               // "xgboost"
  Task task = Task::kRegression;
  Signature signature;  // of the default version (or the one asked for)
  // Extra facts about that version, e.g. the registry reference it was
  // resolved from ("registry_reference", "registry_version"); often empty.
  std::map<std::string, std::string> parameters;
};

// Triton statistics extension, per model version.
struct InferStats {
  uint64_t success_count = 0, success_ns = 0;
  uint64_t fail_count = 0, fail_ns = 0;
  uint64_t queue_count = 0, queue_ns = 0;
  uint64_t compute_count = 0, compute_ns = 0;  // compute_infer
  uint64_t execution_count = 0;                // batches executed
  uint64_t inference_count = 0;                // rows inferred
  int64_t last_inference_ms = 0;               // wall clock, ms since epoch
};

struct ModelStats {
  std::string name;
  int64_t version = 0;
  InferStats stats;
  VersionState state = VersionState::kReady;  // (serve-http) shown in /stats
};

struct RepositoryEntry {
  std::string name;
  int64_t version = 0;
  std::string state;  // "READY", "UNAVAILABLE", ...
  std::string reason;
};

// What the transport calls. Implementations are thread-safe; every method
// may be called from any I/O thread and none blocks on model execution
// (Load/Unload may block on loading a model: call them off the I/O threads
// or accept the stall).
class InferenceService {
 public:
  virtual ~InferenceService() = default;

  // Enqueues (or refuses at once); `done` is called exactly once.
  virtual void Infer(std::unique_ptr<InferRequest> request, InferCallback done) = 0;

  virtual bool Live() const = 0;
  // True when every configured model has a ready version.
  virtual bool Ready() const = 0;
  virtual Result<bool> ModelReady(const std::string& model,
                                  std::optional<int64_t> version) const = 0;
  virtual Result<ModelMetadata> Metadata(const std::string& model,
                                         std::optional<int64_t> version) const = 0;
  // (serve-http) The signature an infer request for `model` (version) is
  // decoded against; the transport calls it once per infer request, so an
  // implementation should share, not copy (e.g. a shared_ptr kept per
  // version). Errors as Metadata. Default: a copy out of Metadata().
  virtual Result<std::shared_ptr<const Signature>> RequestSignature(
      const std::string& model, std::optional<int64_t> version) const {
    auto md = Metadata(model, version);
    if (!md.ok()) return md.status();
    return std::make_shared<const Signature>(std::move(md->signature));
  }
  // Empty model name: every model.
  virtual Result<std::vector<ModelStats>> Stats(const std::string& model,
                                                std::optional<int64_t> version) const = 0;

  // Triton's repository extension.
  virtual std::vector<RepositoryEntry> RepositoryIndex(bool ready_only) const = 0;
  virtual Status LoadModel(const std::string& model) = 0;
  virtual Status UnloadModel(const std::string& model) = 0;
};

}  // namespace ferry::serving

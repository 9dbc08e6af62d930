#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/tensor/signature.h"
#include "ferry/tensor/task.h"
#include "ferry/tensor/tensor.h"

namespace ferry::backends {

// What to load: a model file and what the manifest says about it.
struct ModelSpec {
  std::filesystem::path artifact;  // absolute or cwd-relative path of the model file
  Task task = Task::kRegression;
  Signature signature;  // validated; inputs[0].shape is [-1, num_features]
};

struct LoadOptions {
  // Threads one Session::Run may use inside the framework. Ferry decides
  // parallelism above this (batches, instances); 1 is the right default
  // when several sessions run at once.
  int threads_per_session = 1;

  // Threads the framework may use while it loads the model; 0 lets it pick
  // (XGBoost: one per core). 1 suits short-lived loads such as a bundle's
  // verification, where waking a thread team costs more than it saves.
  int load_threads = 0;

  // Which evaluator scores tree ensembles (backends that have a choice; the
  // xgboost backend, see xgboost_backend.h):
  //   kAuto     Ferry's own compiled trees when the model allows it and
  //             threads_per_session is 1, else the framework's predictor;
  //             the environment variable FERRY_XGBOOST_PREDICTOR (native,
  //             xgboost or auto) overrides this choice.
  //   kNative   Ferry's own; Load fails (Unimplemented, with the reason)
  //             for a model it cannot evaluate exactly.
  //   kFramework the framework's own predictor (XGBoost's C API).
  enum class TreePredictor { kAuto, kNative, kFramework };
  TreePredictor tree_predictor = TreePredictor::kAuto;
};

// Facts read from a model file alone, used by `ferry bundle create` to fill
// in a manifest. Fields the file does not record are left empty / 0.
struct ModelInfo {
  std::optional<Task> task;
  int64_t num_features = 0;
  int64_t num_classes = 0;  // multiclass only
  std::vector<std::string> feature_names;
  std::string objective;  // framework's own name, e.g. "binary:logistic"
};

// One caller's handle for running a model. NOT thread-safe: use one Session
// per thread. A Session keeps its buffers between calls, so steady-state
// Run calls do not allocate.
class Session {
 public:
  virtual ~Session() = default;

  // Runs the model on one view per signature input, in signature order.
  // Each view's shape must be accepted by its spec; datatype FP32 or FP64.
  // Returns one tensor per signature output, in signature order. The tensors
  // are owned by the Session and valid until the next Run or its destruction.
  virtual Result<std::span<const Tensor>> Run(std::span<const TensorView> inputs) = 0;
};

// A loaded model. Thread-safe: immutable after Load; NewSession may be called
// from any thread and the Sessions used concurrently.
class Model {
 public:
  virtual ~Model() = default;
  virtual const Signature& signature() const = 0;
  virtual Task task() const = 0;
  virtual Result<std::unique_ptr<Session>> NewSession() const = 0;
};

// A framework runtime. Thread-safe and stateless.
class Backend {
 public:
  virtual ~Backend() = default;
  // The manifest's `framework` value this backend serves, e.g. "xgboost".
  virtual std::string_view framework() const = 0;
  // Loads and checks a model: the file must parse, and the signature must
  // agree with it (feature count, outputs for the task). Errors name the file.
  virtual Result<std::unique_ptr<Model>> Load(const ModelSpec& spec,
                                              const LoadOptions& options) const = 0;
  // Reads what the file records about itself.
  virtual Result<ModelInfo> Inspect(const std::filesystem::path& artifact) const = 0;
  // File name extensions this backend accepts for artifacts, e.g. ".json".
  virtual std::vector<std::string> artifact_extensions() const = 0;
};

// Process-wide registry of backends by framework name. Registration happens
// during static initialization (FERRY_REGISTER_BACKEND); lookups are safe
// from any thread afterwards.
void RegisterBackend(std::unique_ptr<Backend> backend);
// nullptr when no backend serves `framework`.
const Backend* FindBackend(std::string_view framework);
// Sorted framework names.
std::vector<std::string> BackendNames();

}  // namespace ferry::backends

// Registers a Backend subclass (default-constructible) at start-up. Use once,
// in the backend's own .cc file.
#define FERRY_REGISTER_BACKEND(Class)                              \
  namespace {                                                      \
  const bool ferry_backend_registered_##Class = [] {               \
    ::ferry::backends::RegisterBackend(std::make_unique<Class>()); \
    return true;                                                   \
  }();                                                             \
  }

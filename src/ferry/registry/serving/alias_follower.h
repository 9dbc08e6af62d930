#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/base/thread_annotations.h"
#include "ferry/registry/reference.h"
#include "ferry/registry/registry.h"
#include "ferry/serving/model_server.h"
#include "ferry/serving/server_options.h"

// `ferry serve --model NAME@ALIAS` (also NAME:7, NAME): serving a registry
// reference, and following it when it moves. Joins the registry (resolve,
// materialize) and the serving core (hot swap); neither depends on the other.
namespace ferry::registry {

// Keys of ModelSource::parameters (shown in GET /v2/models/NAME):
// the reference as given ("churn@champion") and the version serving ("churn:3").
inline constexpr std::string_view kReferenceParameter = "registry_reference";
inline constexpr std::string_view kVersionParameter = "registry_version";

// True when a `--model` value is a registry reference rather than
// NAME=BUNDLE_DIR (it has no '=').
bool IsRegistryReferenceArg(std::string_view text);

// Resolves `ref` now and materializes the version (verified blob → bundle
// folder, ResolveToBundleDir's checks): a ModelSource named ref.name, served
// as the registry's version number, with both parameters above. Errors as
// Registry::Resolve and MaterializeVersion.
Result<serving::ModelSource> ResolveModelSource(Registry& registry, const ModelRef& ref);

struct AliasFollowerOptions {
  // Time between polls; 0 = never poll (Start does nothing).
  std::chrono::milliseconds interval{1000};
  // Receives one line per event (swap, failure); may be null.
  std::function<void(const std::string&)> log;
};

// Keeps registry references served by a ModelServer pointing where they
// point in the registry. Each poll re-resolves every reference that can move
// (NAME@ALIAS, NAME; never NAME:7); when it names another version than the
// one serving, the follower materializes that version and hot-swaps to it
// (ModelServer::SwapSource: warm next to the old one, switch, drain the
// old). When preparing or loading the new version fails, the serving
// version stays, the failure is logged and the version is listed FAILED with
// the reason in the model's metadata; it is not tried again until the
// reference moves to yet another version. A failed resolution (alias
// deleted, store unreachable) keeps what serves and is logged once per
// distinct message.
class AliasFollower {
 public:
  struct Followed {
    ModelRef ref;         // ref.name is the served model's name
    int64_t serving = 0;  // the registry version serving now
  };

  // `registry` and `server` must outlive the follower.
  AliasFollower(Registry& registry, serving::ModelServer& server, std::vector<Followed> followed,
                AliasFollowerOptions options);
  ~AliasFollower();  // Stop()

  AliasFollower(const AliasFollower&) = delete;
  AliasFollower& operator=(const AliasFollower&) = delete;

  // Starts the polling thread (no-op when the interval is 0 or no reference
  // can move). Call once.
  void Start();
  // Stops and joins the thread (a swap in progress completes first). Idempotent.
  void Stop();

  // One poll on the calling thread; returns how many models were swapped.
  // Thread-safe (polls are serialized).
  int PollOnce() EXCLUDES(mu_);

 private:
  struct State {
    Followed followed;
    int64_t failed = 0;      // version whose swap failed (not retried); 0: none
    std::string last_error;  // last resolution error logged
  };
  void Log(const std::string& line) const;
  bool PollOne(State& state) REQUIRES(mu_);

  Registry& registry_;
  serving::ModelServer& server_;
  const AliasFollowerOptions options_;
  Mutex mu_;
  std::vector<State> states_ GUARDED_BY(mu_);
  std::jthread thread_;
};

}  // namespace ferry::registry

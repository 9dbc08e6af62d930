#include "ferry/registry/serving/alias_follower.h"

#include <condition_variable>
#include <mutex>

#include "ferry/registry/resolve.h"

namespace ferry::registry {
namespace {

bool CanMove(const ModelRef& ref) { return !ref.version.has_value(); }

serving::ModelSource SourceFor(const ModelRef& ref, int64_t version, std::filesystem::path dir) {
  serving::ModelSource source;
  source.name = ref.name;
  source.bundle_dir = std::move(dir);
  source.version = version;
  source.parameters[std::string(kReferenceParameter)] = ref.ToString();
  source.parameters[std::string(kVersionParameter)] = VersionRef(ref.name, version);
  return source;
}

}  // namespace

bool IsRegistryReferenceArg(std::string_view text) {
  return text.find('=') == std::string_view::npos;
}

Result<serving::ModelSource> ResolveModelSource(Registry& registry, const ModelRef& ref) {
  FERRY_ASSIGN_OR_RETURN(VersionRecord version, registry.Resolve(ref));
  FERRY_ASSIGN_OR_RETURN(std::filesystem::path dir, MaterializeVersion(registry, version));
  return SourceFor(ref, version.version, std::move(dir));
}

AliasFollower::AliasFollower(Registry& registry, serving::ModelServer& server,
                             std::vector<Followed> followed, AliasFollowerOptions options)
    : registry_(registry), server_(server), options_(std::move(options)) {
  MutexLock lock(mu_);
  for (Followed& f : followed) states_.push_back(State{std::move(f), 0, {}});
}

AliasFollower::~AliasFollower() { Stop(); }

void AliasFollower::Start() {
  if (options_.interval.count() <= 0 || thread_.joinable()) return;
  bool any_moves = false;
  {
    MutexLock lock(mu_);
    for (const State& s : states_) any_moves = any_moves || CanMove(s.followed.ref);
  }
  if (!any_moves) return;
  thread_ = std::jthread([this](std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    while (!stop.stop_requested()) {
      {
        std::unique_lock lock(m);
        cv.wait_for(lock, stop, options_.interval, [] { return false; });
      }
      if (stop.stop_requested()) break;
      PollOnce();
    }
  });
}

void AliasFollower::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void AliasFollower::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

int AliasFollower::PollOnce() {
  MutexLock lock(mu_);
  int swapped = 0;
  for (State& state : states_) {
    if (CanMove(state.followed.ref) && PollOne(state)) ++swapped;
  }
  return swapped;
}

bool AliasFollower::PollOne(State& state) {
  const ModelRef& ref = state.followed.ref;
  const std::string model = "model '" + ref.name + "': ";
  const std::string serving = VersionRef(ref.name, state.followed.serving);
  Result<VersionRecord> target = registry_.Resolve(ref);
  if (!target.ok()) {
    if (target.status().message() != state.last_error) {
      state.last_error = target.status().message();
      Log(model + "cannot resolve " + ref.ToString() + ": " + state.last_error + "; " + serving +
          " keeps serving");
    }
    return false;
  }
  state.last_error.clear();
  const int64_t version = target->version;
  if (version == state.followed.serving) {
    state.failed = 0;  // moved back: a later move to the failed version tries it again
    return false;
  }
  if (version == state.failed) return false;
  const std::string wanted = VersionRef(ref.name, version);

  Status status = [&]() -> Status {
    Result<std::filesystem::path> dir = MaterializeVersion(registry_, *target);
    if (!dir.ok()) {
      // Nothing to load: list the version as FAILED so that metadata shows why.
      (void)server_.MarkVersionFailed(ref.name, version, dir.status().message());
      return dir.status();
    }
    return server_.SwapSource(SourceFor(ref, version, std::move(*dir)));
  }();
  if (!status.ok()) {
    state.failed = version;
    Log(model + ref.ToString() + " moved to " + wanted +
        ", which cannot be served: " + status.message() + "; " + serving + " keeps serving");
    return false;
  }
  Log(model + ref.ToString() + " moved to " + wanted + ": swapped in, replacing " + serving);
  state.followed.serving = version;
  state.failed = 0;
  return true;
}

}  // namespace ferry::registry

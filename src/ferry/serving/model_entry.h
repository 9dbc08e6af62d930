#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/base/thread_annotations.h"
#include "ferry/serving/inference_service.h"
#include "ferry/serving/prediction_observer.h"
#include "ferry/serving/served_version.h"
#include "ferry/serving/version_stats.h"

// One model name and its versions: states, routing, load / hot swap /
// unload. Thread-safe. Routing (Route) takes a short lock and copies a
// shared_ptr; loads and drains run without the lock.
namespace ferry::serving {

// What a load needs besides the folder.
struct LoadContext {
  ModelSettings settings;
  int64_t warmup_rows = 1;
  CoreMetrics* metrics = nullptr;  // may be null
  // Shown in the loaded version's metadata (ModelMetadata::parameters).
  std::map<std::string, std::string> parameters;
  // Makes the loaded version's observer (monitoring); may be null.
  ObserverFactory* observers = nullptr;
};

class ModelEntry {
 public:
  // `source` set for --model sources (bundle folders and resolved registry
  // references); nullopt for repository models.
  ModelEntry(std::string name, std::optional<ModelSource> source);
  ~ModelEntry();

  const std::string& name() const { return name_; }
  bool from_repository() const { return from_repository_; }
  // What a --model source serves now (what an explicit load reloads); moved
  // by a registry swap. Meaningless for repository models.
  ModelSource source() const EXCLUDES(mu_);
  void set_source(ModelSource source) EXCLUDES(mu_);

  // False after an explicit unload: the model is not expected to be ready.
  bool wanted() const { return wanted_.load(); }
  void set_wanted(bool w) { wanted_.store(w); }

  // The READY version asked for, or the highest READY one. kNotFound for a
  // version never known; kUnavailable when not READY.
  Result<std::shared_ptr<ServedVersion>> Route(std::optional<int64_t> version) const EXCLUDES(mu_);

  // Loads `version` from bundle folder `dir` and warms it next to any
  // current instance of that version, then swaps it in atomically; the old
  // instance finishes what it queued and is freed before this returns. On
  // failure an existing READY instance keeps serving (state stays READY);
  // otherwise the version becomes FAILED with the reason. Callers serialize
  // loads of one entry.
  Status LoadVersion(int64_t version, const std::filesystem::path& dir, const LoadContext& ctx)
      EXCLUDES(mu_);
  // Records that `version` could not even be prepared for loading (e.g. its
  // registry blob is corrupt): the version is listed FAILED with `reason`.
  // No-op when that version is READY (it keeps serving).
  void MarkFailed(int64_t version, const std::string& reason) EXCLUDES(mu_);
  // READY → UNLOADING → (drained) → UNLOADED. No-op for other states.
  void UnloadVersion(int64_t version) EXCLUDES(mu_);
  // Drains every version until `deadline`, answering leftovers kUnavailable.
  void Shutdown(TimePoint deadline) EXCLUDES(mu_);

  // Versions with a slot (any state), ascending.
  std::vector<VersionInfo> Versions() const EXCLUDES(mu_);
  // Versions currently READY or LOADING (the ones a rescan keeps).
  std::vector<int64_t> ActiveVersions() const EXCLUDES(mu_);
  bool HasReady() const EXCLUDES(mu_);
  bool IsReady(int64_t version) const EXCLUDES(mu_);
  bool HasVersion(int64_t version) const EXCLUDES(mu_);

  // Metadata for `version` (or the highest READY, else the highest known).
  Result<ModelMetadata> Metadata(std::optional<int64_t> version) const EXCLUDES(mu_);
  // Stats of `version`, or of every version with statistics.
  Result<std::vector<ModelStats>> Stats(std::optional<int64_t> version) const EXCLUDES(mu_);

 private:
  struct Slot {
    VersionState state = VersionState::kLoading;
    std::string reason;
    std::shared_ptr<ServedVersion> served;  // set while READY
    std::shared_ptr<VersionStats> stats = std::make_shared<VersionStats>();
    VersionMetrics metrics;
    bool has_manifest = false;
    std::string platform;
    Task task = Task::kRegression;
    Signature signature;
    std::map<std::string, std::string> parameters;  // LoadContext::parameters of the last load
  };
  void SetState(Slot& slot, VersionState to) REQUIRES(mu_);
  const Slot* Pick(std::optional<int64_t> version) const REQUIRES(mu_);

  const std::string name_;
  const bool from_repository_;
  std::atomic<bool> wanted_{true};

  mutable Mutex mu_;
  ModelSource source_ GUARDED_BY(mu_);
  std::map<int64_t, Slot> slots_ GUARDED_BY(mu_);
};

}  // namespace ferry::serving

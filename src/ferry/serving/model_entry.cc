#include "ferry/serving/model_entry.h"

#include <cassert>

#include "ferry/bundle/bundle.h"
#include "ferry/serving/version_state.h"

namespace ferry::serving {
namespace {

// "No timeout" for drains (far enough, yet safe for wait_until arithmetic).
TimePoint FarFuture() { return Clock::now() + std::chrono::hours(24 * 365); }

}  // namespace

ModelEntry::ModelEntry(std::string name, std::optional<ModelSource> source)
    : name_(std::move(name)), from_repository_(!source.has_value()) {
  if (source) source_ = std::move(*source);
}

ModelSource ModelEntry::source() const {
  MutexLock lock(mu_);
  return source_;
}

void ModelEntry::set_source(ModelSource source) {
  MutexLock lock(mu_);
  source_ = std::move(source);
}

ModelEntry::~ModelEntry() { Shutdown(Clock::now()); }

void ModelEntry::SetState(Slot& slot, VersionState to) {
  assert(IsAllowedTransition(slot.state, to));
  slot.state = to;
  if (slot.metrics.ready) slot.metrics.ready->Set(to == VersionState::kReady ? 1 : 0);
}

const ModelEntry::Slot* ModelEntry::Pick(std::optional<int64_t> version) const {
  if (version) {
    auto it = slots_.find(*version);
    return it == slots_.end() ? nullptr : &it->second;
  }
  for (auto it = slots_.rbegin(); it != slots_.rend(); ++it) {
    if (it->second.state == VersionState::kReady) return &it->second;
  }
  return slots_.empty() ? nullptr : &slots_.rbegin()->second;
}

Result<std::shared_ptr<ServedVersion>> ModelEntry::Route(std::optional<int64_t> version) const {
  MutexLock lock(mu_);
  const Slot* slot = Pick(version);
  if (slot == nullptr) {
    if (version) {
      return NotFound("model '" + name_ + "' has no version " + std::to_string(*version));
    }
    return Unavailable("model '" + name_ + "' has no ready version");
  }
  if (slot->state != VersionState::kReady || !slot->served) {
    if (version) {
      return Unavailable("model '" + name_ + "' version " + std::to_string(*version) +
                         " is not ready (" + std::string(VersionStateName(slot->state)) + ")");
    }
    return Unavailable("model '" + name_ + "' has no ready version");
  }
  return slot->served;
}

Status ModelEntry::LoadVersion(int64_t version, const std::filesystem::path& dir,
                               const LoadContext& ctx) {
  std::shared_ptr<VersionStats> stats;
  VersionMetrics metrics;
  {
    MutexLock lock(mu_);
    auto [it, inserted] = slots_.try_emplace(version);
    Slot& slot = it->second;
    if (slot.metrics.ready == nullptr && ctx.metrics) {  // first load (MarkFailed sets none)
      slot.metrics = VersionMetrics::For(*ctx.metrics, name_, version);
    }
    if (slot.state != VersionState::kReady) {
      if (!inserted) SetState(slot, VersionState::kLoading);
      slot.reason.clear();
    }
    stats = slot.stats;
    metrics = slot.metrics;
  }

  // Load and warm next to the old instance, no lock held.
  std::shared_ptr<ServedVersion> fresh;
  bundle::Manifest manifest;
  Status status = [&]() -> Status {
    FERRY_ASSIGN_OR_RETURN(bundle::Bundle b, bundle::OpenBundle(dir));
    manifest = b.manifest;
    backends::LoadOptions load_options;
    load_options.threads_per_session = 1;
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<backends::Model> model,
                           bundle::LoadModel(b, load_options));
    ServedVersion::Params params;
    params.model_name = name_;
    params.version = version;
    params.model = std::shared_ptr<const backends::Model>(std::move(model));
    params.settings = ctx.settings;
    params.metrics = metrics;
    params.stats = stats;
    params.warmup_rows = ctx.warmup_rows;
    if (ctx.observers != nullptr) {
      FERRY_ASSIGN_OR_RETURN(params.observer, ctx.observers->ForVersion(name_, version, b));
    }
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<ServedVersion> served,
                           ServedVersion::Start(std::move(params)));
    fresh = std::move(served);
    return Status::Ok();
  }();

  std::shared_ptr<ServedVersion> old;
  {
    MutexLock lock(mu_);
    Slot& slot = slots_[version];
    if (!status.ok()) {
      if (slot.state == VersionState::kReady) return status;  // the old one keeps serving
      slot.reason = status.message();
      SetState(slot, VersionState::kFailed);
      return status;
    }
    slot.has_manifest = true;
    slot.platform = manifest.framework;
    slot.task = manifest.task;
    slot.signature = manifest.signature;
    slot.parameters = ctx.parameters;
    old = std::move(slot.served);
    slot.served = fresh;  // the switch: new requests route to `fresh` from here on
    SetState(slot, VersionState::kReady);
  }
  if (old) {
    old->Drain(FarFuture());  // queued requests finish on the old instance
    old.reset();              // freed here unless a router still holds it briefly
  }
  return Status::Ok();
}

void ModelEntry::MarkFailed(int64_t version, const std::string& reason) {
  MutexLock lock(mu_);
  auto [it, inserted] = slots_.try_emplace(version);
  Slot& slot = it->second;
  if (slot.state == VersionState::kReady || slot.state == VersionState::kUnloading) return;
  if (!inserted && slot.state != VersionState::kLoading) SetState(slot, VersionState::kLoading);
  slot.reason = reason;
  SetState(slot, VersionState::kFailed);
}

void ModelEntry::UnloadVersion(int64_t version) {
  std::shared_ptr<ServedVersion> old;
  {
    MutexLock lock(mu_);
    auto it = slots_.find(version);
    if (it == slots_.end() || it->second.state != VersionState::kReady) return;
    SetState(it->second, VersionState::kUnloading);
    old = std::move(it->second.served);
  }
  if (old) old->Drain(FarFuture());
  old.reset();
  MutexLock lock(mu_);
  auto it = slots_.find(version);
  if (it != slots_.end() && it->second.state == VersionState::kUnloading) {
    SetState(it->second, VersionState::kUnloaded);
  }
}

void ModelEntry::Shutdown(TimePoint deadline) {
  std::vector<std::shared_ptr<ServedVersion>> draining;
  {
    MutexLock lock(mu_);
    for (auto& [v, slot] : slots_) {
      if (slot.served) draining.push_back(slot.served);
    }
  }
  for (auto& s : draining) s->BeginDrain();
  for (auto& s : draining) s->Drain(deadline);
}

std::vector<VersionInfo> ModelEntry::Versions() const {
  MutexLock lock(mu_);
  std::vector<VersionInfo> out;
  for (const auto& [v, slot] : slots_) out.push_back(VersionInfo{v, slot.state, slot.reason});
  return out;
}

std::vector<int64_t> ModelEntry::ActiveVersions() const {
  MutexLock lock(mu_);
  std::vector<int64_t> out;
  for (const auto& [v, slot] : slots_) {
    if (slot.state == VersionState::kReady || slot.state == VersionState::kLoading) {
      out.push_back(v);
    }
  }
  return out;
}

bool ModelEntry::HasReady() const {
  MutexLock lock(mu_);
  for (const auto& [v, slot] : slots_) {
    if (slot.state == VersionState::kReady) return true;
  }
  return false;
}

bool ModelEntry::IsReady(int64_t version) const {
  MutexLock lock(mu_);
  auto it = slots_.find(version);
  return it != slots_.end() && it->second.state == VersionState::kReady;
}

bool ModelEntry::HasVersion(int64_t version) const {
  MutexLock lock(mu_);
  return slots_.count(version) > 0;
}

Result<ModelMetadata> ModelEntry::Metadata(std::optional<int64_t> version) const {
  MutexLock lock(mu_);
  if (version && slots_.count(*version) == 0) {
    return NotFound("model '" + name_ + "' has no version " + std::to_string(*version));
  }
  ModelMetadata md;
  md.name = name_;
  for (const auto& [v, slot] : slots_)
    md.versions.push_back(VersionInfo{v, slot.state, slot.reason});
  // The version asked for, else the highest READY, else the highest with a manifest.
  const Slot* slot = Pick(version);
  if (slot == nullptr || !slot->has_manifest) {
    slot = nullptr;
    for (auto it = slots_.rbegin(); it != slots_.rend(); ++it) {
      if (it->second.has_manifest) {
        slot = &it->second;
        break;
      }
    }
  }
  if (slot != nullptr) {
    md.platform = slot->platform;
    md.task = slot->task;
    md.signature = slot->signature;
    md.parameters = slot->parameters;
  }
  return md;
}

Result<std::vector<ModelStats>> ModelEntry::Stats(std::optional<int64_t> version) const {
  MutexLock lock(mu_);
  std::vector<ModelStats> out;
  if (version) {
    auto it = slots_.find(*version);
    if (it == slots_.end()) {
      return NotFound("model '" + name_ + "' has no version " + std::to_string(*version));
    }
    out.push_back(ModelStats{name_, *version, it->second.stats->Snapshot()});
    return out;
  }
  for (const auto& [v, slot] : slots_) out.push_back(ModelStats{name_, v, slot.stats->Snapshot()});
  return out;
}

}  // namespace ferry::serving

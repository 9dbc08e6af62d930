#include "ferry/serving/model_server.h"

#include <set>

#include "ferry/serving/model_entry.h"
#include "ferry/serving/repository.h"
#include "ferry/serving/version_stats.h"

namespace ferry::serving {
namespace {

// A request routed to a version that started draining in between (a hot
// swap) is routed again; more than this many tries means something is
// wrong.
constexpr int kRouteAttempts = 8;

// Unloads the active versions the policy no longer wants, but only once
// every wanted version is READY: a failed load keeps what serves now.
void UnloadOutOfPolicy(ModelEntry& entry, const std::vector<int64_t>& active,
                       const std::vector<int64_t>& wanted) {
  for (int64_t v : wanted) {
    if (!entry.IsReady(v)) return;
  }
  for (int64_t v : active) {
    if (std::find(wanted.begin(), wanted.end(), v) == wanted.end()) entry.UnloadVersion(v);
  }
}

}  // namespace

ModelServer::ModelServer(ServerOptions options, std::shared_ptr<monitor::MetricsRegistry> metrics,
                         ObserverFactory* observers)
    : options_(std::move(options)),
      metrics_(metrics ? std::move(metrics) : std::make_shared<monitor::MetricsRegistry>()),
      core_metrics_(std::make_unique<CoreMetrics>(*metrics_)),
      observers_(observers) {}

Result<std::unique_ptr<ModelServer>> ModelServer::Create(
    const ServerOptions& options, std::shared_ptr<monitor::MetricsRegistry> metrics,
    ObserverFactory* observers) {
  FERRY_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<ModelServer> server(new ModelServer(options, std::move(metrics), observers));
  FERRY_RETURN_IF_ERROR(server->Start());
  return server;
}

LoadContext ModelServer::ContextFor(const std::string& model,
                                    std::map<std::string, std::string> parameters) const {
  LoadContext ctx;
  ctx.settings = options_.SettingsFor(model);
  ctx.warmup_rows = options_.warmup_rows;
  ctx.metrics = core_metrics_.get();
  ctx.parameters = std::move(parameters);
  ctx.observers = observers_;
  return ctx;
}

Status ModelServer::Start() {
  MutexLock load_lock(load_mu_);
  for (const ModelSource& source : options_.models) {
    auto entry = std::make_shared<ModelEntry>(source.name, source);
    {
      MutexLock lock(mu_);
      models_[source.name] = entry;
    }
    LoadContext ctx = ContextFor(source.name, source.parameters);
    FERRY_RETURN_IF_ERROR(entry->LoadVersion(source.version, source.bundle_dir, ctx)
                              .WithContext("model '" + source.name + "'"));
  }
  if (!options_.repository.empty()) {
    FERRY_RETURN_IF_ERROR(RescanRepository(/*initial=*/true));
    bool any_ready = false;
    {
      MutexLock lock(mu_);
      for (const auto& [name, entry] : models_) any_ready = any_ready || entry->HasReady();
    }
    if (!any_ready) {
      return InvalidArgument("no model in repository " + options_.repository.string() +
                             " could be loaded (see the repository index for reasons)");
    }
    if (options_.repository_poll_interval_ms > 0) {
      poller_ = std::jthread([this](std::stop_token stop) { PollRepository(stop); });
    }
  }
  return Status::Ok();
}

ModelServer::~ModelServer() { Shutdown(std::chrono::milliseconds(options_.shutdown_timeout_ms)); }

void ModelServer::Shutdown(std::chrono::milliseconds timeout) {
  shutting_down_.store(true);
  if (poller_.joinable()) {
    poller_.request_stop();
    poller_.join();
  }
  const TimePoint deadline = Clock::now() + timeout;
  std::vector<std::shared_ptr<ModelEntry>> entries;
  {
    MutexLock lock(mu_);
    for (const auto& [name, entry] : models_) entries.push_back(entry);
  }
  for (auto& entry : entries) entry->Shutdown(deadline);
}

std::shared_ptr<ModelEntry> ModelServer::FindModel(const std::string& name) const {
  MutexLock lock(mu_);
  auto it = models_.find(name);
  return it == models_.end() ? nullptr : it->second;
}

void ModelServer::Infer(std::unique_ptr<InferRequest> request, InferCallback done) {
  if (!request) {
    done(InvalidArgument("empty request"));
    return;
  }
  if (shutting_down_.load()) {
    done(Unavailable("server is shutting down"));
    return;
  }
  std::shared_ptr<ModelEntry> entry = FindModel(request->model);
  if (!entry) {
    done(NotFound("unknown model '" + request->model + "'"));
    return;
  }
  Status last;
  for (int attempt = 0; attempt < kRouteAttempts; ++attempt) {
    auto served = entry->Route(request->version);
    if (!served.ok()) {
      done(served.status());
      return;
    }
    Status status = (*served)->Enqueue(request, done);
    if (status.ok()) return;
    // Draining (hot swap or unload in progress): route again.
    if (status.code() != StatusCode::kUnavailable || (*served)->accepting() ||
        shutting_down_.load()) {
      (*served)->RecordRefusal();
      done(std::move(status));
      return;
    }
    last = std::move(status);
  }
  done(std::move(last));
}

Result<std::shared_ptr<const Signature>> ModelServer::RequestSignature(
    const std::string& model, std::optional<int64_t> version) const {
  if (std::shared_ptr<ModelEntry> entry = FindModel(model)) {
    auto served = entry->Route(version);
    if (served.ok()) {
      const std::shared_ptr<ServedVersion>& v = *served;
      return std::shared_ptr<const Signature>(v, &v->model().signature());
    }
  }
  // Not routable now: the Metadata-based answer (and its errors).
  return InferenceService::RequestSignature(model, version);
}

bool ModelServer::Live() const { return true; }

bool ModelServer::Ready() const {
  if (shutting_down_.load()) return false;
  MutexLock lock(mu_);
  for (const auto& [name, entry] : models_) {
    if (entry->wanted() && !entry->HasReady()) return false;
  }
  // A server meant to have no model (pipelines only) is ready as it starts.
  const bool none_expected =
      options_.allow_no_models && options_.models.empty() && options_.repository.empty();
  return !models_.empty() || none_expected;
}

Result<bool> ModelServer::ModelReady(const std::string& model,
                                     std::optional<int64_t> version) const {
  std::shared_ptr<ModelEntry> entry = FindModel(model);
  if (!entry) return NotFound("unknown model '" + model + "'");
  if (shutting_down_.load()) return false;
  if (!version) return entry->HasReady();
  if (!entry->HasVersion(*version)) {
    return NotFound("model '" + model + "' has no version " + std::to_string(*version));
  }
  return entry->IsReady(*version);
}

Result<ModelMetadata> ModelServer::Metadata(const std::string& model,
                                            std::optional<int64_t> version) const {
  std::shared_ptr<ModelEntry> entry = FindModel(model);
  if (!entry) return NotFound("unknown model '" + model + "'");
  return entry->Metadata(version);
}

Result<std::vector<ModelStats>> ModelServer::Stats(const std::string& model,
                                                   std::optional<int64_t> version) const {
  if (model.empty()) {
    std::vector<ModelStats> all;
    MutexLock lock(mu_);
    for (const auto& [name, entry] : models_) {
      auto stats = entry->Stats(std::nullopt);
      if (stats.ok()) all.insert(all.end(), stats->begin(), stats->end());
    }
    return all;
  }
  std::shared_ptr<ModelEntry> entry = FindModel(model);
  if (!entry) return NotFound("unknown model '" + model + "'");
  return entry->Stats(version);
}

std::vector<RepositoryEntry> ModelServer::RepositoryIndex(bool ready_only) const {
  std::vector<RepositoryEntry> out;
  std::set<std::string> known;
  {
    MutexLock lock(mu_);
    for (const auto& [name, entry] : models_) {
      known.insert(name);
      std::vector<VersionInfo> versions = entry->Versions();
      if (versions.empty() && !ready_only) {
        out.push_back(RepositoryEntry{name, 0, "UNAVAILABLE", "not loaded"});
      }
      for (const VersionInfo& v : versions) {
        if (ready_only && v.state != VersionState::kReady) continue;
        out.push_back(
            RepositoryEntry{name, v.version, std::string(VersionStateName(v.state)), v.reason});
      }
    }
  }
  if (!ready_only && !options_.repository.empty()) {
    auto listing = ScanRepository(options_.repository);
    if (listing.ok()) {
      for (const auto& [name, versions] : *listing) {
        if (!known.count(name)) {
          out.push_back(RepositoryEntry{name, 0, "UNAVAILABLE", "not loaded"});
        }
      }
    }
  }
  return out;
}

Status ModelServer::RescanRepository(bool initial) {
  FERRY_ASSIGN_OR_RETURN(RepositoryListing listing, ScanRepository(options_.repository));
  for (const auto& [name, versions] : listing) {
    std::shared_ptr<ModelEntry> entry = FindModel(name);
    if (entry && !entry->from_repository()) {
      if (initial) {
        return InvalidArgument("model '" + name + "' is given with --model and also found in " +
                               options_.repository.string());
      }
      continue;
    }
    if (entry && !entry->wanted()) continue;  // explicitly unloaded: leave it
    if (!entry) {
      entry = std::make_shared<ModelEntry>(name, std::nullopt);
      MutexLock lock(mu_);
      models_[name] = entry;
    }
    std::vector<int64_t> available;
    for (const auto& [v, dir] : versions) available.push_back(v);
    const std::vector<int64_t> wanted = options_.PolicyFor(name).Select(available);
    const std::vector<int64_t> active = entry->ActiveVersions();
    LoadContext ctx = ContextFor(name, {});
    for (int64_t v : wanted) {
      // A poll loads only versions it has not tried yet; failures stay FAILED
      // until an explicit load.
      if (!initial && entry->HasVersion(v)) continue;
      (void)entry->LoadVersion(v, versions.at(v), ctx);  // a failure is recorded as FAILED
    }
    UnloadOutOfPolicy(*entry, active, wanted);
  }
  return Status::Ok();
}

void ModelServer::PollRepository(std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(m);
      cv.wait_for(lock, stop, std::chrono::milliseconds(options_.repository_poll_interval_ms),
                  [] { return false; });
    }
    if (stop.stop_requested()) break;
    MutexLock load_lock(load_mu_);
    (void)RescanRepository(/*initial=*/false);
  }
}

Status ModelServer::LoadModel(const std::string& model) {
  if (shutting_down_.load()) return Unavailable("server is shutting down");
  MutexLock load_lock(load_mu_);
  std::shared_ptr<ModelEntry> entry = FindModel(model);
  if (entry && !entry->from_repository()) {
    entry->set_wanted(true);
    const ModelSource source = entry->source();
    LoadContext ctx = ContextFor(model, source.parameters);
    return entry->LoadVersion(source.version, source.bundle_dir, ctx);
  }
  if (options_.repository.empty()) return NotFound("unknown model '" + model + "'");
  FERRY_ASSIGN_OR_RETURN(RepositoryListing listing, ScanRepository(options_.repository));
  auto it = listing.find(model);
  if (it == listing.end()) {
    return NotFound("model '" + model + "' is not in repository " + options_.repository.string());
  }
  std::vector<int64_t> available;
  for (const auto& [v, dir] : it->second) available.push_back(v);
  const std::vector<int64_t> wanted = options_.PolicyFor(model).Select(available);
  if (wanted.empty()) {
    return NotFound("model '" + model + "' has no version matching its policy (" +
                    options_.PolicyFor(model).ToString() + ")");
  }
  if (!entry) {
    entry = std::make_shared<ModelEntry>(model, std::nullopt);
    MutexLock lock(mu_);
    models_[model] = entry;
  }
  entry->set_wanted(true);
  LoadContext ctx = ContextFor(model, {});
  Status first_error;
  for (int64_t v : wanted) {
    Status s = entry->LoadVersion(v, it->second.at(v), ctx);
    if (!s.ok() && first_error.ok()) {
      first_error = s.WithContext("model '" + model + "' version " + std::to_string(v));
    }
  }
  UnloadOutOfPolicy(*entry, entry->ActiveVersions(), wanted);
  return first_error;
}

Status ModelServer::SwapSource(const ModelSource& source) {
  if (shutting_down_.load()) return Unavailable("server is shutting down");
  MutexLock load_lock(load_mu_);
  std::shared_ptr<ModelEntry> entry = FindModel(source.name);
  if (!entry || entry->from_repository()) {
    return NotFound("model '" + source.name + "' is not served from --model");
  }
  if (!entry->wanted()) {  // explicitly unloaded: the next explicit load serves the new source
    entry->set_source(source);
    return Status::Ok();
  }
  LoadContext ctx = ContextFor(source.name, source.parameters);
  FERRY_RETURN_IF_ERROR(
      entry->LoadVersion(source.version, source.bundle_dir, ctx)
          .WithContext("model '" + source.name + "' version " + std::to_string(source.version)));
  entry->set_source(source);
  for (int64_t v : entry->ActiveVersions()) {
    if (v != source.version) entry->UnloadVersion(v);
  }
  return Status::Ok();
}

Status ModelServer::MarkVersionFailed(const std::string& model, int64_t version,
                                      const std::string& reason) {
  MutexLock load_lock(load_mu_);
  std::shared_ptr<ModelEntry> entry = FindModel(model);
  if (!entry || entry->from_repository()) {
    return NotFound("model '" + model + "' is not served from --model");
  }
  entry->MarkFailed(version, reason);
  return Status::Ok();
}

Status ModelServer::UnloadModel(const std::string& model) {
  MutexLock load_lock(load_mu_);
  std::shared_ptr<ModelEntry> entry = FindModel(model);
  if (!entry) return NotFound("unknown model '" + model + "'");
  entry->set_wanted(false);
  for (int64_t v : entry->ActiveVersions()) entry->UnloadVersion(v);
  return Status::Ok();
}

std::vector<std::string> ModelServer::ModelNames() const {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, entry] : models_) out.push_back(name);
  return out;
}

}  // namespace ferry::serving

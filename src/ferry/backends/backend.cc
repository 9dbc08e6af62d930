#include "ferry/backends/backend.h"

#include <algorithm>

#include "ferry/base/thread_annotations.h"

namespace ferry::backends {

namespace {
struct Registry {
  Mutex mu;
  std::vector<std::unique_ptr<Backend>> backends GUARDED_BY(mu);
};

Registry& GetRegistry() {
  static Registry* registry = new Registry();  // never destroyed: used from static init
  return *registry;
}
}  // namespace

void RegisterBackend(std::unique_ptr<Backend> backend) {
  Registry& r = GetRegistry();
  MutexLock lock(r.mu);
  r.backends.push_back(std::move(backend));
}

const Backend* FindBackend(std::string_view framework) {
  Registry& r = GetRegistry();
  MutexLock lock(r.mu);
  for (const auto& b : r.backends) {
    if (b->framework() == framework) return b.get();
  }
  return nullptr;
}

std::vector<std::string> BackendNames() {
  Registry& r = GetRegistry();
  MutexLock lock(r.mu);
  std::vector<std::string> names;
  for (const auto& b : r.backends) names.emplace_back(b->framework());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ferry::backends

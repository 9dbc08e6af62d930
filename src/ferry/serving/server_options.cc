#include "ferry/serving/server_options.h"

#include <algorithm>
#include <set>

namespace ferry::serving {

Status ModelSettings::Validate() const {
  if (max_batch_size < 1) return InvalidArgument("max_batch_size must be at least 1");
  if (max_queue_delay_us < 0) return InvalidArgument("max_queue_delay_us must not be negative");
  for (int64_t size : preferred_batch_sizes) {
    if (size < 1 || size > max_batch_size) {
      return InvalidArgument("preferred_batch_sizes: " + std::to_string(size) +
                             " is outside [1, max_batch_size=" + std::to_string(max_batch_size) +
                             "]");
    }
  }
  if (instances < 1 || instances > 256) return InvalidArgument("instances must be in [1, 256]");
  if (max_queue_size < 1) return InvalidArgument("max_queue_size must be at least 1");
  if (default_timeout_us < 0) return InvalidArgument("default_timeout_us must not be negative");
  if (priority_levels < 1 || priority_levels > 64) {
    return InvalidArgument("priority_levels must be in [1, 64]");
  }
  return Status::Ok();
}

std::vector<int64_t> VersionPolicy::Select(const std::vector<int64_t>& available) const {
  std::vector<int64_t> sorted = available;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  switch (kind) {
    case Kind::kAll:
      return sorted;
    case Kind::kLatest: {
      size_t n = static_cast<size_t>(std::max<int64_t>(0, latest));
      if (sorted.size() > n) sorted.erase(sorted.begin(), sorted.end() - static_cast<long>(n));
      return sorted;
    }
    case Kind::kSpecific: {
      std::vector<int64_t> out;
      for (int64_t v : sorted) {
        if (std::find(specific.begin(), specific.end(), v) != specific.end()) out.push_back(v);
      }
      return out;
    }
  }
  return sorted;
}

std::string VersionPolicy::ToString() const {
  switch (kind) {
    case Kind::kAll:
      return "all";
    case Kind::kLatest:
      return "latest " + std::to_string(latest);
    case Kind::kSpecific: {
      std::string out = "specific [";
      for (size_t i = 0; i < specific.size(); ++i) {
        if (i) out += ", ";
        out += std::to_string(specific[i]);
      }
      return out + "]";
    }
  }
  return "";
}

namespace {

bool IsValidModelName(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

}  // namespace

Result<ModelSource> ParseModelSource(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq + 1 == text.size()) {
    return InvalidArgument("--model expects NAME=BUNDLE_DIR, got '" + std::string(text) + "'");
  }
  std::string_view name = text.substr(0, eq);
  if (!IsValidModelName(name)) {
    return InvalidArgument("--model: invalid model name '" + std::string(name) +
                           "' (use letters, digits, '_', '.', '-')");
  }
  return ModelSource{std::string(name), std::filesystem::path(text.substr(eq + 1))};
}

const ModelSettings& ServerOptions::SettingsFor(const std::string& model) const {
  auto it = model_settings.find(model);
  return it == model_settings.end() ? defaults : it->second;
}

const VersionPolicy& ServerOptions::PolicyFor(const std::string& model) const {
  auto it = version_policies.find(model);
  return it == version_policies.end() ? default_version_policy : it->second;
}

Status ServerOptions::Validate() const {
  if (models.empty() && repository.empty() && !allow_no_models) {
    return InvalidArgument("nothing to serve: give --model NAME=BUNDLE_DIR or --repository DIR");
  }
  std::set<std::string> names;
  for (const ModelSource& m : models) {
    if (!IsValidModelName(m.name)) return InvalidArgument("invalid model name '" + m.name + "'");
    if (!names.insert(m.name).second) {
      return InvalidArgument("model '" + m.name + "' is given twice");
    }
    if (m.version < 1) {
      return InvalidArgument("model '" + m.name + "': version must be at least 1");
    }
  }
  FERRY_RETURN_IF_ERROR(defaults.Validate().WithContext("defaults"));
  for (const auto& [name, settings] : model_settings) {
    FERRY_RETURN_IF_ERROR(settings.Validate().WithContext("model '" + name + "'"));
  }
  if (repository_poll_interval_ms < 0) {
    return InvalidArgument("repository_poll_interval_ms must not be negative");
  }
  if (registry_poll_interval_ms < 0) {
    return InvalidArgument("registry_poll_interval_ms must not be negative");
  }
  if (warmup_rows < 0) return InvalidArgument("warmup_rows must not be negative");
  if (shutdown_timeout_ms < 0) return InvalidArgument("shutdown_timeout_ms must not be negative");
  return Status::Ok();
}

}  // namespace ferry::serving

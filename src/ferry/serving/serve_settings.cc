#include "ferry/serving/serve_settings.h"

#include <yaml-cpp/yaml.h>

#include <functional>

#include "ferry/base/files.h"

namespace ferry::serving {
namespace {

// Reads one scalar integer; the error names origin and key path.
Result<int64_t> ReadInt(const YAML::Node& n, const std::string& where) {
  if (!n.IsScalar()) return InvalidArgument(where + ": expected an integer");
  try {
    return n.as<int64_t>();
  } catch (const YAML::Exception&) {
    return InvalidArgument(where + ": expected an integer, got '" + n.Scalar() + "'");
  }
}

Result<std::vector<int64_t>> ReadIntList(const YAML::Node& n, const std::string& where) {
  if (!n.IsSequence()) return InvalidArgument(where + ": expected a list of integers");
  std::vector<int64_t> out;
  for (size_t i = 0; i < n.size(); ++i) {
    FERRY_ASSIGN_OR_RETURN(int64_t v, ReadInt(n[i], where + "[" + std::to_string(i) + "]"));
    out.push_back(v);
  }
  return out;
}

// `all` | {latest: N} | {specific: [..]}
Result<VersionPolicy> ReadPolicy(const YAML::Node& n, const std::string& where) {
  VersionPolicy p;
  if (n.IsScalar() && n.Scalar() == "all") {
    p.kind = VersionPolicy::Kind::kAll;
    return p;
  }
  if (n.IsMap() && n.size() == 1 && n["latest"]) {
    p.kind = VersionPolicy::Kind::kLatest;
    FERRY_ASSIGN_OR_RETURN(p.latest, ReadInt(n["latest"], where + ".latest"));
    if (p.latest < 1) return InvalidArgument(where + ".latest: must be at least 1");
    return p;
  }
  if (n.IsMap() && n.size() == 1 && n["specific"]) {
    p.kind = VersionPolicy::Kind::kSpecific;
    FERRY_ASSIGN_OR_RETURN(p.specific, ReadIntList(n["specific"], where + ".specific"));
    for (int64_t v : p.specific) {
      if (v < 1) return InvalidArgument(where + ".specific: versions are positive integers");
    }
    return p;
  }
  return InvalidArgument(where + ": expected all, {latest: N} or {specific: [V, ...]}");
}

using ModelSetter = std::function<Status(const YAML::Node&, const std::string&, ModelSettings*)>;
using ServerSetter = std::function<Status(const YAML::Node&, const std::string&, ServerOptions*)>;

template <typename T, typename Field>
ModelSetter IntField(Field T::*field) {
  return [field](const YAML::Node& n, const std::string& where, ModelSettings* s) -> Status {
    FERRY_ASSIGN_OR_RETURN(int64_t v, ReadInt(n, where));
    if (v < std::numeric_limits<Field>::min() || v > std::numeric_limits<Field>::max()) {
      return InvalidArgument(where + ": out of range");
    }
    s->*field = static_cast<Field>(v);
    return Status::Ok();
  };
}

struct Setting {
  SettingInfo info;
  ModelSetter model;    // kModel scope
  ServerSetter server;  // kServer scope
};

const std::vector<Setting>& Table() {
  static const std::vector<Setting> table = {
      {{"max_batch_size", SettingScope::kModel, "integer", "64",
        "Most rows one batch (one backend call) holds; 1 turns batching off. A larger single "
        "request still runs, alone."},
       IntField<ModelSettings>(&ModelSettings::max_batch_size),
       nullptr},
      {{"max_queue_delay_us", SettingScope::kModel, "integer (µs)", "0",
        "How long the batcher may hold the oldest queued request so a batch can fill; 0 "
        "dispatches at once (requests still merge while every instance is busy)."},
       IntField<ModelSettings>(&ModelSettings::max_queue_delay_us),
       nullptr},
      {{"preferred_batch_sizes", SettingScope::kModel, "list of integers", "[]",
        "Batch sizes (rows) dispatched at once when the queue can form them exactly."},
       [](const YAML::Node& n, const std::string& where, ModelSettings* s) -> Status {
         FERRY_ASSIGN_OR_RETURN(s->preferred_batch_sizes, ReadIntList(n, where));
         return Status::Ok();
       },
       nullptr},
      {{"instances", SettingScope::kModel, "integer", "1",
        "Parallel executions: worker threads, each with its own backend session."},
       IntField<ModelSettings>(&ModelSettings::instances),
       nullptr},
      {{"run_on_io_threads", SettingScope::kModel, "boolean", "true",
        "With max_queue_delay_us 0, run a batch on the I/O thread that read its requests, "
        "after the other requests read in the same round: no thread handoff, the fastest for "
        "small models. false: always hand batches to the instances' worker threads (keeps a "
        "slow model from delaying other connections' I/O)."},
       [](const YAML::Node& n, const std::string& where, ModelSettings* s) -> Status {
         if (!n.IsScalar() || (n.Scalar() != "true" && n.Scalar() != "false")) {
           return InvalidArgument(where + ": expected true or false");
         }
         s->run_on_io_threads = n.Scalar() == "true";
         return Status::Ok();
       },
       nullptr},
      {{"max_queue_size", SettingScope::kModel, "integer (requests)", "1024",
        "Most requests waiting per model version; past it a request is shed at once "
        "(HTTP 429 with Retry-After)."},
       IntField<ModelSettings>(&ModelSettings::max_queue_size),
       nullptr},
      {{"default_timeout_us", SettingScope::kModel, "integer (µs)", "0",
        "Deadline for requests without parameters.timeout_us, counted from arrival; 0 = none. "
        "A request past its deadline is answered 504 and never executed."},
       IntField<ModelSettings>(&ModelSettings::default_timeout_us),
       nullptr},
      {{"priority_levels", SettingScope::kModel, "integer", "1",
        "Priority levels; requests give parameters.priority 0 (served first) .. levels-1."},
       IntField<ModelSettings>(&ModelSettings::priority_levels),
       nullptr},
      {{"version_policy", SettingScope::kModel, "policy", "{latest: 1}",
        "Repository models: which versions to serve: all, {latest: N} or {specific: [V, ...]}. "
        "Top level: the default; under models.NAME: that model's."},
       nullptr,
       nullptr},
      {{"repository_poll_interval_ms", SettingScope::kServer, "integer (ms)", "0",
        "Rescan --repository this often; new versions are loaded and swapped in, removed ones "
        "unloaded. 0 = only at start and on POST /v2/repository/models/NAME/load."},
       nullptr,
       [](const YAML::Node& n, const std::string& where, ServerOptions* o) -> Status {
         FERRY_ASSIGN_OR_RETURN(o->repository_poll_interval_ms, ReadInt(n, where));
         return Status::Ok();
       }},
      {{"registry_poll_interval_ms", SettingScope::kServer, "integer (ms)", "1000",
        "Re-resolve registry references given with --model (NAME@ALIAS, NAME) this often and "
        "hot-swap to the version they point to now; if it fails to load, the old one keeps "
        "serving. 0 = only at start."},
       nullptr,
       [](const YAML::Node& n, const std::string& where, ServerOptions* o) -> Status {
         FERRY_ASSIGN_OR_RETURN(o->registry_poll_interval_ms, ReadInt(n, where));
         return Status::Ok();
       }},
      {{"warmup_rows", SettingScope::kServer, "integer (rows)", "1",
        "Rows of zeros run through each newly loaded version before it takes traffic."},
       nullptr,
       [](const YAML::Node& n, const std::string& where, ServerOptions* o) -> Status {
         FERRY_ASSIGN_OR_RETURN(o->warmup_rows, ReadInt(n, where));
         return Status::Ok();
       }},
      {{"shutdown_timeout_ms", SettingScope::kServer, "integer (ms)", "10000",
        "On SIGTERM/SIGINT, how long queued and running requests may take to finish."},
       nullptr,
       [](const YAML::Node& n, const std::string& where, ServerOptions* o) -> Status {
         FERRY_ASSIGN_OR_RETURN(o->shutdown_timeout_ms, ReadInt(n, where));
         return Status::Ok();
       }},
  };
  return table;
}

const Setting* Find(std::string_view key) {
  for (const Setting& s : Table()) {
    if (s.info.key == key) return &s;
  }
  return nullptr;
}

Status ApplyModelMap(const YAML::Node& map, const std::string& where, ModelSettings* settings,
                     VersionPolicy* policy, bool* has_policy) {
  if (!map.IsMap()) return InvalidArgument(where + ": expected a mapping of settings");
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>();
    const std::string path = where + "." + key;
    const Setting* s = Find(key);
    if (s == nullptr || s->info.scope != SettingScope::kModel) {
      return InvalidArgument(path + ": unknown model setting (see ferry serve --help)");
    }
    if (key == "version_policy") {
      FERRY_ASSIGN_OR_RETURN(*policy, ReadPolicy(kv.second, path));
      *has_policy = true;
      continue;
    }
    FERRY_RETURN_IF_ERROR(s->model(kv.second, path, settings));
  }
  return Status::Ok();
}

}  // namespace

const std::vector<SettingInfo>& ServeSettings() {
  static const std::vector<SettingInfo> infos = [] {
    std::vector<SettingInfo> out;
    for (const Setting& s : Table()) out.push_back(s.info);
    return out;
  }();
  return infos;
}

std::string ServeSettingsHelp() {
  std::string out =
      "Config file (--config ferry-serve.yaml). Per-model settings go under `defaults:` "
      "(every model)\nor `models: {NAME: {...}}`; server settings at the top level.\n";
  for (const SettingInfo& s : ServeSettings()) {
    out += "  ";
    out += s.key;
    out += s.scope == SettingScope::kModel ? " (model" : " (server";
    out += ", ";
    out += s.type;
    out += ", default ";
    out += s.default_value;
    out += ")\n      ";
    out += s.description;
    out += "\n";
  }
  return out;
}

std::string ServeSettingsMarkdown() {
  std::string out = "| key | scope | type | default | meaning |\n| --- | --- | --- | --- | --- |\n";
  for (const SettingInfo& s : ServeSettings()) {
    out += "| `";
    out += s.key;
    out += "` | ";
    out += s.scope == SettingScope::kModel ? "model" : "server";
    out += " | ";
    out += s.type;
    out += " | `";
    out += s.default_value;
    out += "` | ";
    out += s.description;
    out += " |\n";
  }
  return out;
}

Status ParseServeConfig(std::string_view yaml, std::string_view origin, ServerOptions* options) {
  const std::string where(origin);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(where + ": not valid YAML: " + e.msg);
  }
  if (root.IsNull()) return Status::Ok();
  if (!root.IsMap()) return InvalidArgument(where + ": expected a mapping at the top level");
  try {
    // Defaults first so per-model overrides start from them.
    if (YAML::Node defaults = root["defaults"]) {
      bool ignored = false;
      VersionPolicy unused;
      FERRY_RETURN_IF_ERROR(
          ApplyModelMap(defaults, where + ": defaults", &options->defaults, &unused, &ignored));
      if (ignored) {
        return InvalidArgument(where +
                               ": defaults.version_policy: put the default version_policy at "
                               "the top level");
      }
    }
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      // Read by the monitor (docs/monitoring.md), not the serving core.
      if (key == "defaults" || key == "monitoring" || key == "alerts") continue;
      if (key == "models") {
        if (!kv.second.IsMap()) return InvalidArgument(where + ": models: expected a mapping");
        for (const auto& model : kv.second) {
          const std::string name = model.first.as<std::string>();
          ModelSettings settings = options->SettingsFor(name);
          VersionPolicy policy = options->PolicyFor(name);
          bool has_policy = false;
          FERRY_RETURN_IF_ERROR(ApplyModelMap(model.second, where + ": models." + name, &settings,
                                              &policy, &has_policy));
          options->model_settings[name] = settings;
          if (has_policy) options->version_policies[name] = policy;
        }
        continue;
      }
      if (key == "version_policy") {
        FERRY_ASSIGN_OR_RETURN(options->default_version_policy,
                               ReadPolicy(kv.second, where + ": version_policy"));
        continue;
      }
      const Setting* s = Find(key);
      if (s == nullptr || s->info.scope != SettingScope::kServer) {
        std::string hint = s != nullptr ? " (a model setting: put it under defaults:)" : "";
        return InvalidArgument(where + ": " + key + ": unknown setting" + hint);
      }
      FERRY_RETURN_IF_ERROR(s->server(kv.second, where + ": " + key, options));
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(where + ": " + e.msg);
  }
  FERRY_RETURN_IF_ERROR(options->defaults.Validate().WithContext(where + ": defaults"));
  for (const auto& [name, settings] : options->model_settings) {
    FERRY_RETURN_IF_ERROR(settings.Validate().WithContext(where + ": models." + name));
  }
  if (options->repository_poll_interval_ms < 0 || options->registry_poll_interval_ms < 0 ||
      options->warmup_rows < 0 || options->shutdown_timeout_ms < 0) {
    return InvalidArgument(where + ": server settings must not be negative");
  }
  return Status::Ok();
}

Status LoadServeConfig(const std::filesystem::path& path, ServerOptions* options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFound("config file " + path.string() + " does not exist");
  }
  FERRY_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseServeConfig(text, path.string(), options);
}

}  // namespace ferry::serving

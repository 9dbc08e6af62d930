#include "ferry/monitor/live/monitor_options.h"

#include <yaml-cpp/yaml.h>

#include "ferry/base/duration.h"
#include "ferry/base/files.h"

namespace ferry::monitor {
namespace {

std::string At(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return "";
  return " (line " + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ")";
}

Result<int64_t> ReadInt(const YAML::Node& n, const std::string& where, int64_t min) {
  int64_t v = 0;
  if (!n.IsScalar() || !YAML::convert<int64_t>::decode(n, v)) {
    return InvalidArgument(where + ": expected an integer" + At(n));
  }
  if (v < min) {
    return InvalidArgument(where + ": must be at least " + std::to_string(min) + At(n));
  }
  return v;
}

Result<double> ReadRate(const YAML::Node& n, const std::string& where) {
  double v = 0;
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !(v >= 0.0 && v <= 1.0)) {
    return InvalidArgument(where + ": expected a number in [0, 1]" + At(n));
  }
  return v;
}

// A duration like 30s / 5m / 1h; "0" or "0s" is zero when `allow_zero`.
Result<int64_t> ReadDuration(const YAML::Node& n, const std::string& where, bool allow_zero) {
  if (!n.IsScalar()) return InvalidArgument(where + ": expected a duration like 30s or 5m" + At(n));
  const std::string text = n.Scalar();
  if (allow_zero && (text == "0" || text == "0s")) return 0;
  auto ms = ParseDurationMs(text);
  if (!ms.ok()) return InvalidArgument(where + ": " + ms.status().message() + At(n));
  return *ms;
}

Result<bool> ReadBool(const YAML::Node& n, const std::string& where) {
  bool v = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
    return InvalidArgument(where + ": expected true or false" + At(n));
  }
  return v;
}

Status Apply(const std::string& key, const YAML::Node& v, const std::string& where,
             MonitorOptions* o) {
  if (key == "prediction_log") {
    FERRY_ASSIGN_OR_RETURN(o->prediction_log, ReadBool(v, where));
  } else if (key == "log_dir") {
    if (!v.IsScalar() || v.Scalar().empty()) {
      return InvalidArgument(where + ": expected a folder" + At(v));
    }
    o->log_dir = v.Scalar();
  } else if (key == "sample_rate") {
    FERRY_ASSIGN_OR_RETURN(o->sample_rate, ReadRate(v, where));
  } else if (key == "window") {
    FERRY_ASSIGN_OR_RETURN(o->window_ms, ReadDuration(v, where, false));
    if (o->window_ms < 100) return InvalidArgument(where + ": must be at least 100ms" + At(v));
  } else if (key == "windows_kept") {
    FERRY_ASSIGN_OR_RETURN(o->windows_kept, ReadInt(v, where, 1));
  } else if (key == "segment_max_bytes") {
    FERRY_ASSIGN_OR_RETURN(int64_t b, ReadInt(v, where, 4096));
    o->segment_max_bytes = static_cast<uint64_t>(b);
  } else if (key == "segment_max_age") {
    FERRY_ASSIGN_OR_RETURN(o->segment_max_age_ms, ReadDuration(v, where, true));
  } else if (key == "retention_bytes") {
    FERRY_ASSIGN_OR_RETURN(int64_t b, ReadInt(v, where, 0));
    o->retention_bytes = static_cast<uint64_t>(b);
  } else if (key == "retention") {
    FERRY_ASSIGN_OR_RETURN(o->retention_ms, ReadDuration(v, where, true));
  } else if (key == "log_queue") {
    FERRY_ASSIGN_OR_RETURN(int64_t q, ReadInt(v, where, 1));
    o->log_queue = static_cast<uint64_t>(q);
  } else if (key == "feedback_lookback") {
    FERRY_ASSIGN_OR_RETURN(o->feedback_lookback_ms, ReadDuration(v, where, true));
  } else if (key == "feedback_keys") {
    FERRY_ASSIGN_OR_RETURN(int64_t k, ReadInt(v, where, 0));
    o->feedback_keys = static_cast<uint64_t>(k);
  } else if (key == "models") {
    if (!v.IsMap()) return InvalidArgument(where + ": expected a mapping of model names" + At(v));
    for (const auto& model : v) {
      const std::string name = model.first.as<std::string>();
      const std::string mwhere = where + "." + name;
      if (!model.second.IsMap()) {
        return InvalidArgument(mwhere + ": expected a mapping" + At(model.second));
      }
      for (const auto& kv : model.second) {
        const std::string k = kv.first.as<std::string>();
        if (k != "sample_rate") {
          return InvalidArgument(mwhere + "." + k +
                                 ": unknown per-model monitoring key (only sample_rate)" +
                                 At(kv.first));
        }
        FERRY_ASSIGN_OR_RETURN(o->model_sample_rates[name], ReadRate(kv.second, mwhere + "." + k));
      }
    }
  } else {
    return InvalidArgument(where + ": unknown monitoring key (see docs/monitoring.md)" + At(v));
  }
  return Status::Ok();
}

}  // namespace

double MonitorOptions::SampleRateFor(const std::string& model) const {
  auto it = model_sample_rates.find(model);
  return it == model_sample_rates.end() ? sample_rate : it->second;
}

Result<MonitorOptions> ParseMonitorOptions(std::string_view yaml, std::string_view origin) {
  const std::string where(origin);
  MonitorOptions o;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (!root.IsMap()) return o;  // the serve config reader reports a bad top level
    YAML::Node section = root["monitoring"];
    if (!section || section.IsNull()) return o;
    if (!section.IsMap()) return InvalidArgument(where + ": monitoring: expected a mapping");
    for (const auto& kv : section) {
      const std::string key = kv.first.as<std::string>();
      FERRY_RETURN_IF_ERROR(Apply(key, kv.second, where + ": monitoring." + key, &o));
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(where + ": " + e.msg);
  }
  return o;
}

Result<MonitorOptions> LoadMonitorOptions(const std::filesystem::path& config) {
  FERRY_ASSIGN_OR_RETURN(std::string text, ReadFile(config));
  return ParseMonitorOptions(text, config.string());
}

}  // namespace ferry::monitor

#include "ferry/pipeline/steps/with_args.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace ferry::pipeline {

WithArgs::WithArgs(const Value& with, std::string_view uses, std::filesystem::path workdir)
    : with_(with), uses_(uses), workdir_(std::move(workdir)) {}

const Value* WithArgs::Find(std::string_view key) const {
  for (const ValueEntry& e : with_.entries) {
    if (e.first == key) return &e.second;
  }
  return nullptr;
}

Status WithArgs::Bad(std::string_view key, const std::string& problem) const {
  return InvalidArgument(uses_ + ": with." + std::string(key) + ": " + problem);
}

bool WithArgs::Has(std::string_view key) const { return Find(key) != nullptr; }

Result<std::string> WithArgs::String(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Bad(key, "is required");
  if (v->kind != Value::Kind::kScalar) return Bad(key, "expected a single value");
  if (v->scalar.empty()) return Bad(key, "is empty");
  return v->scalar;
}

Result<std::string> WithArgs::String(std::string_view key, std::string fallback) const {
  if (!Has(key)) return fallback;
  const Value* v = Find(key);
  if (v->kind != Value::Kind::kScalar) return Bad(key, "expected a single value");
  return v->scalar;
}

Result<std::filesystem::path> WithArgs::Path(std::string_view key) const {
  FERRY_ASSIGN_OR_RETURN(std::string s, String(key));
  std::filesystem::path p(s);
  return p.is_absolute() ? p : workdir_ / p;
}

Result<std::optional<std::filesystem::path>> WithArgs::OptionalPath(std::string_view key) const {
  if (!Has(key)) return std::optional<std::filesystem::path>();
  FERRY_ASSIGN_OR_RETURN(std::filesystem::path p, Path(key));
  return std::optional<std::filesystem::path>(std::move(p));
}

Result<int64_t> WithArgs::Int(std::string_view key, int64_t fallback, int64_t min,
                              int64_t max) const {
  if (!Has(key)) return fallback;
  FERRY_ASSIGN_OR_RETURN(std::string s, String(key));
  std::string range = " in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size() || n < min || n > max) {
    return Bad(key, "expected an integer" + range + ", got '" + s + "'");
  }
  return static_cast<int64_t>(n);
}

Result<double> WithArgs::Double(std::string_view key, double fallback, double min,
                                double max) const {
  if (!Has(key)) return fallback;
  FERRY_ASSIGN_OR_RETURN(std::string s, String(key));
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (errno != 0 || end != s.c_str() + s.size() || !std::isfinite(d) || d < min || d > max) {
    char range[96];
    std::snprintf(range, sizeof(range), " in [%g, %g]", min, max);
    return Bad(key, std::string("expected a number") + range + ", got '" + s + "'");
  }
  return d;
}

Result<bool> WithArgs::Bool(std::string_view key, bool fallback) const {
  if (!Has(key)) return fallback;
  FERRY_ASSIGN_OR_RETURN(std::string s, String(key));
  if (s == "true" || s == "yes" || s == "1") return true;
  if (s == "false" || s == "no" || s == "0") return false;
  return Bad(key, "expected true or false, got '" + s + "'");
}

Result<std::vector<std::string>> WithArgs::StringList(std::string_view key) const {
  std::vector<std::string> out;
  const Value* v = Find(key);
  if (v == nullptr) return out;
  if (v->kind == Value::Kind::kMap) return Bad(key, "expected a list");
  if (v->kind == Value::Kind::kList) {
    for (const ValueEntry& e : v->entries) {
      if (e.second.kind != Value::Kind::kScalar) return Bad(key, "expected a list of values");
      out.push_back(e.second.scalar);
    }
    return out;
  }
  size_t start = 0;
  const std::string& s = v->scalar;
  while (start <= s.size() && !s.empty()) {
    size_t comma = s.find(',', start);
    std::string item =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Result<std::map<std::string, std::string>> WithArgs::StringMap(std::string_view key) const {
  std::map<std::string, std::string> out;
  const Value* v = Find(key);
  if (v == nullptr) return out;
  if (v->kind != Value::Kind::kMap) return Bad(key, "expected a map (name: value)");
  for (const ValueEntry& e : v->entries) {
    if (e.second.kind != Value::Kind::kScalar) {
      return Bad(key, "'" + e.first + "': expected a single value");
    }
    out[e.first] = e.second.scalar;
  }
  return out;
}

Result<std::map<std::string, double>> WithArgs::NumberMap(std::string_view key) const {
  FERRY_ASSIGN_OR_RETURN(auto strings, StringMap(key));
  std::map<std::string, double> out;
  for (const auto& [name, s] : strings) {
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(d)) {
      return Bad(key, "'" + name + "': expected a number, got '" + s + "'");
    }
    out[name] = d;
  }
  return out;
}

}  // namespace ferry::pipeline

#include "ferry/monitor/metrics_text.h"

#include <charconv>
#include <cmath>

namespace ferry::monitor::internal {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void AppendEscaped(std::string_view s, bool quote_too, std::string* out) {
  for (char c : s) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (quote_too && c == '"') {
      *out += "\\\"";
    } else {
      *out += c;
    }
  }
}

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsAlpha(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!(IsAlpha(c) || IsDigit(c) || c == ':')) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsAlpha(name[0])) return false;
  if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return false;  // reserved
  for (char c : name) {
    if (!(IsAlpha(c) || IsDigit(c))) return false;
  }
  return true;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

void AppendHelpAndType(std::string_view name, std::string_view help, MetricType type,
                       std::string* out) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  AppendEscaped(help, /*quote_too=*/false, out);
  *out += "\n# TYPE ";
  *out += name;
  switch (type) {
    case MetricType::kCounter:
      *out += " counter\n";
      break;
    case MetricType::kGauge:
      *out += " gauge\n";
      break;
    case MetricType::kHistogram:
      *out += " histogram\n";
      break;
  }
}

void AppendSample(std::string_view name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values,
                  std::pair<std::string_view, std::string_view> extra, double value,
                  std::string* out) {
  *out += name;
  bool any = false;
  auto label = [&](std::string_view n, std::string_view v) {
    *out += any ? ',' : '{';
    any = true;
    *out += n;
    *out += "=\"";
    AppendEscaped(v, /*quote_too=*/true, out);
    *out += '"';
  };
  for (size_t i = 0; i < label_names.size(); ++i) {
    label(label_names[i], i < label_values.size() ? label_values[i] : std::string_view());
  }
  if (!extra.first.empty()) label(extra.first, extra.second);
  if (any) *out += '}';
  *out += ' ';
  *out += FormatValue(value);
  *out += '\n';
}

void AppendHistogram(std::string_view name, const std::vector<std::string>& label_names,
                     const std::vector<std::string>& label_values, const Histogram& histogram,
                     std::string* out) {
  // Read counts once; the cumulative series and _count agree with each other
  // even while observations race (count is taken from the buckets).
  std::vector<uint64_t> counts = histogram.BucketCounts();
  const std::vector<double>& bounds = histogram.upper_bounds();
  std::string bucket_name = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    std::string le = i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
    AppendSample(bucket_name, label_names, label_values, {"le", le},
                 static_cast<double>(cumulative), out);
  }
  AppendSample(std::string(name) + "_sum", label_names, label_values, {}, histogram.Sum(), out);
  AppendSample(std::string(name) + "_count", label_names, label_values, {},
               static_cast<double>(cumulative), out);
}

}  // namespace ferry::monitor::internal

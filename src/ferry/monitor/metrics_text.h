#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/monitor/metrics_registry.h"

// Pieces of the Prometheus text exposition format (0.0.4), used by
// MetricsRegistry::RenderText. Pure functions, thread-safe.
namespace ferry::monitor::internal {

bool IsValidMetricName(std::string_view name);  // [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidLabelName(std::string_view name);   // [a-zA-Z_][a-zA-Z0-9_]*

// Shortest text that reads back as `v`; "+Inf", "-Inf", "NaN".
std::string FormatValue(double v);

// "# HELP name help\n# TYPE name counter|gauge|histogram\n" (help escaped).
void AppendHelpAndType(std::string_view name, std::string_view help, MetricType type,
                       std::string* out);

// `name{l1="v1",...,extra_name="extra_value"} value\n`; label values escaped
// (backslash, double quote, newline). `extra` is {name, value} or empty.
void AppendSample(std::string_view name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values,
                  std::pair<std::string_view, std::string_view> extra, double value,
                  std::string* out);

// Cumulative name_bucket{...,le="..."} lines, +Inf, name_sum, name_count.
void AppendHistogram(std::string_view name, const std::vector<std::string>& label_names,
                     const std::vector<std::string>& label_values, const Histogram& histogram,
                     std::string* out);

}  // namespace ferry::monitor::internal

#include "ferry/train/validate_data.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "ferry/base/json_writer.h"
#include "ferry/table/number.h"
#include "ferry/train/validate_drift.h"

namespace ferry::train {

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

Result<Severity> ParseSeverity(std::string_view name) {
  if (name == "error") return Severity::kError;
  if (name == "warning") return Severity::kWarning;
  return InvalidArgument("unknown severity '" + std::string(name) + "' (expected error, warning)");
}

namespace {

using bundle::FeatureKind;

std::string Num(double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", x);
  return buf;
}

// "1 value", "3 values".
std::string Count(int64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string Percent(double rate) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f%%", 100.0 * rate);
  return buf;
}

double MissingRate(const bundle::FeatureProfile& f, int64_t rows) {
  int64_t missing = std::visit([](const auto& s) { return s.missing; }, f.stats);
  return rows > 0 ? static_cast<double>(missing) / static_cast<double>(rows) : 0.0;
}

Anomaly Make(const std::string& column, std::string kind, Severity severity, std::string message) {
  Anomaly a;
  a.column = column;
  a.kind = std::move(kind);
  a.severity = severity;
  a.message = std::move(message);
  return a;
}

// Checks one data column present in the schema; appends anomalies.
class ColumnChecker {
 public:
  ColumnChecker(const DataTable& data, int64_t column, const ColumnSchema& schema,
                const bundle::FeatureProfile& profile, std::vector<Anomaly>* out)
      : data_(data), column_(column), schema_(schema), profile_(profile), out_(out) {}

  void TypeAndValues() {
    bool data_numeric = profile_.kind() == FeatureKind::kNumeric;
    if (schema_.kind == FeatureKind::kNumeric) {
      if (!data_numeric) {
        TypeChange();
      } else {
        OutOfRange();
      }
    } else if (schema_.categories_complete) {
      NewCategories();
    }
  }

 private:
  const std::string& name() const { return schema_.name; }
  const std::vector<std::string>& cells() const { return data_.cells[column_]; }

  void TypeChange() {
    Anomaly a = Make(name(), "type_change", Severity::kError, "");
    std::string where;
    for (size_t r = 0; r < cells().size(); ++r) {
      const std::string& cell = cells()[r];
      if (table::IsMissingValue(cell) || table::ParseNumber(cell).ok()) continue;
      a.examples.push_back(cell);
      where = " (e.g. '" + cell + "' at line " + std::to_string(data_.lines[r]) + ")";
      break;
    }
    a.message = "column '" + name() + "' is numeric in the schema but not in the data" + where;
    out_->push_back(std::move(a));
  }

  void OutOfRange() {
    if (std::isnan(schema_.min)) return;
    int64_t below = 0;
    int64_t above = 0;
    double lo = INFINITY;
    double hi = -INFINITY;
    for (const std::string& cell : cells()) {
      if (table::IsMissingValue(cell)) continue;
      Result<double> v = table::ParseNumber(cell);
      if (!v.ok() || !std::isfinite(*v)) continue;
      lo = std::min(lo, *v);
      hi = std::max(hi, *v);
      if (*v < schema_.min) ++below;
      if (*v > schema_.max) ++above;
    }
    if (below + above == 0) return;
    Anomaly a = Make(name(), "out_of_range", Severity::kWarning,
                     Count(below + above, "value", "values") + " of column '" + name() +
                         "' outside the seen range [" + Num(schema_.min) + ", " + Num(schema_.max) +
                         "]: " + std::to_string(below) + " below, " + std::to_string(above) +
                         " above (data range " + Num(lo) + " to " + Num(hi) + ")");
    a.numbers = {{"count", static_cast<double>(below + above), true},
                 {"below", static_cast<double>(below), true},
                 {"above", static_cast<double>(above), true},
                 {"min", schema_.min, false},
                 {"max", schema_.max, false},
                 {"data_min", lo, false},
                 {"data_max", hi, false}};
    out_->push_back(std::move(a));
  }

  void NewCategories() {
    const std::vector<std::string>& known = schema_.categories;
    int64_t count = 0;
    std::set<std::string_view> distinct;
    std::vector<std::string> examples;
    for (const std::string& cell : cells()) {
      if (table::IsMissingValue(cell)) continue;
      if (std::binary_search(known.begin(), known.end(), cell)) continue;
      ++count;
      if (distinct.insert(cell).second && examples.size() < 10) examples.push_back(cell);
    }
    if (count == 0) return;
    std::string listed;
    for (const std::string& e : examples) listed += (listed.empty() ? "'" : ", '") + e + "'";
    Anomaly a = Make(name(), "new_category", Severity::kWarning,
                     Count(count, "value", "values") + " of column '" + name() + "' in " +
                         Count(static_cast<int64_t>(distinct.size()), "category", "categories") +
                         " not seen before, e.g. " + listed);
    a.numbers = {{"count", static_cast<double>(count), true},
                 {"distinct", static_cast<double>(distinct.size()), true}};
    a.examples = std::move(examples);
    out_->push_back(std::move(a));
  }

  const DataTable& data_;
  int64_t column_;
  const ColumnSchema& schema_;
  const bundle::FeatureProfile& profile_;
  std::vector<Anomaly>* out_;
};

const bundle::FeatureProfile* FindFeature(const bundle::Baseline& b, std::string_view name) {
  for (const bundle::FeatureProfile& f : b.features) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

ValidationReport ValidateData(const ValidationInputs& in, const ValidateDataOptions& options) {
  const DataTable& data = *in.data;
  ValidationReport report;
  report.data_sha256 = data.source_sha256;
  report.rows = data.rows();

  auto excluded = [&](const std::string& column) {
    return std::find(options.exclude.begin(), options.exclude.end(), column) !=
           options.exclude.end();
  };
  if (in.schema != nullptr) {
    for (const ColumnSchema& c : in.schema->columns) {
      if (data.ColumnIndex(c.name) >= 0 || excluded(c.name)) continue;
      std::string what =
          c.name == options.label && !options.label.empty() ? "label column" : "column";
      report.anomalies.push_back(
          Make(c.name, "missing_column", Severity::kError,
               what + " '" + c.name + "' is in the schema but not in the data"));
    }
  }

  for (size_t col = 0; col < data.columns.size(); ++col) {
    const std::string& name = data.columns[col];
    if (excluded(name)) continue;
    const bundle::FeatureProfile* profile = FindFeature(*in.data_profile, name);
    FeatureSummary summary;
    summary.name = name;
    summary.missing_rate = profile != nullptr ? MissingRate(*profile, data.rows()) : 0.0;

    if (in.schema != nullptr && profile != nullptr) {
      const ColumnSchema* schema = in.schema->Find(name);
      if (schema == nullptr) {
        report.anomalies.push_back(Make(name, "new_column", Severity::kWarning,
                                        "column '" + name + "' is not in the schema"));
      } else {
        ColumnChecker(data, static_cast<int64_t>(col), *schema, *profile, &report.anomalies)
            .TypeAndValues();
        double rise = summary.missing_rate - schema->missing_rate;
        if (rise > options.missing_rate_jump) {
          Anomaly a =
              Make(name, "missing_rate_jump", Severity::kWarning,
                   "missing rate of column '" + name + "' rose from " +
                       Percent(schema->missing_rate) + " to " + Percent(summary.missing_rate) +
                       " (more than " + Percent(options.missing_rate_jump) + ")");
          a.numbers = {{"expected", schema->missing_rate, false},
                       {"actual", summary.missing_rate, false},
                       {"threshold", options.missing_rate_jump, false}};
          report.anomalies.push_back(std::move(a));
        }
      }
    }

    if (in.baseline != nullptr) {
      if (const bundle::FeatureProfile* base = FindFeature(*in.baseline, name)) {
        std::optional<BinnedCounts> bins = BinLikeBaseline(*base, data.cells[col]);
        if (bins.has_value()) summary.psi = Psi(bins->expected, bins->actual);
      }
      if (summary.psi.has_value() && *summary.psi > options.psi_threshold) {
        Anomaly a = Make(name, "drift", Severity::kWarning,
                         "column '" + name + "' drifted from the baseline: PSI " +
                             Num(*summary.psi) + " above " + Num(options.psi_threshold));
        a.numbers = {{"psi", *summary.psi, false}, {"threshold", options.psi_threshold, false}};
        report.anomalies.push_back(std::move(a));
      }
    }
    report.features.push_back(std::move(summary));
  }

  for (const Anomaly& a : report.anomalies) {
    (a.severity == Severity::kError ? report.errors : report.warnings) += 1;
    if (std::find(options.fail_on.begin(), options.fail_on.end(), a.severity) !=
        options.fail_on.end()) {
      report.passed = false;
    }
  }
  return report;
}

std::string ValidationReportToJson(const ValidationReport& report) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("format").String("ferry.validation/v1");
  w.Key("data").BeginObject();
  w.Key("sha256").String(report.data_sha256);
  w.Key("rows").Int(report.rows);
  w.EndObject();
  w.Key("passed").Bool(report.passed);
  w.Key("counts").BeginObject();
  w.Key("error").Int(report.errors);
  w.Key("warning").Int(report.warnings);
  w.EndObject();
  w.Key("anomalies").BeginArray();
  for (const Anomaly& a : report.anomalies) {
    w.BeginObject();
    w.Key("column").String(a.column);
    w.Key("kind").String(a.kind);
    w.Key("severity").String(SeverityName(a.severity));
    w.Key("message").String(a.message);
    for (const AnomalyNumber& n : a.numbers) {
      w.Key(n.key);
      if (n.integer) {
        w.Int(static_cast<int64_t>(n.value));
      } else {
        w.Double(n.value);
      }
    }
    if (!a.examples.empty()) {
      w.Key("examples").BeginArray();
      for (const std::string& e : a.examples) w.String(e);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("features").BeginArray();
  for (const FeatureSummary& f : report.features) {
    w.BeginObject();
    w.Key("name").String(f.name);
    w.Key("psi");
    if (f.psi.has_value()) {
      w.Double(*f.psi);
    } else {
      w.Null();
    }
    w.Key("missing_rate").Double(f.missing_rate);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out += '\n';
  return out;
}

std::string FailureSummary(const ValidationReport& report, const ValidateDataOptions& options) {
  std::vector<const Anomaly*> failing;
  bool has[2] = {false, false};
  for (const Anomaly& a : report.anomalies) {
    if (std::find(options.fail_on.begin(), options.fail_on.end(), a.severity) ==
        options.fail_on.end()) {
      continue;
    }
    failing.push_back(&a);
    has[a.severity == Severity::kError ? 0 : 1] = true;
  }
  if (failing.empty()) return "";
  std::string severities = has[0] && has[1] ? "error or warning" : has[0] ? "error" : "warning";
  std::string out = std::to_string(failing.size()) +
                    (failing.size() == 1 ? " anomaly" : " anomalies") + " of severity " +
                    severities + ": ";
  constexpr size_t kListed = 10;
  for (size_t i = 0; i < failing.size() && i < kListed; ++i) {
    if (i > 0) out += ", ";
    out += failing[i]->kind + " '" + failing[i]->column + "'";
  }
  if (failing.size() > kListed) out += " and " + std::to_string(failing.size() - kListed) + " more";
  return out;
}

}  // namespace ferry::train

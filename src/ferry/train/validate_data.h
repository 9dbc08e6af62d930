#pragma once

// ferry/validate-data's checks: a dataset against a schema (validate_schema.h)
// and a drift baseline (validate_drift.h), giving anomalies and a report.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/bundle/baseline.h"
#include "ferry/train/data_table.h"
#include "ferry/train/validate_schema.h"

namespace ferry::train {

enum class Severity { kError, kWarning };

std::string_view SeverityName(Severity severity);  // "error", "warning"
// InvalidArgument "unknown severity '<s>' (expected error, warning)".
Result<Severity> ParseSeverity(std::string_view name);

// A number attached to an anomaly, written as a JSON field.
struct AnomalyNumber {
  std::string key;
  double value = 0;
  bool integer = false;  // written without a fraction
};

// One finding. Kinds and severities:
//   missing_column (error)    a schema column is not in the data
//   new_column (warning)      a data column is not in the schema
//   type_change (error)       numeric in the schema, categorical in the data
//   out_of_range (warning)    numbers below the schema's min or above its max
//   new_category (warning)    values outside a (complete) category set
//   missing_rate_jump (warning) missing rate rose by more than the option
//   drift (warning)           PSI against the baseline above the option
struct Anomaly {
  std::string column;
  std::string kind;
  Severity severity = Severity::kWarning;
  std::string message;
  std::vector<AnomalyNumber> numbers;
  std::vector<std::string> examples;  // type_change, new_category: offending values
};

struct FeatureSummary {
  std::string name;
  std::optional<double> psi;  // none without a baseline feature to compare with
  double missing_rate = 0;
};

struct ValidationReport {
  std::string data_sha256;
  int64_t rows = 0;
  bool passed = true;  // no anomaly has a severity listed in fail_on
  int64_t errors = 0;
  int64_t warnings = 0;
  std::vector<Anomaly> anomalies;
  std::vector<FeatureSummary> features;  // data columns in order
};

struct ValidateDataOptions {
  std::vector<Severity> fail_on = {Severity::kError};
  double psi_threshold = 0.2;
  double missing_rate_jump = 0.1;
  // The label column; when the schema has it and the data does not, the
  // missing_column anomaly says so. Otherwise treated like any column.
  std::string label;
  // Columns left out of every check and of the report's features (e.g. a
  // row id, whose values are new in every batch by design).
  std::vector<std::string> exclude;
};

struct ValidationInputs {
  const DataTable* data = nullptr;                 // required
  const bundle::Baseline* data_profile = nullptr;  // required: ProfileCsv of the same file
  const DataSchema* schema = nullptr;              // nullptr: no schema checks
  const bundle::Baseline* baseline = nullptr;      // nullptr: no drift checks
};

// Runs every check. Anomalies come in this order: missing_column (schema
// order), then for each data column in order: new_column, type_change,
// out_of_range, new_category, missing_rate_jump, drift.
ValidationReport ValidateData(const ValidationInputs& inputs, const ValidateDataOptions& options);

// The report JSON (compact, keys in this order, newline-terminated):
// {"format":"ferry.validation/v1","data":{"sha256":…,"rows":N},"passed":b,
//  "counts":{"error":n,"warning":n},
//  "anomalies":[{"column":…,"kind":…,"severity":…,"message":…,<numbers>,
//                "examples":[…] (when non-empty)}],
//  "features":[{"name":…,"psi":x|null,"missing_rate":x}]}
std::string ValidationReportToJson(const ValidationReport& report);

// "" when the report passed; else e.g. "2 anomalies of severity error:
// missing_column 'x', type_change 'y'" (the first 10, then "and N more").
std::string FailureSummary(const ValidationReport& report, const ValidateDataOptions& options);

}  // namespace ferry::train

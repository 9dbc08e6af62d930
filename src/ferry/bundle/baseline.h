#pragma once

// The baseline profile of a training set: per-feature statistics that later drift checks (PSI)
// compare serving data against.
//
// JSON format (baseline.json), written compact with keys in exactly this order:
//
//   {"format":"ferry.baseline/v1",
//    "rows":N,                                   // data records in the CSV (header excluded)
//    "source":{"sha256":"<64 lower-case hex>"},  // of the CSV file's bytes as stored
//    "features":[                                // in CSV column order
//      {"name":"age","kind":"numeric","count":C,"missing":M,
//       "min":x,"max":x,"mean":x,"std":x,         // null when count is 0
//       "cut_points":[...],"bin_counts":[...]},
//      {"name":"city","kind":"categorical","count":C,"missing":M,
//       "categories":{"<value>":n,...}}],          // keys in byte order
//    "prediction":{"output":"probability",       // optional: the model's own predictions on
//      "count":C,"missing":M,"min":x,...,          // the CSV's rows, the same figures as a
//      "cut_points":[...],"bin_counts":[...]}}     // numeric feature (see PredictionProfile)
//
// A baseline without a prediction profile has no "prediction" key (and ends after "features").
// Numbers are written as the shortest text that reads back as the same double, so a baseline
// survives a round trip through JSON exactly. ParseBaselineJson ignores unknown keys.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ferry/base/result.h"

namespace ferry::bundle {

// Profile of a numeric column. Missing values (see ferry::table::IsMissingValue) and +-infinity
// are counted in `missing` and excluded from every other figure.
struct NumericProfile {
  int64_t count = 0;    // finite values
  int64_t missing = 0;  // count + missing == Baseline::rows
  double min = 0;       // min/max/mean/std are NaN when count == 0 (null in JSON)
  double max = 0;
  double mean = 0;
  double std = 0;  // population standard deviation (ddof = 0, like numpy.std's default)
  // The quantiles at 0.1, 0.2, ..., 1.0 of the values, computed like numpy.quantile's default
  // "linear" method (for n sorted values x, q -> h = (n-1)q, x[floor h] + (h - floor h) *
  // (x[floor h + 1] - x[floor h])), with equal neighbours collapsed: 1 to 10 strictly increasing
  // values, the last one == max; empty when count == 0.
  std::vector<double> cut_points;
  // One count per cut point. Bin 0 holds v <= cut_points[0]; bin i holds
  // cut_points[i-1] < v <= cut_points[i]; the last bin is open above (v > cut_points[k-2]) so
  // that later data past the training max lands in it. Sums to count.
  std::vector<int64_t> bin_counts;
};

// Profile of a categorical (string) column. Missing values: as for numeric columns.
struct CategoricalProfile {
  int64_t count = 0;  // non-missing values
  int64_t missing = 0;
  // Value -> occurrences: the max_categories most frequent values (ties: smaller in byte order
  // first), the others summed under kOtherCategory (present only when non-zero). Sums to count.
  std::map<std::string, int64_t> categories;
};

inline constexpr std::string_view kOtherCategory = "__other__";

enum class FeatureKind { kNumeric, kCategorical };

struct FeatureProfile {
  std::string name;
  std::variant<NumericProfile, CategoricalProfile> stats;

  FeatureKind kind() const {
    return std::holds_alternative<NumericProfile>(stats) ? FeatureKind::kNumeric
                                                         : FeatureKind::kCategorical;
  }
};

// Profile of a model's own predictions on the baseline CSV's rows (bundle::CreateBundle): the
// value of its one output per row, profiled like a numeric column (ProfileNumbers).
struct PredictionProfile {
  std::string output;    // the signature's output: "probability" (P(class 1)) or "prediction"
  NumericProfile stats;  // count + missing == Baseline::rows
};

struct Baseline {
  int64_t rows = 0;
  std::vector<FeatureProfile> features;
  std::string source_digest;  // lower-case hex SHA-256 of the CSV file's bytes (as stored)
  // Absent for a profile of data alone and for models without a single value per row
  // (multiclass).
  std::optional<PredictionProfile> prediction;
};

struct BaselineOptions {
  // Columns to profile, in this order; empty = all columns in CSV order.
  std::vector<std::string> columns;
  // Categories kept per categorical column (the rest go to "__other__"). At least 1.
  size_t max_categories = 1000;
};

// Profiles the CSV at `csv_path` (see ferry::table::CsvReader: "-" is stdin, compression is
// detected) in one pass. A column is numeric when every non-missing value parses with
// ferry::table::ParseNumber, categorical otherwise (an all-missing column is numeric).
//
// Memory: the finite values of every still-numeric column are held as doubles (8 bytes per value
// per column) for the exact quantiles - fine for training sets, not for unbounded streams.
//
// Category counts are exact for up to T = 10 * max_categories distinct values per column;
// values first seen after T distinct ones are counted directly under "__other__" (bounded
// memory). A column that turns categorical late (a non-number after numbers) keeps the exact
// spelling of its earlier numbers ("007", "1.50") as long as they had at most T distinct
// spellings; past that, spellings are not tracked for numeric columns (for speed) and the earlier
// numbers are counted under their shortest round-trip spelling ("7", "1.5"), +-inf under
// "__other__". A value spelled "__other__" is counted with the other values.
//
// Errors: those of CsvReader (open, parse); NotFound "<path>: no column named '<c>'" and
// InvalidArgument "column '<c>' listed twice" for options.columns; InvalidArgument for
// max_categories == 0.
Result<Baseline> ProfileCsv(std::string_view csv_path, const BaselineOptions& options);

// Profiles `values` like a numeric column of values.size() rows: NaN and +-infinity are counted
// as missing, the finite values give the other figures (the same arithmetic as ProfileCsv).
NumericProfile ProfileNumbers(std::vector<double> values);

// The JSON described at the top of this file. Deterministic: the same baseline gives the same
// bytes.
std::string BaselineToJson(const Baseline& baseline);

// Parses and validates baseline JSON. Errors are InvalidArgument "<file>: <field>: <problem>",
// e.g. "baseline.json: features[1].bin_counts: 3 entries, expected 4 (one per cut point)".
// Checks: format == "ferry.baseline/v1"; rows, count, missing, bin and category counts are
// non-negative integers; count + missing == rows; names non-empty and unique; kind is "numeric"
// or "categorical"; cut_points strictly increasing with at most 10 entries; bin_counts as many as
// cut_points and summing to count; categories summing to count; min/max/mean/std numbers (null
// allowed only when count is 0); source.sha256 64 lower-case hex digits. The optional
// "prediction" object: an "output" non-empty string and the checks of a numeric feature
// (errors name "prediction.<field>").
Result<Baseline> ParseBaselineJson(std::string_view json, std::string_view file_name_for_errors);

}  // namespace ferry::bundle

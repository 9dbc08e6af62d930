#pragma once

// The schema ferry/validate-data checks data against: which columns exist,
// in order, their kind, the range of numeric ones, the category set of
// categorical ones and the missing rate. Inferred from a profile
// (bundle::ProfileCsv) or read from a schema JSON written by an earlier run.
//
// JSON format (written compact, keys in exactly this order):
//
//   {"format":"ferry.schema/v1",
//    "rows":N,                                  // rows of the profiled CSV
//    "source":{"sha256":"<64 lower-case hex>"}, // of that CSV's bytes as stored
//    "columns":[                                // in CSV column order
//      {"name":"age","kind":"numeric","missing_rate":r,
//       "min":x,"max":x},                       // null when the column has no value
//      {"name":"city","kind":"categorical","missing_rate":r,
//       "categories":["a","b"],                 // byte order, at most kSchemaMaxCategories
//       "categories_complete":true}]}           // false: capped, new categories not checked
//
// Numbers are the shortest text that reads back as the same double.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/bundle/baseline.h"

namespace ferry::train {

inline constexpr size_t kSchemaMaxCategories = 1000;

struct ColumnSchema {
  std::string name;
  bundle::FeatureKind kind = bundle::FeatureKind::kNumeric;
  double missing_rate = 0;  // missing / rows; 0 when rows is 0
  // Numeric: the range seen; NaN when the column had no finite value.
  double min = 0;
  double max = 0;
  // Categorical: the values seen, sorted; when the profile capped them
  // (more than kSchemaMaxCategories), the most frequent ones and
  // categories_complete is false.
  std::vector<std::string> categories;
  bool categories_complete = true;
};

struct DataSchema {
  int64_t rows = 0;
  std::string source_sha256;
  std::vector<ColumnSchema> columns;

  // nullptr when there is no such column.
  const ColumnSchema* Find(std::string_view name) const;
};

// The schema of a profile made with max_categories == kSchemaMaxCategories.
DataSchema SchemaFromProfile(const bundle::Baseline& profile);

// The JSON above. Deterministic.
std::string SchemaToJson(const DataSchema& schema);

// Parses and checks schema JSON. InvalidArgument "<file>: <field>: <problem>",
// e.g. "schema.json: columns[2].kind: expected \"numeric\" or \"categorical\"".
// Checks: format; rows a non-negative integer; source.sha256 a string; names
// non-empty and unique; missing_rate in [0, 1]; min <= max (or both null);
// categories strings (sorted and de-duplicated on reading), at most
// kSchemaMaxCategories. Unknown keys are ignored.
Result<DataSchema> ParseSchemaJson(std::string_view json, std::string_view file);

}  // namespace ferry::train

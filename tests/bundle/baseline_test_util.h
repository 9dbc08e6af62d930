#pragma once

// Shared by the baseline tests (baseline_test.cc: profiling; baseline_json_test.cc:
// the JSON document): a small CSV and accessors for a profile's columns.
#include <string>
#include <variant>

#include "ferry/bundle/baseline.h"
#include "testing/test_util.h"

namespace ferry::bundle::baseline_testing {

inline constexpr char kSmallCsv[] =
    "age,city,income,flag\n"
    "30,Paris,1000.5,1\n"
    "NA,London,,0\n"
    "25,Paris,2000,1\n"
    "40,,NaN,1\n"
    "35,Berlin,1500,abc\n";

// Profiles `csv` written to `dir`/train.csv.
inline Result<Baseline> ProfileText(const ::ferry::testing::TempDir& dir, const std::string& csv,
                                    const BaselineOptions& options = {}) {
  ::ferry::testing::WriteTextFile(dir / "train.csv", csv);
  return ProfileCsv((dir / "train.csv").string(), options);
}

inline const NumericProfile& Numeric(const Baseline& b, size_t i) {
  return std::get<NumericProfile>(b.features.at(i).stats);
}
inline const CategoricalProfile& Categorical(const Baseline& b, size_t i) {
  return std::get<CategoricalProfile>(b.features.at(i).stats);
}

}  // namespace ferry::bundle::baseline_testing

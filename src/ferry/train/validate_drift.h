#pragma once

// Drift of a column against a baseline profile (bundle/baseline.h), measured
// by the population stability index over the baseline's bins.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/bundle/baseline.h"
#include "ferry/monitor/drift.h"

namespace ferry::train {

// Stand-in for the proportion of an empty bin, so that ln(a/e) is finite.
inline constexpr double kPsiEpsilon = monitor::kPsiEpsilon;

// PSI = sum over bins i of (a_i - e_i) * ln(a_i / e_i), where
// e_i = expected[i] / sum(expected) and a_i = actual[i] / sum(actual), and a
// proportion that is 0 is replaced by kPsiEpsilon (the others are left as
// they are; nothing is renormalized): monitor::Psi over the proportions, so
// that validation and serving-time drift agree. Requires equal sizes and
// both sums > 0.
double Psi(const std::vector<int64_t>& expected, const std::vector<int64_t>& actual);

// The baseline's and the data's counts over the same bins.
struct BinnedCounts {
  std::vector<int64_t> expected;
  std::vector<int64_t> actual;
};

// Bins the cells of a data column like `feature` was binned. Missing cells
// (table::IsMissingValue) are left out.
//  - numeric feature: bin i holds cut_points[i-1] < v <= cut_points[i], bin 0
//    is open below and the last bin open above; non-finite values are left
//    out (as ProfileCsv counts them as missing). nullopt when a cell is not a
//    number (the column is categorical now: no PSI).
//  - categorical feature: one bin per baseline category (byte order); a value
//    the baseline does not list goes to "__other__" when the baseline has it,
//    else to one extra bin whose expected count is 0.
// nullopt also when the baseline or the data has no value in the column.
std::optional<BinnedCounts> BinLikeBaseline(const bundle::FeatureProfile& feature,
                                            const std::vector<std::string>& cells);

// A baseline from `path`: a baseline.json file (a regular file whose first
// non-blank byte is '{'), or a bundle given as a folder or a packed file, whose
// manifest names the baseline. Errors: NotFound for a missing path;
// FailedPrecondition "<path>: the bundle has no baseline"; those of
// ParseBaselineJson, bundle::OpenBundle and unpacking.
Result<bundle::Baseline> LoadBaseline(const std::filesystem::path& path);

}  // namespace ferry::train

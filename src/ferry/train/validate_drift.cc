#include "ferry/train/validate_drift.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "ferry/base/files.h"
#include "ferry/bundle/bundle.h"
#include "ferry/bundle/bundle_source.h"
#include "ferry/monitor/drift.h"
#include "ferry/table/number.h"

namespace ferry::train {

namespace fs = std::filesystem;

double Psi(const std::vector<int64_t>& expected, const std::vector<int64_t>& actual) {
  auto proportions = [](const std::vector<int64_t>& counts, size_t n) {
    double total = 0;
    for (int64_t c : counts) total += static_cast<double>(c);
    std::vector<double> p(n, 0.0);
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<double>(counts[i]) / total;
    return p;
  };
  size_t n = std::min(expected.size(), actual.size());
  return monitor::Psi(proportions(expected, n), proportions(actual, n));
}

namespace {

std::optional<BinnedCounts> BinNumeric(const bundle::NumericProfile& profile,
                                       const std::vector<std::string>& cells) {
  if (profile.count == 0 || profile.cut_points.empty()) return std::nullopt;
  BinnedCounts b;
  b.expected = profile.bin_counts;
  b.actual.assign(profile.cut_points.size(), 0);
  int64_t total = 0;
  for (const std::string& cell : cells) {
    if (table::IsMissingValue(cell)) continue;
    Result<double> v = table::ParseNumber(cell);
    if (!v.ok()) return std::nullopt;
    if (!std::isfinite(*v)) continue;
    auto it = std::lower_bound(profile.cut_points.begin(), profile.cut_points.end(), *v);
    size_t bin = std::min<size_t>(it - profile.cut_points.begin(), profile.cut_points.size() - 1);
    ++b.actual[bin];
    ++total;
  }
  if (total == 0) return std::nullopt;
  return b;
}

std::optional<BinnedCounts> BinCategorical(const bundle::CategoricalProfile& profile,
                                           const std::vector<std::string>& cells) {
  if (profile.count == 0) return std::nullopt;
  BinnedCounts b;
  std::map<std::string_view, size_t> index;
  for (const auto& [value, count] : profile.categories) {
    index.emplace(value, b.expected.size());
    b.expected.push_back(count);
  }
  auto other = index.find(bundle::kOtherCategory);
  size_t unseen_bin = other != index.end() ? other->second : b.expected.size();
  if (other == index.end()) b.expected.push_back(0);
  b.actual.assign(b.expected.size(), 0);
  int64_t total = 0;
  for (const std::string& cell : cells) {
    if (table::IsMissingValue(cell)) continue;
    auto it = index.find(cell);
    ++b.actual[it != index.end() ? it->second : unseen_bin];
    ++total;
  }
  if (total == 0) return std::nullopt;
  if (other == index.end() && b.actual.back() == 0) {
    b.expected.pop_back();  // no unseen value: the extra bin adds nothing
    b.actual.pop_back();
  }
  return b;
}

}  // namespace

std::optional<BinnedCounts> BinLikeBaseline(const bundle::FeatureProfile& feature,
                                            const std::vector<std::string>& cells) {
  if (const auto* n = std::get_if<bundle::NumericProfile>(&feature.stats)) {
    return BinNumeric(*n, cells);
  }
  return BinCategorical(std::get<bundle::CategoricalProfile>(feature.stats), cells);
}

namespace {

// True for a regular file that starts (after blanks) with '{'.
bool LooksLikeJson(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c)) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{';
  }
  return false;
}

}  // namespace

Result<bundle::Baseline> LoadBaseline(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path.string() + " does not exist");
  if (LooksLikeJson(path)) {
    FERRY_ASSIGN_OR_RETURN(std::string json, ReadFile(path, size_t{256} << 20));
    return bundle::ParseBaselineJson(json, path.string());
  }
  FERRY_ASSIGN_OR_RETURN(auto source, bundle::BundleSource::Open(path.string()));
  Result<bundle::Bundle> opened = bundle::OpenBundle(source->dir());
  if (!opened.ok()) return opened.status().WithContext(path.string());
  fs::path baseline_path = opened->BaselinePath();
  if (baseline_path.empty()) {
    return FailedPrecondition(path.string() + ": the bundle has no baseline");
  }
  FERRY_ASSIGN_OR_RETURN(std::string json, ReadFile(baseline_path, size_t{256} << 20));
  return bundle::ParseBaselineJson(json, path.string() + ": " + opened->manifest.baseline);
}

}  // namespace ferry::train

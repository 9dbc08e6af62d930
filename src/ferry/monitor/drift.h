#pragma once

// Data drift against a training baseline (bundle/baseline.h): the values
// seen in a window are counted on the baseline's own bins, then compared
// with the baseline's proportions (docs/monitoring.md has the formulas).

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/bundle/baseline.h"

namespace ferry::monitor {

// Stand-in for the proportion of an empty bin in PSI, so that ln(a/e) is
// finite (the other proportions are left as they are).
inline constexpr double kPsiEpsilon = 1e-4;

// PSI = Σ_i (a_i − e_i) ln(a_i / e_i) over proportions a (actual) and e
// (expected) of the same bins, each 0 replaced by kPsiEpsilon.
double Psi(const std::vector<double>& expected, const std::vector<double>& actual);
// Binned Kolmogorov–Smirnov distance: max_k |Σ_{i≤k} a_i − Σ_{i≤k} e_i|.
double BinnedKs(const std::vector<double>& expected, const std::vector<double>& actual);
// Jensen–Shannon distance (natural log, like scipy.spatial.distance.jensenshannon):
// sqrt((KL(a‖m) + KL(e‖m)) / 2) with m = (a + e) / 2.
double JensenShannon(const std::vector<double>& expected, const std::vector<double>& actual);
// Pearson's chi-square statistic of observed counts against expected
// proportions: Σ_{e_i>0} (o_i − n e_i)² / (n e_i), n = Σ o_i over those bins.
double ChiSquare(const std::vector<double>& expected, const std::vector<int64_t>& observed);

// Hash for lookups by string_view without building a std::string.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The baseline's bins of one feature and its proportions on them.
struct FeatureBins {
  std::string name;
  bool numeric = true;
  // The model's prediction (the baseline's prediction profile), not an input
  // feature; always numeric, named "prediction".
  bool is_prediction = false;
  // Numeric: bin i holds cut[i-1] < v <= cut[i]; bin 0 is open below and the
  // last bin open above (so it has cut_points.size() bins).
  std::vector<double> cut_points;
  // Categorical: one bin per baseline category (byte order), then one bin for
  // values the baseline never saw (expected 0; "__other__" when the baseline
  // has it is a category bin like the others, and unseen values go there).
  std::vector<std::string> categories;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> category_index;
  int32_t unseen_bin = -1;       // categorical: bin of values not in `categories`
  std::vector<double> expected;  // proportions per bin (sum 1; 0 when the baseline had no value)
  double expected_missing_rate = 0;
  size_t bins() const { return expected.size(); }
};

// The reference of a whole model: one FeatureBins per baseline feature, in
// the baseline's order, then one for the prediction when the baseline has a
// prediction profile (fed with AddNumber(prediction_index, value)).
struct DriftReference {
  std::vector<FeatureBins> features;
  // Index of the prediction's entry (the last one), or -1 when the baseline
  // has no prediction profile.
  int64_t prediction_index = -1;
  // Index of the first entry named `name`, or -1 (an input feature named
  // "prediction" comes before the prediction's own entry).
  int64_t Find(std::string_view name) const;
};
DriftReference MakeDriftReference(const bundle::Baseline& baseline);

// How many of the N thresholds at t lie below x (x > t[i]): two per vector
// compare (all ones where true), summed lane-wise. N is even.
template <size_t N>
inline size_t CountBelow(const double* t, double x) {
  static_assert(N % 2 == 0);
  using V2d = double __attribute__((vector_size(16)));
  using V2i = int64_t __attribute__((vector_size(16)));
  const V2d xx = {x, x};
  V2i below = {0, 0};
  for (size_t i = 0; i < N; i += 2) {
    V2d pair;
    std::memcpy(&pair, t + i, sizeof pair);
    below += xx > pair;
  }
  return static_cast<size_t>(-(below[0] + below[1]));
}

// Counts of one window: per feature, one count per bin plus the missing
// values. Adding a value costs a few comparisons and an increment: no
// allocation, no sort. Not thread-safe (one per thread, then Merge).
class DriftCounts {
 public:
  explicit DriftCounts(const DriftReference& reference);

  // A numeric value of feature `f` (NaN or ±inf: missing).
  void AddNumber(size_t f, double v) {
    const Slot& s = slots_[f];
    int64_t* c = counts_.data() + s.offset;
    if (!std::isfinite(v)) {
      ++c[s.missing];
      return;
    }
    if (s.padded) {
      // Bin = how many of the compared cuts lie below v; the padding (+inf) never does.
      ++c[CountBelow<kPaddedCuts>(padded_cuts_.data() + f * kPaddedCuts, v)];
      return;
    }
    const std::vector<double>& cuts = (*reference_).features[f].cut_points;
    size_t bin = 0;
    const size_t last = cuts.size() - 1;
    for (size_t i = 0; i < last; ++i) bin += v > cuts[i];
    ++c[bin];
  }
  // A categorical value of feature `f` ("" or a missing spelling: missing).
  void AddCategory(size_t f, std::string_view v);
  // n values of feature `f` that the caller binned itself (bin < bins()).
  void AddToBin(size_t f, size_t bin, int64_t n = 1) { counts_[slots_[f].offset + bin] += n; }
  // A missing value of feature `f`.
  void AddMissing(size_t f) { ++counts_[slots_[f].offset + slots_[f].missing]; }

  void Merge(const DriftCounts& other);
  void Clear();

  // Counts of feature `f`: bins() entries, then the missing count.
  const int64_t* counts(size_t f) const { return counts_.data() + slots_[f].offset; }
  const DriftReference& reference() const { return *reference_; }

 private:
  // Numeric features with at most this many compared cuts (all but the last cut point) bin
  // against a copy of their cuts padded with +inf to this length.
  static constexpr size_t kPaddedCuts = 12;
  struct Slot {
    size_t offset = 0;   // of the feature's first bin in counts_
    size_t missing = 0;  // bins(): index of the missing count after offset
    bool padded = false;
  };

  const DriftReference* reference_;
  std::vector<Slot> slots_;
  std::vector<double> padded_cuts_;  // kPaddedCuts per feature
  std::vector<int64_t> counts_;
};

// Drift of one feature in a window.
struct FeatureDrift {
  std::string name;
  bool numeric = true;
  bool is_prediction = false;  // the model's prediction, not an input feature
  int64_t count = 0;           // non-missing values
  int64_t missing = 0;         // missing values
  double missing_rate = 0;
  double expected_missing_rate = 0;
  // NaN when count is 0 or the baseline had no value.
  double psi = NAN;
  double ks = NAN;  // numeric features only
  double js = NAN;
  double chi_square = NAN;  // categorical features only
  int64_t unseen = 0;       // categorical: values in no baseline category
};

std::vector<FeatureDrift> ComputeDrift(const DriftCounts& counts);

}  // namespace ferry::monitor

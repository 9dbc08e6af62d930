#include "ferry/monitor/decimal_binner.h"

#include <limits>

namespace ferry::monitor {

DecimalBinner::DecimalBinner(const DriftReference& ref)
    : has_(ref.features.size(), 0),
      tables_(ref.features.size() * 2 * (kMaxScale + 1) * kCuts,
              std::numeric_limits<double>::infinity()) {
  for (size_t f = 0; f < ref.features.size(); ++f) {
    const FeatureBins& b = ref.features[f];
    if (!b.numeric || b.cut_points.empty() || b.cut_points.size() - 1 > kCuts) continue;
    has_[f] = 1;
    for (int negative = 0; negative < 2; ++negative) {
      for (int k = 0; k <= kMaxScale; ++k) {
        double* t = Row(f, negative != 0, k);
        for (size_t i = 0; i + 1 < b.cut_points.size(); ++i) {
          t[i] = Threshold(b.cut_points[i], negative != 0, k);
        }
      }
    }
  }
}

double DecimalBinner::Threshold(double cut, bool negative, int k) {
  auto above = [&](uint64_t m) {
    return table::DecimalValue({.mantissa = m, .exponent = -k, .negative = negative}) > cut;
  };
  if (!negative) {
    // above(m) is false up to some T, then true: "m > T". T = -1 when even 0 is above.
    if (!above(kMaxMantissa)) return static_cast<double>(kMaxMantissa);
    int64_t lo = -1, hi = static_cast<int64_t>(kMaxMantissa);  // above(lo) false, above(hi) true
    while (hi - lo > 1) {
      int64_t mid = lo + (hi - lo) / 2;
      (above(static_cast<uint64_t>(mid)) ? hi : lo) = mid;
    }
    return static_cast<double>(lo);
  }
  // above(m) is true below some L, then false: "m < L", i.e. "-m > -L".
  if (above(kMaxMantissa)) return -static_cast<double>(kMaxMantissa + 1);
  int64_t lo = -1, hi = static_cast<int64_t>(kMaxMantissa);  // above(lo) true, above(hi) false
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    (above(static_cast<uint64_t>(mid)) ? lo : hi) = mid;
  }
  return -static_cast<double>(hi);
}

}  // namespace ferry::monitor

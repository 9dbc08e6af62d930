#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ferry/monitor/drift.h"
#include "ferry/table/decimal_scan.h"

namespace ferry::monitor {

// Bins plain decimals of the common scales without computing their double (a division): for a
// numeric feature with padded cuts, a sign and an exponent -k (0 <= k <= kMaxScale), thresholds
// found once by binary search turn "DecimalValue(d) > cut" into "±mantissa > threshold", exact
// because DecimalValue is monotone in the mantissa. Read-only once built (shared by the threads).
class DecimalBinner {
 public:
  static constexpr int kMaxScale = 8;
  static constexpr size_t kCuts = 10;  // deciles compare 9; features with more use AddNumber
  static constexpr uint64_t kMaxMantissa = uint64_t{1} << 50;

  explicit DecimalBinner(const DriftReference& ref);

  // The tables of feature f (for Bin), or nullptr when it has none.
  const double* Tables(size_t f) const { return has_[f] != 0 ? Row(f, false, 0) : nullptr; }

  // Adds d to feature f's counts and returns true, or returns false (nothing added) when d is
  // not of a scale the tables cover. `tables` = Tables(f), not null.
  static bool Bin(const double* tables, size_t f, const table::DecimalParts& d,
                  DriftCounts& counts) {
    const unsigned k = static_cast<unsigned>(-d.exponent);
    if (k > kMaxScale || d.mantissa >= kMaxMantissa) return false;
    const double* t = tables + ((d.negative ? kMaxScale + 1 : 0) + k) * kCuts;
    const double x = std::bit_cast<double>(
        std::bit_cast<uint64_t>(static_cast<double>(d.mantissa)) | (uint64_t{d.negative} << 63));
    counts.AddToBin(f, CountBelow<kCuts>(t, x));
    return true;
  }

 private:
  const double* Row(size_t f, bool negative, int k) const {
    return tables_.data() + ((f * 2 + (negative ? 1 : 0)) * (kMaxScale + 1) + k) * kCuts;
  }
  double* Row(size_t f, bool negative, int k) {
    return tables_.data() + ((f * 2 + (negative ? 1 : 0)) * (kMaxScale + 1) + k) * kCuts;
  }

  // x = ±m (m < kMaxMantissa) is above the returned threshold exactly when the decimal
  // (negative, m, -k) is above `cut`.
  static double Threshold(double cut, bool negative, int k);

  std::vector<uint8_t> has_;    // per feature: tables built
  std::vector<double> tables_;  // [feature][sign][k][kCuts], padded with +inf
};

}  // namespace ferry::monitor

#pragma once

// Numeric values binned on their features' cut points with AVX-512, for a fixed sequence of
// features (the numeric columns of a file, in order) and many rows at once: for each group of
// eight features, each cut is compared with all eight values of a row in one instruction, and
// per feature and cut the number of values above it is summed in registers across the rows;
// the bins' counts are the differences of those sums. The same bins as DriftCounts::AddNumber
// for finite values.

#include <cstdint>
#include <memory>
#include <vector>

#include "ferry/monitor/drift.h"

namespace ferry::monitor {

class VectorBinner {
 public:
  // The most compared cuts (cut points but the last) a feature may have.
  static constexpr size_t kMaxCuts = 12;

  // A binner for values of features[0], features[1], ... of `ref` (numeric features), or
  // nullptr when the CPU has no AVX-512, FERRY_CSV_SIMD is off (table/csv_simd.h), or a feature
  // has no cut point or more than kMaxCuts compared cuts (callers then use
  // DriftCounts::AddNumber).
  static std::unique_ptr<VectorBinner> Make(const DriftReference& ref,
                                            const std::vector<uint32_t>& features);

  size_t width() const { return features_.size(); }
  // 64-bit words of skip bits per row: (width() + 63) / 64.
  size_t skip_words() const { return (features_.size() + 63) / 64; }

  // Adds rows r < rows of values, finite, row r at values + r * width(): value i of the row to
  // the bins of features[i], unless bit i % 64 of skip[r * skip_words() + i / 64] is set.
  void AddRows(const double* values, const uint64_t* skip, size_t rows, DriftCounts& counts) const;

 private:
  VectorBinner() = default;

  std::vector<uint32_t> features_;
  std::vector<uint32_t> cuts_of_;  // compared cuts of each feature
  size_t cuts_ = 0;                // compared cuts per group, padded with +inf
  std::vector<double> tables_;     // [group][cut][8]
};

}  // namespace ferry::monitor

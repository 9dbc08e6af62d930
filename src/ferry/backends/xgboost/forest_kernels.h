#pragma once

#include <array>
#include <cstdint>

// The tree-walking kernels behind Forest (forest.h): the flat layout they
// read and the scalar walk. Internal to the native predictor.
namespace ferry::backends::xgboost {

// Deepest tree the native predictor lays out (a complete tree of this depth
// takes 8 B per split and 4 B per leaf: 48 KiB). Deeper models use XGBoost.
inline constexpr int kMaxNativeDepth = 12;

namespace internal {

inline constexpr uint32_t kDefaultLeftBit = uint32_t{1} << 31;
inline constexpr uint32_t kFeatureMask = kDefaultLeftBit - 1;

// One split of a complete tree laid out in heap order.
struct Split {
  uint32_t feature;  // bit 31: the default (missing) direction is left
  float threshold;
};
static_assert(sizeof(Split) == 8, "the SIMD kernels gather splits with scale 8");

// Adds one complete tree of a fixed depth (splits in heap order, leaves in
// level order) to out[r * stride] for r in [0, rows); row r's features are
// x[r * num_features ...]. Each row gets exactly one float addition.
using TreeKernel = void (*)(const Split* splits, const float* leaves, const float* x,
                            int64_t num_features, int64_t rows, float* out, int64_t stride);
// Entry d evaluates trees of depth d.
using TreeKernels = std::array<TreeKernel, kMaxNativeDepth + 1>;

// The split's decision for value v: right when !(v < threshold); a NaN goes
// to the default side. For a default-left split `v >= threshold` is the same
// test with NaN going left; for default-right `!(v < threshold)` sends NaN right.
inline uint32_t GoesRight(const Split& s, float v) {
  const bool default_left = (s.feature & kDefaultLeftBit) != 0;
  const bool right = default_left ? (v >= s.threshold) : !(v < s.threshold);
  return right ? 1u : 0u;
}

// The portable kernel (a TreeKernel for depth kDepth): 8 rows walk the tree
// together so that their loads overlap.
template <int kDepth>
void EvalTreeScalar(const Split* splits, const float* leaves, const float* x, int64_t num_features,
                    int64_t rows, float* out, int64_t stride) {
  constexpr int kLanes = 8;
  constexpr uint32_t kFirstLeaf = (uint32_t{1} << kDepth) - 1;
  int64_t r = 0;
  for (; r + kLanes <= rows; r += kLanes) {
    uint32_t idx[kLanes] = {};
    const float* row = x + r * num_features;
    for (int d = 0; d < kDepth; ++d) {
      for (int l = 0; l < kLanes; ++l) {
        const Split s = splits[idx[l]];
        const float v = row[l * num_features + (s.feature & kFeatureMask)];
        idx[l] = 2 * idx[l] + 1 + GoesRight(s, v);
      }
    }
    for (int l = 0; l < kLanes; ++l) out[(r + l) * stride] += leaves[idx[l] - kFirstLeaf];
  }
  for (; r < rows; ++r) {
    uint32_t idx = 0;
    const float* row = x + r * num_features;
    for (int d = 0; d < kDepth; ++d) {
      const Split s = splits[idx];
      idx = 2 * idx + 1 + GoesRight(s, row[s.feature & kFeatureMask]);
    }
    out[r * stride] += leaves[idx - kFirstLeaf];
  }
}

// The SIMD kernels read row offsets as 32-bit lane indices: a forest with
// more features than this stays on the scalar kernel.
inline constexpr int64_t kMaxSimdFeatures = int64_t{1} << 24;

// Blocks of fewer rows take the scalar kernel whatever the forest's kernel:
// one or two vectors alone wait on their gathers, and the scalar kernel,
// interleaving 8 rows without gathers, is as fast up to here (measured on
// AMD EPYC, Zen 4: BM_ForestKernelPaired).
inline constexpr int64_t kMinSimdRows = 32;

// The scalar kernel for depth `depth` (forest.cc), for the SIMD kernels'
// last rows: called, not inlined, so that it keeps its portable code.
TreeKernel ScalarTreeKernel(int depth);

// The SIMD kernel tables, or nullptr when this build or this CPU cannot run
// them (the CPU is asked once per process; forest_simd.cc).
const TreeKernels* Avx2TreeKernels();
const TreeKernels* Avx512TreeKernels();

}  // namespace internal
}  // namespace ferry::backends::xgboost

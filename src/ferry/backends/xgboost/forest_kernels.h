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

// Walks `lanes` (at most 8) consecutive rows down one complete tree of
// depth kDepth together, so that their loads overlap, and adds each row's
// leaf to out[l * stride].
template <int kDepth>
inline void WalkRowsScalar(const Split* splits, const float* leaves, const float* row,
                           int64_t num_features, int64_t lanes, float* out, int64_t stride) {
  constexpr uint32_t kFirstLeaf = (uint32_t{1} << kDepth) - 1;
  uint32_t idx[8] = {};
  for (int d = 0; d < kDepth; ++d) {
    for (int64_t l = 0; l < lanes; ++l) {
      const Split s = splits[idx[l]];
      const float v = row[l * num_features + (s.feature & kFeatureMask)];
      idx[l] = 2 * idx[l] + 1 + GoesRight(s, v);
    }
  }
  for (int64_t l = 0; l < lanes; ++l) out[l * stride] += leaves[idx[l] - kFirstLeaf];
}

// The portable kernel (a TreeKernel for depth kDepth): 8 rows walk the tree
// together; so do the last rows (fewer than 8), rather than one at a time as
// chains of dependent loads (batches of a served model are often a few rows
// more than a multiple of 8).
template <int kDepth>
void EvalTreeScalar(const Split* splits, const float* leaves, const float* x, int64_t num_features,
                    int64_t rows, float* out, int64_t stride) {
  constexpr int64_t kLanes = 8;
  int64_t r = 0;
  for (; r + kLanes <= rows; r += kLanes) {
    WalkRowsScalar<kDepth>(splits, leaves, x + r * num_features, num_features, kLanes,
                           out + r * stride, stride);
  }
  if (r < rows) {
    WalkRowsScalar<kDepth>(splits, leaves, x + r * num_features, num_features, rows - r,
                           out + r * stride, stride);
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

// Four trees of one depth over the same rows, in tree order: row r gets the
// first tree's leaf added first, then the second's, and so on, as four
// TreeKernel calls would. For blocks too small for the row-parallel SIMD
// kernels: the four trees' loads overlap instead of the rows'. `splits` and
// `leaves` point to four trees each.
using QuadTreeKernel = void (*)(const Split* const* splits, const float* const* leaves,
                                const float* x, int64_t num_features, int64_t rows, float* out,
                                int64_t stride);
using QuadTreeKernels = std::array<QuadTreeKernel, kMaxNativeDepth + 1>;

// Blocks of [kMinQuadRows, kMinSimdRows) rows take the quad kernels, where
// the forest's kernel has them (AVX-512: one vector of 16 rows per tree).
inline constexpr int64_t kMinQuadRows = 16;

// The scalar kernel for depth `depth` (forest.cc), for the SIMD kernels'
// last rows: called, not inlined, so that it keeps its portable code.
TreeKernel ScalarTreeKernel(int depth);

// The SIMD kernel tables, or nullptr when this build or this CPU cannot run
// them (the CPU is asked once per process; forest_simd.cc).
const TreeKernels* Avx2TreeKernels();
const TreeKernels* Avx512TreeKernels();
const QuadTreeKernels* Avx512QuadTreeKernels();

}  // namespace internal
}  // namespace ferry::backends::xgboost

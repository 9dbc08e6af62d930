#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/backends/xgboost/forest_kernels.h"
#include "ferry/base/result.h"

// Ferry's own evaluator for XGBoost tree ensembles (the "native predictor"):
// the trees of a gbtree model laid out as complete binary trees in flat
// arrays, evaluated a block of rows at a time, several rows interleaved per
// tree level so that their memory loads overlap.
//
// Results are bit-identical to XGBoost 1.7.4's CPU predictor: a row's
// margin starts at the base margin and adds each tree's leaf value in tree
// order, in float; a split sends a value v right when !(v < threshold) and
// a missing value (NaN) to the node's default child; the output transforms
// use XGBoost's float formulas (sigmoid with its clamp and epsilon, softmax
// with a double sum, expf).
namespace ferry::backends::xgboost {

// What the objective does to a margin (XGBoost's PredTransform).
enum class OutputTransform {
  kIdentity,  // reg:squarederror, binary:logitraw, ...
  kSigmoid,   // binary:logistic, reg:logistic
  kExp,       // count:poisson, reg:gamma, reg:tweedie, survival:cox
  kHinge,     // binary:hinge: 1 if margin > 0 else 0
  kSoftmax,   // multi:softprob, over each row's num_groups margins
};

// One tree as XGBoost stores it (RegTree's node arrays; node 0 is the root).
// A node is a leaf when left[i] == -1; its value is then condition[i].
struct TreeNodes {
  std::vector<int32_t> left;
  std::vector<int32_t> right;
  std::vector<uint32_t> feature;
  std::vector<float> condition;  // split threshold, or leaf value
  std::vector<uint8_t> default_left;
  int32_t group = 0;  // output group (class) the tree adds to
};

struct ForestParams {
  int64_t num_features = 0;
  int64_t num_groups = 1;  // values per row: num_class for multi:softprob, else 1
  float base_margin = 0;   // the objective's ProbToMargin(base_score)
  OutputTransform transform = OutputTransform::kIdentity;
};

// The code that walks the trees. Every kernel gives the same bits; they
// differ in speed. kAvx2 / kAvx512 walk 8 / 16 rows per vector; blocks of
// fewer than 32 rows take the scalar kernel whatever the choice.
enum class ForestKernel { kScalar, kAvx2, kAvx512 };

// "scalar", "avx2", "avx512".
std::string_view ForestKernelName(ForestKernel kernel);
// The kernel called `name` (one of the above); InvalidArgument otherwise.
Result<ForestKernel> ParseForestKernel(std::string_view name);
// OK when this build and this CPU can run `kernel` (the CPU is asked once
// per process); else FailedPrecondition naming what is missing, e.g.
// "forest kernel avx512 needs a CPU with AVX-512F".
Status ForestKernelSupported(ForestKernel kernel);
// The kernel Forest::Create picks: the fastest one this CPU supports.
ForestKernel DefaultForestKernel();

// An immutable compiled ensemble. Thread-safe: Predict is const and keeps
// no state; many threads may call it at once.
class Forest {
 public:
  // Rows evaluated together (their margins stay in L1 while the trees stream by).
  static constexpr int64_t kBlockRows = 128;

  // Builds the flat layout. Unimplemented (with the reason, e.g. "tree 3 is
  // 14 levels deep; the native predictor handles up to 12") for a tree the
  // layout cannot represent exactly: deeper than kMaxNativeDepth, a right
  // child that is not left + 1 (XGBoost's predictor assumes it), a cycle, a
  // child or feature index out of range, a group outside [0, num_groups).
  // InvalidArgument for inconsistent arrays or params.
  // The forest scores with DefaultForestKernel() (the scalar kernel when
  // num_features is too large for the SIMD kernels' 32-bit offsets).
  static Result<Forest> Create(const ForestParams& params, const std::vector<TreeNodes>& trees);

  // Switches to `kernel` (not thread-safe: before the forest is shared).
  // FailedPrecondition, with the reason, when the CPU or the forest does not
  // allow it (ForestKernelSupported; more than 2^24 features for SIMD).
  Status SetKernel(ForestKernel kernel);
  ForestKernel kernel() const { return kernel_; }

  // Scores `rows` rows of params.num_features floats each (row-major, NaN =
  // missing) into out[rows * num_groups]. No allocation.
  void Predict(const float* x, int64_t rows, float* out) const;
  // The same for doubles, each converted to float first as XGBoost does;
  // `scratch` must hold at least kBlockRows * num_features floats.
  void Predict(const double* x, int64_t rows, float* out, std::span<float> scratch) const;

  const ForestParams& params() const { return params_; }
  int64_t num_trees() const { return static_cast<int64_t>(trees_.size()); }

 private:
  using Split = internal::Split;
  struct Tree {
    int32_t depth;        // leaves sit at this level; 0 for a single-leaf tree
    int32_t group;        // output group
    uint32_t split_base;  // offset in splits_: (1 << depth) - 1 entries, heap order
    uint32_t leaf_base;   // offset in leaves_: 1 << depth entries
    bool SameShape(const Tree& other) const { return depth == other.depth && group == other.group; }
  };

  explicit Forest(const ForestParams& params) : params_(params) {}
  Status AddTree(const TreeNodes& nodes, size_t index);
  void PredictBlock(const float* x, int64_t rows, float* out) const;
  void Finish(float* out, int64_t rows) const;

  ForestParams params_;
  ForestKernel kernel_ = ForestKernel::kScalar;
  const internal::TreeKernels* kernels_ = nullptr;  // the table of kernel_
  // kernel_'s four-trees-at-once table for small blocks, if it has one.
  const internal::QuadTreeKernels* quad_kernels_ = nullptr;
  std::vector<Tree> trees_;
  std::vector<Split> splits_;
  std::vector<float> leaves_;
};

}  // namespace ferry::backends::xgboost

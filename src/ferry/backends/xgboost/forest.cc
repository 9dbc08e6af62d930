#include "ferry/backends/xgboost/forest.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

namespace ferry::backends::xgboost {

namespace {

using internal::kDefaultLeftBit;
using internal::kFeatureMask;

std::string TreeLabel(size_t index) { return "tree " + std::to_string(index); }

// XGBoost 1.7.4 common::Sigmoid, operation for operation.
inline float Sigmoid(float x) {
  constexpr float kEps = static_cast<float>(1e-16);
  x = std::min(-x, 88.7f);
  float denom = std::exp(x) + 1.0f + kEps;
  return 1.0f / denom;
}

// XGBoost 1.7.4 common::Softmax over one row's margins.
inline void Softmax(float* v, int64_t n) {
  float wmax = v[0];
  for (int64_t i = 1; i < n; ++i) wmax = std::fmax(v[i], wmax);
  double wsum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    v[i] = std::exp(v[i] - wmax);
    wsum += v[i];
  }
  for (int64_t i = 0; i < n; ++i) v[i] /= static_cast<float>(wsum);
}

template <size_t... D>
constexpr internal::TreeKernels ScalarTable(std::index_sequence<D...>) {
  return {&internal::EvalTreeScalar<static_cast<int>(D)>...};
}

constexpr internal::TreeKernels kScalarKernels =
    ScalarTable(std::make_index_sequence<kMaxNativeDepth + 1>());

const internal::TreeKernels* KernelTable(ForestKernel kernel) {
  switch (kernel) {
    case ForestKernel::kScalar:
      return &kScalarKernels;
    case ForestKernel::kAvx2:
      return internal::Avx2TreeKernels();
    case ForestKernel::kAvx512:
      return internal::Avx512TreeKernels();
  }
  return nullptr;
}

}  // namespace

namespace internal {
TreeKernel ScalarTreeKernel(int depth) { return kScalarKernels[static_cast<size_t>(depth)]; }
}  // namespace internal

std::string_view ForestKernelName(ForestKernel kernel) {
  switch (kernel) {
    case ForestKernel::kScalar:
      return "scalar";
    case ForestKernel::kAvx2:
      return "avx2";
    case ForestKernel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

Result<ForestKernel> ParseForestKernel(std::string_view name) {
  for (ForestKernel k : {ForestKernel::kScalar, ForestKernel::kAvx2, ForestKernel::kAvx512}) {
    if (name == ForestKernelName(k)) return k;
  }
  return InvalidArgument("unknown forest kernel '" + std::string(name) +
                         "'; expected scalar, avx2 or avx512");
}

Status ForestKernelSupported(ForestKernel kernel) {
  if (KernelTable(kernel) != nullptr) return Status::Ok();
  const char* needs = kernel == ForestKernel::kAvx512 ? "AVX-512F" : "AVX2";
  return FailedPrecondition("forest kernel " + std::string(ForestKernelName(kernel)) +
                            " needs a CPU with " + needs);
}

ForestKernel DefaultForestKernel() {
  static const ForestKernel best = [] {
    for (ForestKernel k : {ForestKernel::kAvx512, ForestKernel::kAvx2}) {
      if (KernelTable(k) != nullptr) return k;
    }
    return ForestKernel::kScalar;
  }();
  return best;
}

Status Forest::SetKernel(ForestKernel kernel) {
  FERRY_RETURN_IF_ERROR(ForestKernelSupported(kernel));
  if (kernel != ForestKernel::kScalar && params_.num_features > internal::kMaxSimdFeatures) {
    return FailedPrecondition("forest kernel " + std::string(ForestKernelName(kernel)) +
                              " handles up to " + std::to_string(internal::kMaxSimdFeatures) +
                              " features; the model has " + std::to_string(params_.num_features));
  }
  kernel_ = kernel;
  kernels_ = KernelTable(kernel);
  quad_kernels_ = kernel == ForestKernel::kAvx512 ? internal::Avx512QuadTreeKernels() : nullptr;
  return Status::Ok();
}

Result<Forest> Forest::Create(const ForestParams& params, const std::vector<TreeNodes>& trees) {
  if (params.num_features < 1 || params.num_features > int64_t{kFeatureMask}) {
    return InvalidArgument("native predictor: num_features " + std::to_string(params.num_features) +
                           " is out of range");
  }
  if (params.num_groups < 1) {
    return InvalidArgument("native predictor: num_groups " + std::to_string(params.num_groups) +
                           " is out of range");
  }
  if (params.transform == OutputTransform::kSoftmax ? params.num_groups < 2
                                                    : params.num_groups != 1) {
    return Unimplemented("native predictor: " + std::to_string(params.num_groups) +
                         " output groups with this objective");
  }
  Forest forest(params);
  for (size_t t = 0; t < trees.size(); ++t) FERRY_RETURN_IF_ERROR(forest.AddTree(trees[t], t));
  if (!forest.SetKernel(DefaultForestKernel()).ok()) {
    FERRY_RETURN_IF_ERROR(forest.SetKernel(ForestKernel::kScalar));
  }
  return forest;
}

Status Forest::AddTree(const TreeNodes& nodes, size_t index) {
  const size_t n = nodes.left.size();
  if (n == 0 || nodes.right.size() != n || nodes.feature.size() != n ||
      nodes.condition.size() != n || nodes.default_left.size() != n) {
    return InvalidArgument("native predictor: " + TreeLabel(index) +
                           " has node arrays of different lengths (or none)");
  }
  if (nodes.group < 0 || nodes.group >= params_.num_groups) {
    return Unimplemented("native predictor: " + TreeLabel(index) + " adds to group " +
                         std::to_string(nodes.group) + " of " + std::to_string(params_.num_groups));
  }
  // Depth and checks, by a walk bounded by kMaxNativeDepth (so a cycle stops it too).
  int depth = 0;
  std::vector<std::pair<int32_t, int>> stack = {{0, 0}};
  while (!stack.empty()) {
    auto [node, level] = stack.back();
    stack.pop_back();
    if (level > kMaxNativeDepth) {
      return Unimplemented("native predictor: " + TreeLabel(index) + " is deeper than " +
                           std::to_string(kMaxNativeDepth) + " levels");
    }
    const int32_t left = nodes.left[static_cast<size_t>(node)];
    if (left == -1) {
      depth = std::max(depth, level);
      continue;
    }
    const int32_t right = nodes.right[static_cast<size_t>(node)];
    if (left < 0 || static_cast<size_t>(left) >= n || right != left + 1 ||
        static_cast<size_t>(right) >= n) {
      return Unimplemented("native predictor: " + TreeLabel(index) + " node " +
                           std::to_string(node) + " has children " + std::to_string(left) + ", " +
                           std::to_string(right) + " (expected two adjacent nodes)");
    }
    if (nodes.feature[static_cast<size_t>(node)] >= static_cast<uint64_t>(params_.num_features)) {
      return Unimplemented("native predictor: " + TreeLabel(index) + " node " +
                           std::to_string(node) + " splits on feature " +
                           std::to_string(nodes.feature[static_cast<size_t>(node)]) + " of " +
                           std::to_string(params_.num_features));
    }
    stack.emplace_back(left, level + 1);
    stack.emplace_back(right, level + 1);
  }
  const size_t num_splits = (size_t{1} << depth) - 1;
  const size_t num_leaves = size_t{1} << depth;
  if (splits_.size() + num_splits > std::numeric_limits<uint32_t>::max() ||
      leaves_.size() + num_leaves > std::numeric_limits<uint32_t>::max()) {
    return Unimplemented("native predictor: the model is too large to lay out");
  }
  Tree tree{.depth = depth,
            .group = nodes.group,
            .split_base = static_cast<uint32_t>(splits_.size()),
            .leaf_base = static_cast<uint32_t>(leaves_.size())};
  // A leaf above the last level becomes pass-through splits (feature 0,
  // either way) over copies of its value.
  splits_.resize(splits_.size() + num_splits, Split{0, 0.0f});
  leaves_.resize(leaves_.size() + num_leaves, 0.0f);
  struct Place {
    int32_t node;
    uint32_t heap;  // heap position in the complete tree
    int level;
  };
  std::vector<Place> todo = {{0, 0, 0}};
  while (!todo.empty()) {
    Place p = todo.back();
    todo.pop_back();
    const size_t node = static_cast<size_t>(p.node);
    if (nodes.left[node] == -1) {
      const uint32_t position = p.heap - ((uint32_t{1} << p.level) - 1);
      const uint32_t span = uint32_t{1} << (depth - p.level);
      std::fill_n(leaves_.begin() + tree.leaf_base + position * span, span, nodes.condition[node]);
      continue;
    }
    splits_[tree.split_base + p.heap] =
        Split{nodes.feature[node] | (nodes.default_left[node] != 0 ? kDefaultLeftBit : 0u),
              nodes.condition[node]};
    todo.push_back({nodes.left[node], 2 * p.heap + 1, p.level + 1});
    todo.push_back({nodes.right[node], 2 * p.heap + 2, p.level + 1});
  }
  trees_.push_back(tree);
  return Status::Ok();
}

void Forest::PredictBlock(const float* x, int64_t rows, float* out) const {
  const internal::TreeKernels& kernels = rows < internal::kMinSimdRows ? kScalarKernels : *kernels_;
  const internal::QuadTreeKernels* quad =
      rows >= internal::kMinQuadRows && rows < internal::kMinSimdRows ? quad_kernels_ : nullptr;
  const int64_t groups = params_.num_groups;
  std::fill_n(out, rows * groups, params_.base_margin);
  for (size_t i = 0; i < trees_.size();) {
    const Tree& t = trees_[i];
    if (quad != nullptr && i + 4 <= trees_.size() && t.SameShape(trees_[i + 1]) &&
        t.SameShape(trees_[i + 2]) && t.SameShape(trees_[i + 3])) {
      const internal::Split* splits[4];
      const float* leaves[4];
      for (size_t k = 0; k < 4; ++k) {
        splits[k] = splits_.data() + trees_[i + k].split_base;
        leaves[k] = leaves_.data() + trees_[i + k].leaf_base;
      }
      (*quad)[static_cast<size_t>(t.depth)](splits, leaves, x, params_.num_features, rows,
                                            out + t.group, groups);
      i += 4;
      continue;
    }
    kernels[static_cast<size_t>(t.depth)](splits_.data() + t.split_base,
                                          leaves_.data() + t.leaf_base, x, params_.num_features,
                                          rows, out + t.group, groups);
    ++i;
  }
  Finish(out, rows);
}

void Forest::Finish(float* out, int64_t rows) const {
  switch (params_.transform) {
    case OutputTransform::kIdentity:
      return;
    case OutputTransform::kSigmoid:
      for (int64_t i = 0; i < rows; ++i) out[i] = Sigmoid(out[i]);
      return;
    case OutputTransform::kExp:
      for (int64_t i = 0; i < rows; ++i) out[i] = std::exp(out[i]);
      return;
    case OutputTransform::kHinge:
      for (int64_t i = 0; i < rows; ++i) out[i] = out[i] > 0.0 ? 1.0f : 0.0f;
      return;
    case OutputTransform::kSoftmax:
      for (int64_t i = 0; i < rows; ++i) Softmax(out + i * params_.num_groups, params_.num_groups);
      return;
  }
}

void Forest::Predict(const float* x, int64_t rows, float* out) const {
  const int64_t nf = params_.num_features;
  for (int64_t r = 0; r < rows; r += kBlockRows) {
    const int64_t n = std::min(kBlockRows, rows - r);
    PredictBlock(x + r * nf, n, out + r * params_.num_groups);
  }
}

void Forest::Predict(const double* x, int64_t rows, float* out, std::span<float> scratch) const {
  const int64_t nf = params_.num_features;
  for (int64_t r = 0; r < rows; r += kBlockRows) {
    const int64_t n = std::min(kBlockRows, rows - r);
    const double* in = x + r * nf;
    for (int64_t i = 0; i < n * nf; ++i)
      scratch[static_cast<size_t>(i)] = static_cast<float>(in[i]);
    PredictBlock(scratch.data(), n, out + r * params_.num_groups);
  }
}

}  // namespace ferry::backends::xgboost

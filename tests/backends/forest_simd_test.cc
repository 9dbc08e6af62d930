// The native evaluator's tree-walking kernels (forest.h: ForestKernel):
// every kernel this CPU has gives the same bits as the scalar one, and as a
// plain walk of XGBoost's node arrays, on random forests with NaN, ±Inf,
// values equal to thresholds, both default directions, every depth the
// layout takes, ragged row counts and several output groups.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "ferry/backends/xgboost/forest.h"

namespace ferry::backends::xgboost {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

void PrintTo(ForestKernel kernel, std::ostream* os) { *os << ForestKernelName(kernel); }

namespace {

// Values the rows and the thresholds share, so that rows hit thresholds exactly.
const std::vector<float>& SharedValues() {
  static const std::vector<float> values = {-2.5f, -1.0f, -0.0f, 0.0f, 0.25f, 0.5f, 1.0f, 3.0f};
  return values;
}

// A random tree reaching exactly `depth` levels (its leftmost path always
// splits), with leaves higher up elsewhere; XGBoost's layout: children of a
// split are two adjacent nodes.
TreeNodes RandomTree(std::mt19937& gen, int depth, int64_t num_features, int32_t group) {
  std::uniform_int_distribution<uint32_t> feature(0, static_cast<uint32_t>(num_features - 1));
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> pick(0, 99);
  TreeNodes t;
  t.group = group;
  struct Pending {
    int level;
    bool leftmost;
  };
  std::vector<Pending> nodes = {{0, true}};  // breadth-first: children appended in pairs
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto [level, leftmost] = nodes[i];
    const bool split = level < depth && (leftmost || pick(gen) < 80);
    if (!split) {
      t.left.push_back(-1);
      t.right.push_back(-1);
      t.feature.push_back(0);
      // Leaf values of mixed magnitudes: a different order of additions
      // would change the float sums.
      t.condition.push_back(normal(gen) * std::pow(10.0f, static_cast<float>(pick(gen) % 7 - 3)));
      t.default_left.push_back(0);
      continue;
    }
    const auto left = static_cast<int32_t>(nodes.size());
    nodes.push_back({level + 1, leftmost});
    nodes.push_back({level + 1, false});
    t.left.push_back(left);
    t.right.push_back(left + 1);
    t.feature.push_back(feature(gen));
    const int kind = pick(gen);
    float threshold = normal(gen);
    if (kind < 30) threshold = SharedValues()[static_cast<size_t>(kind) % SharedValues().size()];
    if (kind == 30) threshold = kInf;
    if (kind == 31) threshold = -kInf;
    t.condition.push_back(threshold);
    t.default_left.push_back(pick(gen) < 50 ? 1 : 0);
  }
  return t;
}

// Rows of normal noise with NaN, ±Inf and the shared threshold values mixed in.
std::vector<float> RandomRows(std::mt19937& gen, int64_t rows, int64_t num_features) {
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<float> x(static_cast<size_t>(rows * num_features));
  for (float& v : x) {
    const int kind = pick(gen);
    if (kind < 10) {
      v = std::nanf("");
    } else if (kind < 12) {
      v = kind == 10 ? kInf : -kInf;
    } else if (kind < 40) {
      v = SharedValues()[static_cast<size_t>(kind) % SharedValues().size()];
    } else {
      v = normal(gen);
    }
  }
  return x;
}

// XGBoost's walk over the node arrays, one row and one tree at a time.
std::vector<float> ReferenceMargins(const std::vector<TreeNodes>& trees, const ForestParams& p,
                                    const std::vector<float>& x, int64_t rows) {
  std::vector<float> out(static_cast<size_t>(rows * p.num_groups), p.base_margin);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = &x[static_cast<size_t>(r * p.num_features)];
    for (const TreeNodes& t : trees) {
      size_t n = 0;
      while (t.left[n] != -1) {
        const float v = row[t.feature[n]];
        const bool left = std::isnan(v) ? t.default_left[n] != 0 : v < t.condition[n];
        n = static_cast<size_t>(left ? t.left[n] : t.right[n]);
      }
      out[static_cast<size_t>(r * p.num_groups + t.group)] += t.condition[n];
    }
  }
  return out;
}

size_t DifferingBits(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  size_t differing = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) ++differing;
  }
  return differing;
}

const std::vector<int64_t>& RowCounts() {
  static const std::vector<int64_t> counts = {1,  7,  8,   9,   15,  16,  17,  31,  32,
                                              33, 48, 100, 127, 128, 129, 200, 1000};
  return counts;
}

// The forest's output with `kernel` for the first `rows` rows of x.
std::vector<float> PredictWith(Forest forest, ForestKernel kernel, const std::vector<float>& x,
                               int64_t rows) {
  EXPECT_TRUE(forest.SetKernel(kernel).ok());
  std::vector<float> out(static_cast<size_t>(rows * forest.params().num_groups));
  forest.Predict(x.data(), rows, out.data());
  return out;
}

class ForestKernelParity : public ::testing::TestWithParam<ForestKernel> {
 protected:
  void SetUp() override {
    const Status supported = ForestKernelSupported(GetParam());
    if (!supported.ok()) GTEST_SKIP() << supported.message();
  }

  // Every row count: the kernel against the scalar kernel (and, for one
  // group, against the reference walk), bit for bit.
  void ExpectParity(const ForestParams& params, const std::vector<TreeNodes>& trees,
                    uint32_t seed) {
    auto forest = Forest::Create(params, trees);
    ASSERT_TRUE(forest.ok()) << forest.status().ToString();
    std::mt19937 gen(seed);
    const int64_t max_rows = RowCounts().back();
    const std::vector<float> x = RandomRows(gen, max_rows, params.num_features);
    for (int64_t rows : RowCounts()) {
      const std::vector<float> got = PredictWith(*forest, GetParam(), x, rows);
      const std::vector<float> scalar = PredictWith(*forest, ForestKernel::kScalar, x, rows);
      EXPECT_EQ(DifferingBits(got, scalar), 0u) << rows << " rows";
      if (params.transform == OutputTransform::kIdentity) {
        EXPECT_EQ(DifferingBits(got, ReferenceMargins(trees, params, x, rows)), 0u)
            << rows << " rows, reference";
      }
    }
    // The double input path converts each block, then takes the same kernel.
    Forest with_kernel = *forest;
    ASSERT_TRUE(with_kernel.SetKernel(GetParam()).ok());
    std::vector<double> x64(x.begin(), x.end());
    std::vector<float> scratch(static_cast<size_t>(Forest::kBlockRows * params.num_features));
    std::vector<float> from_double(static_cast<size_t>(max_rows * params.num_groups));
    with_kernel.Predict(x64.data(), max_rows, from_double.data(), scratch);
    EXPECT_EQ(DifferingBits(from_double, PredictWith(*forest, GetParam(), x, max_rows)), 0u);
  }
};

TEST_P(ForestKernelParity, EveryDepthMatchesScalar) {
  for (int depth = 0; depth <= kMaxNativeDepth; ++depth) {
    SCOPED_TRACE("depth " + std::to_string(depth));
    std::mt19937 gen(100 + static_cast<uint32_t>(depth));
    ForestParams params{.num_features = 30, .num_groups = 1, .base_margin = 0.5f};
    std::vector<TreeNodes> trees;
    for (int t = 0; t < (depth > 9 ? 4 : 12); ++t) {
      trees.push_back(RandomTree(gen, depth, params.num_features, 0));
    }
    ExpectParity(params, trees, 7 + static_cast<uint32_t>(depth));
  }
}

TEST_P(ForestKernelParity, MixedDepthsAndManyFeaturesMatchScalar) {
  std::mt19937 gen(42);
  ForestParams params{.num_features = 200, .num_groups = 1, .base_margin = -1.25f};
  std::vector<TreeNodes> trees;
  for (int t = 0; t < 40; ++t) {
    trees.push_back(RandomTree(gen, t % (kMaxNativeDepth + 1), params.num_features, 0));
  }
  ExpectParity(params, trees, 43);
  params.transform = OutputTransform::kSigmoid;
  ExpectParity(params, trees, 44);
}

TEST_P(ForestKernelParity, SoftmaxGroupsMatchScalar) {
  std::mt19937 gen(7);
  ForestParams params{.num_features = 17,
                      .num_groups = 3,
                      .base_margin = 0.5f,
                      .transform = OutputTransform::kSoftmax};
  std::vector<TreeNodes> trees;
  for (int t = 0; t < 36; ++t) {
    trees.push_back(RandomTree(gen, 2 + t % 7, params.num_features, t % 3));
  }
  ExpectParity(params, trees, 8);
}

// A single split on one feature: the decision of every kernel for each pair
// of (value, threshold) among NaN, ±Inf, ±0 and equal values, both default
// directions, in all lanes of full vectors.
TEST_P(ForestKernelParity, ComparisonEdgeCases) {
  const std::vector<float> values = {std::nanf(""),
                                     kInf,
                                     -kInf,
                                     0.0f,
                                     -0.0f,
                                     1.0f,
                                     -1.0f,
                                     std::nextafter(1.0f, 2.0f),
                                     std::nextafter(1.0f, 0.0f)};
  for (uint8_t default_left : {uint8_t{0}, uint8_t{1}}) {
    for (float threshold : values) {
      if (std::isnan(threshold)) continue;
      TreeNodes t;
      t.left = {1, -1, -1};
      t.right = {2, -1, -1};
      t.feature = {0, 0, 0};
      t.condition = {threshold, -1.0f, 1.0f};
      t.default_left = {default_left, 0, 0};
      ForestParams params{.num_features = 1};
      auto forest = Forest::Create(params, {t});
      ASSERT_TRUE(forest.ok());
      std::vector<float> x;
      for (int rep = 0; rep < 8; ++rep) x.insert(x.end(), values.begin(), values.end());
      const auto rows = static_cast<int64_t>(x.size());
      const std::vector<float> got = PredictWith(*forest, GetParam(), x, rows);
      for (int64_t r = 0; r < rows; ++r) {
        const float v = x[static_cast<size_t>(r)];
        const bool right = std::isnan(v) ? default_left == 0 : !(v < threshold);
        EXPECT_EQ(got[static_cast<size_t>(r)], right ? 1.0f : -1.0f)
            << "v " << v << " threshold " << threshold << " default_left " << int{default_left};
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, ForestKernelParity,
                         ::testing::Values(ForestKernel::kScalar, ForestKernel::kAvx2,
                                           ForestKernel::kAvx512),
                         [](const ::testing::TestParamInfo<ForestKernel>& info) {
                           return std::string(ForestKernelName(info.param));
                         });

// A tree that is one leaf of value `value`.
TreeNodes SingleLeaf(float value) {
  TreeNodes leaf;
  leaf.left = {-1};
  leaf.right = {-1};
  leaf.feature = {0};
  leaf.condition = {value};
  leaf.default_left = {0};
  return leaf;
}

TEST(ForestKernelTest, NamesParseAndTheDefaultIsSupported) {
  for (ForestKernel k : {ForestKernel::kScalar, ForestKernel::kAvx2, ForestKernel::kAvx512}) {
    auto parsed = ParseForestKernel(ForestKernelName(k));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_EQ(ParseForestKernel("sse4").status().message(),
            "unknown forest kernel 'sse4'; expected scalar, avx2 or avx512");
  EXPECT_TRUE(ForestKernelSupported(ForestKernel::kScalar).ok());
  EXPECT_TRUE(ForestKernelSupported(DefaultForestKernel()).ok());

  const TreeNodes leaf = SingleLeaf(2.0f);
  auto forest = Forest::Create(ForestParams{.num_features = 1}, {leaf});
  ASSERT_TRUE(forest.ok());
  EXPECT_EQ(forest->kernel(), DefaultForestKernel());
  for (ForestKernel k : {ForestKernel::kAvx2, ForestKernel::kAvx512}) {
    const Status supported = ForestKernelSupported(k);
    const Status set = forest->SetKernel(k);
    EXPECT_EQ(set.ok(), supported.ok());
    if (!supported.ok()) {
      EXPECT_EQ(supported.code(), StatusCode::kFailedPrecondition);
      EXPECT_EQ(supported.message(), "forest kernel " + std::string(ForestKernelName(k)) +
                                         " needs a CPU with " +
                                         (k == ForestKernel::kAvx2 ? "AVX2" : "AVX-512F"));
      EXPECT_EQ(set.message(), supported.message());
    }
  }
}

// Row offsets in the SIMD kernels are 32-bit: a forest with more features
// stays on the scalar kernel and refuses the others with the reason.
TEST(ForestKernelTest, TooManyFeaturesStayScalar) {
  const TreeNodes leaf = SingleLeaf(2.0f);
  const int64_t features = (int64_t{1} << 24) + 1;
  auto forest = Forest::Create(ForestParams{.num_features = features}, {leaf});
  ASSERT_TRUE(forest.ok()) << forest.status().ToString();
  EXPECT_EQ(forest->kernel(), ForestKernel::kScalar);
  for (ForestKernel k : {ForestKernel::kAvx2, ForestKernel::kAvx512}) {
    if (!ForestKernelSupported(k).ok()) continue;
    const Status set = forest->SetKernel(k);
    EXPECT_EQ(set.code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(set.message(), "forest kernel " + std::string(ForestKernelName(k)) +
                                 " handles up to 16777216 features; the model has 16777217");
  }
}

}  // namespace
}  // namespace ferry::backends::xgboost

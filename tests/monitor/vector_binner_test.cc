#include "ferry/monitor/vector_binner.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace ferry::monitor {
namespace {

// `features` numeric features; feature f has 1 + (f + 1) % 13 cut points.
bundle::Baseline ManyFeatures(size_t features) {
  bundle::Baseline b;
  b.rows = 100;
  for (size_t f = 0; f < features; ++f) {
    bundle::NumericProfile n;
    n.count = 100;
    const size_t cuts = 1 + (f + 1) % 13;  // 0 to 12 compared cuts
    for (size_t c = 0; c < cuts; ++c) {
      n.cut_points.push_back(-2.0 + 4.0 * static_cast<double>(c) / static_cast<double>(cuts));
    }
    n.bin_counts.assign(cuts, 100 / cuts);
    n.bin_counts.back() += 100 - (100 / cuts) * cuts;
    b.features.push_back({"x" + std::to_string(f), n});
  }
  return b;
}

TEST(VectorBinnerTest, SameBinsAsAddNumberAndSkipsWhatItIsTold) {
  for (size_t width : {1u, 7u, 8u, 9u, 30u, 64u, 70u}) {
    const DriftReference ref = MakeDriftReference(ManyFeatures(width));
    std::vector<uint32_t> features;
    for (size_t f = 0; f < width; ++f) features.push_back(static_cast<uint32_t>(width - 1 - f));
    std::unique_ptr<VectorBinner> binner = VectorBinner::Make(ref, features);
    if (binner == nullptr) GTEST_SKIP() << "no AVX-512 on this CPU";
    ASSERT_EQ(binner->width(), width);
    DriftCounts got(ref), want(ref);
    std::mt19937_64 rng(width);
    std::normal_distribution<double> normal(0, 1.5);
    for (size_t rows : {1u, 2u, 63u, 64u, 200u}) {
      std::vector<double> values(rows * width);
      std::vector<uint64_t> skip(rows * binner->skip_words());
      for (size_t r = 0; r < rows; ++r) {
        for (size_t i = 0; i < width; ++i) {
          const std::vector<double>& cuts = ref.features[features[i]].cut_points;
          // Every fourth value sits exactly on a cut point (which belongs to the bin below).
          double& v = values[r * width + i];
          v = rng() % 4 == 0 ? cuts[rng() % cuts.size()] : normal(rng);
          if (rng() % 10 == 0) {
            skip[r * binner->skip_words() + i / 64] |= uint64_t{1} << (i % 64);
          } else {
            want.AddNumber(features[i], v);
          }
        }
      }
      binner->AddRows(values.data(), skip.data(), rows, got);
    }
    for (size_t f = 0; f < width; ++f) {
      for (size_t bin = 0; bin <= ref.features[f].bins(); ++bin) {
        EXPECT_EQ(got.counts(f)[bin], want.counts(f)[bin]) << width << " " << f << " " << bin;
      }
    }
  }
}

TEST(VectorBinnerTest, RefusesFeaturesItCannotBin) {
  bundle::Baseline b = ManyFeatures(3);
  bundle::NumericProfile wide;
  wide.count = 100;
  for (int c = 0; c < 14; ++c) wide.cut_points.push_back(c);
  wide.bin_counts.assign(14, 0);
  wide.bin_counts[0] = 100;
  b.features.push_back({"wide", wide});
  const DriftReference ref = MakeDriftReference(b);
  EXPECT_EQ(VectorBinner::Make(ref, {0, 3}), nullptr);  // 13 compared cuts
  EXPECT_EQ(VectorBinner::Make(ref, {}), nullptr);
}

}  // namespace
}  // namespace ferry::monitor

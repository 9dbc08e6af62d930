// VectorBinner (vector_binner.h), its kernel compiled for AVX-512 with a target attribute so that
// the rest of the binary still runs on any x86-64.
#include "ferry/monitor/vector_binner.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "ferry/table/csv_simd.h"

namespace ferry::monitor {
namespace {

#if defined(__x86_64__)
#define FERRY_TARGET_AVX512 __attribute__((target("avx512f,avx512dq")))

// For one group of eight features with kCuts compared cuts each (`table`: cut c of lane j at
// table[8 * c + j]): above[8 * c + j] = how many of the rows' values of lane j lie above cut c,
// total[j] = how many values of lane j were taken (lanes of `valid`, not skipped).
template <size_t kCuts>
FERRY_TARGET_AVX512 void CountGroup(const double* values, size_t stride, const uint64_t* skip,
                                    size_t skip_stride, size_t rows, unsigned shift, unsigned valid,
                                    const double* table, int64_t* above, int64_t* total) {
  __m512d cut[kCuts];
  __m512i sum[kCuts];
  for (size_t c = 0; c < kCuts; ++c) {
    cut[c] = _mm512_loadu_pd(table + 8 * c);
    sum[c] = _mm512_setzero_si512();
  }
  __m512i taken = _mm512_setzero_si512();
  const __m512i one = _mm512_set1_epi64(1);
  for (size_t r = 0; r < rows; ++r) {
    const __mmask8 m =
        static_cast<__mmask8>(valid & ~static_cast<unsigned>(skip[r * skip_stride] >> shift));
    const __m512d v = _mm512_maskz_loadu_pd(m, values + r * stride);
    taken = _mm512_mask_add_epi64(taken, m, taken, one);
    for (size_t c = 0; c < kCuts; ++c) {
      const __mmask8 up = _mm512_mask_cmp_pd_mask(m, v, cut[c], _CMP_GT_OQ);
      sum[c] = _mm512_mask_add_epi64(sum[c], up, sum[c], one);
    }
  }
  for (size_t c = 0; c < kCuts; ++c) _mm512_storeu_si512(above + 8 * c, sum[c]);
  _mm512_storeu_si512(total, taken);
}

using CountGroupFn = void (*)(const double*, size_t, const uint64_t*, size_t, size_t, unsigned,
                              unsigned, const double*, int64_t*, int64_t*);

template <size_t... C>
constexpr std::array<CountGroupFn, sizeof...(C)> CountGroupTable(std::index_sequence<C...>) {
  return {&CountGroup<C + 1>...};
}

// CountGroup for 1 to kMaxCuts cuts.
constexpr auto kCountGroup = CountGroupTable(std::make_index_sequence<VectorBinner::kMaxCuts>());

bool HasAvx512() {
  static const bool supported =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return supported;
}
#else
bool HasAvx512() { return false; }
#endif

}  // namespace

std::unique_ptr<VectorBinner> VectorBinner::Make(const DriftReference& ref,
                                                 const std::vector<uint32_t>& features) {
  if (!HasAvx512() || !table::CsvSimdAllowed() || features.empty()) return nullptr;
  size_t cuts = 0;
  std::unique_ptr<VectorBinner> binner(new VectorBinner());
  for (uint32_t f : features) {
    const FeatureBins& b = ref.features[f];
    if (!b.numeric || b.cut_points.empty() || b.cut_points.size() - 1 > kMaxCuts) return nullptr;
    binner->cuts_of_.push_back(static_cast<uint32_t>(b.cut_points.size() - 1));
    cuts = std::max(cuts, b.cut_points.size() - 1);
  }
  if (cuts == 0) return nullptr;  // one bin each: nothing to compare
  binner->features_ = features;
  binner->cuts_ = cuts;
  const size_t groups = (features.size() + 7) / 8;
  binner->tables_.assign(groups * cuts * 8, std::numeric_limits<double>::infinity());
  for (size_t i = 0; i < features.size(); ++i) {
    const std::vector<double>& cut_points = ref.features[features[i]].cut_points;
    for (size_t c = 0; c + 1 < cut_points.size(); ++c) {
      binner->tables_[(i / 8 * cuts + c) * 8 + i % 8] = cut_points[c];
    }
  }
  return binner;
}

void VectorBinner::AddRows(const double* values, const uint64_t* skip, size_t rows,
                           DriftCounts& counts) const {
#if defined(__x86_64__)
  const size_t n = features_.size();
  int64_t above[kMaxCuts * 8];
  int64_t total[8];
  for (size_t base = 0; base < n; base += 8) {
    const size_t lanes = std::min<size_t>(8, n - base);
    kCountGroup[cuts_ - 1](values + base, n, skip + base / 64, skip_words(), rows,
                           static_cast<unsigned>(base % 64), (1u << lanes) - 1,
                           tables_.data() + base / 8 * cuts_ * 8, above, total);
    // Bin 0 holds the values above no cut, bin c those above cut c - 1 but not cut c, the last
    // bin those above every cut.
    for (size_t j = 0; j < lanes; ++j) {
      const size_t f = features_[base + j];
      const size_t cuts = cuts_of_[base + j];
      if (cuts == 0) {  // one bin
        counts.AddToBin(f, 0, total[j]);
        continue;
      }
      counts.AddToBin(f, 0, total[j] - above[j]);
      for (size_t c = 1; c < cuts; ++c) {
        counts.AddToBin(f, c, above[8 * (c - 1) + j] - above[8 * c + j]);
      }
      counts.AddToBin(f, cuts, above[8 * (cuts - 1) + j]);
    }
  }
#else
  (void)values, (void)skip, (void)rows, (void)counts;
#endif
}

}  // namespace ferry::monitor

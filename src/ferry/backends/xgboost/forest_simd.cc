// The AVX2 and AVX-512 tree kernels (forest_kernels.h), compiled for their
// instruction sets with target attributes so that the rest of the binary
// still runs on any x86-64; the tables are handed out only when the CPU has
// the instructions.
//
// Each vector holds one row per lane (8 for AVX2, 16 for AVX-512), walking a
// tree level by level: fetch each lane's split, gather the lane's feature
// value, compare (NaN to the default side, as GoesRight), move to the child.
// The splits of the top levels, and the leaves of shallow trees, are taken
// from registers with permutes (a level of 2^L splits is 2^(L+1) words: up
// to 32 words for AVX2, 64 for AVX-512, i.e. levels 0-4 / 0-5 of a depth-6
// tree and all its leaves for AVX-512); deeper levels gather them. Four
// vectors walk together to hide gather latency (measured faster than two on
// AMD EPYC / Zen 4), then two; the last rows that fill no such group take
// the scalar kernel (a lone vector waits on its gathers and is no faster
// than the scalar kernel's 8 interleaved rows). At the end each lane
// adds its leaf to its row's margin: the same float additions, in the same
// order, as the scalar kernel.
#include "ferry/backends/xgboost/forest_kernels.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <utility>

namespace ferry::backends::xgboost::internal {

namespace {

#define FERRY_TARGET_AVX2 __attribute__((target("avx2")))
#define FERRY_TARGET_AVX512 __attribute__((target("avx2,avx512f")))

// ---------------------------------------------------------------- AVX2 ----

constexpr int kAvx2Lanes = 8;
constexpr int kAvx2Vectors = 4;  // walking together

// One level for one vector: right when !(v < t), NaN to the default side
// (bit 31 of the feature word selects `v >= t` over `!(v < t)`).
FERRY_TARGET_AVX2 inline __m256i StepAvx2(__m256i idx, __m256i feature, __m256 threshold,
                                          const float* x, __m256i offsets) {
  const __m256i at =
      _mm256_add_epi32(_mm256_and_si256(feature, _mm256_set1_epi32(int{kFeatureMask})), offsets);
  const __m256 v = _mm256_i32gather_ps(x, at, 4);
  const __m256 not_less = _mm256_cmp_ps(v, threshold, _CMP_NLT_UQ);
  const __m256 greater_equal = _mm256_cmp_ps(v, threshold, _CMP_GE_OQ);
  const __m256 right = _mm256_blendv_ps(not_less, greater_equal, _mm256_castsi256_ps(feature));
  // 2 * idx + 1 + right, with right as 0 / -1.
  return _mm256_sub_epi32(_mm256_add_epi32(_mm256_add_epi32(idx, idx), _mm256_set1_epi32(1)),
                          _mm256_castps_si256(right));
}

// words[pos & 15] from the 16 words at `words`.
FERRY_TARGET_AVX2 inline __m256i PickAvx2(const __m256i* words, __m256i pos) {
  return _mm256_castps_si256(_mm256_blendv_ps(
      _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(_mm256_loadu_si256(words), pos)),
      _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(_mm256_loadu_si256(words + 1), pos)),
      _mm256_castsi256_ps(_mm256_slli_epi32(pos, 28))));  // bit 3 of pos as the sign
}

// words[pos] in each lane, for a table of kWords (4, 8, 16 or 32) 32-bit
// words held in registers: loads, permutes and blends instead of a gather.
template <int kWords>
FERRY_TARGET_AVX2 inline __m256i LookupAvx2(const void* table, __m256i pos) {
  const auto* words = static_cast<const __m256i*>(table);
  if constexpr (kWords == 4) {  // the register holds the 4 words twice
    return _mm256_permutevar8x32_epi32(
        _mm256_broadcastsi128_si256(_mm_loadu_si128(static_cast<const __m128i*>(table))), pos);
  } else if constexpr (kWords == 8) {
    return _mm256_permutevar8x32_epi32(_mm256_loadu_si256(words), pos);  // uses pos & 7
  } else if constexpr (kWords == 16) {
    return PickAvx2(words, pos);
  } else {
    static_assert(kWords == 32);
    return _mm256_castps_si256(_mm256_blendv_ps(
        _mm256_castsi256_ps(PickAvx2(words, pos)), _mm256_castsi256_ps(PickAvx2(words + 2, pos)),
        _mm256_castsi256_ps(_mm256_slli_epi32(pos, 27))));  // bit 4 of pos as the sign
  }
}

// Tables up to this many words are looked up in registers.
constexpr int kAvx2TableWords = 32;

// The feature words and thresholds of each lane's split at level kLevel.
template <int kLevel>
FERRY_TARGET_AVX2 inline void SplitsAvx2(const Split* splits, __m256i idx, __m256i* feature,
                                         __m256* threshold) {
  constexpr int kFirst = (1 << kLevel) - 1;
  constexpr int kWords = 2 << kLevel;  // the level's splits
  if constexpr (kLevel == 0) {
    *feature = _mm256_set1_epi32(static_cast<int>(splits[0].feature));
    *threshold = _mm256_set1_ps(splits[0].threshold);
  } else if constexpr (kWords <= kAvx2TableWords) {
    const __m256i rel = _mm256_sub_epi32(idx, _mm256_set1_epi32(kFirst));
    const __m256i pos = _mm256_add_epi32(rel, rel);  // word of the feature
    *feature = LookupAvx2<kWords>(splits + kFirst, pos);
    *threshold = _mm256_castsi256_ps(
        LookupAvx2<kWords>(splits + kFirst, _mm256_add_epi32(pos, _mm256_set1_epi32(1))));
  } else {
    *feature = _mm256_i32gather_epi32(reinterpret_cast<const int*>(splits), idx, 8);
    *threshold = _mm256_i32gather_ps(&splits[0].threshold, idx, 8);
  }
}

// Walks kVectors vectors of rows (offsets[v]: each lane's row start in x)
// down levels kLevel..kDepth-1.
template <int kLevel, int kDepth, int kVectors>
FERRY_TARGET_AVX2 inline void LevelsAvx2(const Split* splits, const float* x,
                                         const __m256i* offsets, __m256i* idx) {
  if constexpr (kLevel < kDepth) {
    for (int v = 0; v < kVectors; ++v) {
      __m256i feature;
      __m256 threshold;
      SplitsAvx2<kLevel>(splits, idx[v], &feature, &threshold);
      idx[v] = StepAvx2(idx[v], feature, threshold, x, offsets[v]);
    }
    LevelsAvx2<kLevel + 1, kDepth, kVectors>(splits, x, offsets, idx);
  }
}

// kVectors * 8 rows from x, their margins at out[row * stride].
template <int kDepth, int kVectors>
FERRY_TARGET_AVX2 inline void RowsAvx2(const Split* splits, const float* leaves, const float* x,
                                       const __m256i* offsets, float* out, int64_t stride) {
  __m256i idx[kVectors];
  for (int v = 0; v < kVectors; ++v) idx[v] = _mm256_setzero_si256();
  LevelsAvx2<0, kDepth, kVectors>(splits, x, offsets, idx);
  for (int v = 0; v < kVectors; ++v) {
    const __m256i at = _mm256_sub_epi32(idx[v], _mm256_set1_epi32((1 << kDepth) - 1));
    __m256 leaf;
    if constexpr ((1 << kDepth) >= 4 && (1 << kDepth) <= kAvx2TableWords) {
      leaf = _mm256_castsi256_ps(LookupAvx2<(1 << kDepth)>(leaves, at));
    } else {
      leaf = _mm256_i32gather_ps(leaves, at, 4);
    }
    float* o = out + v * kAvx2Lanes * stride;
    if (stride == 1) {
      _mm256_storeu_ps(o, _mm256_add_ps(_mm256_loadu_ps(o), leaf));
    } else {
      alignas(32) float values[kAvx2Lanes];
      _mm256_store_ps(values, leaf);
      for (int l = 0; l < kAvx2Lanes; ++l) o[l * stride] += values[l];
    }
  }
}

template <int kDepth>
FERRY_TARGET_AVX2 void EvalTreeAvx2(const Split* splits, const float* leaves, const float* x,
                                    int64_t num_features, int64_t rows, float* out,
                                    int64_t stride) {
  const int nf = static_cast<int>(num_features);
  __m256i offsets[kAvx2Vectors];
  for (int v = 0; v < kAvx2Vectors; ++v) {
    offsets[v] =
        _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(nf));
    offsets[v] = _mm256_add_epi32(offsets[v], _mm256_set1_epi32(v * kAvx2Lanes * nf));
  }
  constexpr int kStep = kAvx2Vectors * kAvx2Lanes;
  int64_t r = 0;
  for (; r + kStep <= rows; r += kStep) {
    RowsAvx2<kDepth, kAvx2Vectors>(splits, leaves, x + r * nf, offsets, out + r * stride, stride);
  }
  if (r + 2 * kAvx2Lanes <= rows) {
    RowsAvx2<kDepth, 2>(splits, leaves, x + r * nf, offsets, out + r * stride, stride);
    r += 2 * kAvx2Lanes;
  }
  // A lone vector waits on its gathers: the scalar kernel is as fast for it.
  if (r < rows) {
    ScalarTreeKernel(kDepth)(splits, leaves, x + r * nf, num_features, rows - r, out + r * stride,
                             stride);
  }
}

// ------------------------------------------------------------- AVX-512 ----

constexpr int kAvx512Lanes = 16;
constexpr int kAvx512Vectors = 4;  // walking together
// GCC 12's unmasked gathers and permutes start from _mm512_undefined_*(),
// which -Wmaybe-uninitialized flags: the kernels use the masked forms.
constexpr __mmask16 kAll16 = 0xFFFF;

FERRY_TARGET_AVX512 inline __m512i StepAvx512(__m512i idx, __m512i feature, __m512 threshold,
                                              const float* x, __m512i offsets) {
  const __m512i at =
      _mm512_add_epi32(_mm512_and_si512(feature, _mm512_set1_epi32(int{kFeatureMask})), offsets);
  const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), kAll16, at, x, 4);
  const __mmask16 not_less = _mm512_cmp_ps_mask(v, threshold, _CMP_NLT_UQ);
  const __mmask16 greater_equal = _mm512_cmp_ps_mask(v, threshold, _CMP_GE_OQ);
  const __mmask16 default_left =
      _mm512_test_epi32_mask(feature, _mm512_set1_epi32(static_cast<int>(kDefaultLeftBit)));
  const __mmask16 right =
      static_cast<__mmask16>((default_left & greater_equal) | (~default_left & not_less));
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i next = _mm512_add_epi32(_mm512_add_epi32(idx, idx), one);
  return _mm512_mask_add_epi32(next, right, next, one);
}

// words[pos] in each lane, for a table of kWords (a power of two up to
// kAvx512TableWords) 32-bit words held in registers: one to four loads and
// permutes instead of a gather.
template <int kWords>
FERRY_TARGET_AVX512 inline __m512i LookupAvx512(const void* table, __m512i pos) {
  const int* words = static_cast<const int*>(table);
  if constexpr (kWords <= 16) {
    constexpr auto kLoad = static_cast<__mmask16>((1u << kWords) - 1);
    return _mm512_maskz_permutexvar_epi32(kAll16, pos, _mm512_maskz_loadu_epi32(kLoad, words));
  } else if constexpr (kWords == 32) {
    return _mm512_permutex2var_epi32(_mm512_loadu_si512(words), pos,
                                     _mm512_loadu_si512(words + 16));
  } else {
    static_assert(kWords == 64);
    const __m512i low =
        _mm512_permutex2var_epi32(_mm512_loadu_si512(words), pos, _mm512_loadu_si512(words + 16));
    const __m512i high = _mm512_permutex2var_epi32(_mm512_loadu_si512(words + 32), pos,
                                                   _mm512_loadu_si512(words + 48));
    return _mm512_mask_blend_epi32(_mm512_test_epi32_mask(pos, _mm512_set1_epi32(32)), low, high);
  }
}

// Tables up to this many words are looked up in registers.
constexpr int kAvx512TableWords = 64;

template <int kLevel>
FERRY_TARGET_AVX512 inline void SplitsAvx512(const Split* splits, __m512i idx, __m512i* feature,
                                             __m512* threshold) {
  constexpr int kFirst = (1 << kLevel) - 1;
  constexpr int kWords = 2 << kLevel;  // the level's splits
  if constexpr (kLevel == 0) {
    *feature = _mm512_set1_epi32(static_cast<int>(splits[0].feature));
    *threshold = _mm512_set1_ps(splits[0].threshold);
  } else if constexpr (kWords <= kAvx512TableWords) {
    const __m512i rel = _mm512_sub_epi32(idx, _mm512_set1_epi32(kFirst));
    const __m512i pos = _mm512_add_epi32(rel, rel);
    *feature = LookupAvx512<kWords>(splits + kFirst, pos);
    *threshold = _mm512_castsi512_ps(
        LookupAvx512<kWords>(splits + kFirst, _mm512_add_epi32(pos, _mm512_set1_epi32(1))));
  } else {
    *feature = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), kAll16, idx, splits, 8);
    *threshold =
        _mm512_mask_i32gather_ps(_mm512_setzero_ps(), kAll16, idx, &splits[0].threshold, 8);
  }
}

template <int kLevel, int kDepth, int kVectors>
FERRY_TARGET_AVX512 inline void LevelsAvx512(const Split* splits, const float* x,
                                             const __m512i* offsets, __m512i* idx) {
  if constexpr (kLevel < kDepth) {
    for (int v = 0; v < kVectors; ++v) {
      __m512i feature;
      __m512 threshold;
      SplitsAvx512<kLevel>(splits, idx[v], &feature, &threshold);
      idx[v] = StepAvx512(idx[v], feature, threshold, x, offsets[v]);
    }
    LevelsAvx512<kLevel + 1, kDepth, kVectors>(splits, x, offsets, idx);
  }
}

template <int kDepth, int kVectors>
FERRY_TARGET_AVX512 inline void RowsAvx512(const Split* splits, const float* leaves, const float* x,
                                           const __m512i* offsets, float* out, int64_t stride) {
  __m512i idx[kVectors];
  for (int v = 0; v < kVectors; ++v) idx[v] = _mm512_setzero_si512();
  LevelsAvx512<0, kDepth, kVectors>(splits, x, offsets, idx);
  for (int v = 0; v < kVectors; ++v) {
    const __m512i at = _mm512_sub_epi32(idx[v], _mm512_set1_epi32((1 << kDepth) - 1));
    __m512 leaf;
    if constexpr ((1 << kDepth) <= kAvx512TableWords) {
      leaf = _mm512_castsi512_ps(LookupAvx512<(1 << kDepth)>(leaves, at));
    } else {
      leaf = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), kAll16, at, leaves, 4);
    }
    float* o = out + v * kAvx512Lanes * stride;
    if (stride == 1) {
      _mm512_storeu_ps(o, _mm512_add_ps(_mm512_loadu_ps(o), leaf));
    } else {
      alignas(64) float values[kAvx512Lanes];
      _mm512_store_ps(values, leaf);
      for (int l = 0; l < kAvx512Lanes; ++l) o[l * stride] += values[l];
    }
  }
}

template <int kDepth>
FERRY_TARGET_AVX512 void EvalTreeAvx512(const Split* splits, const float* leaves, const float* x,
                                        int64_t num_features, int64_t rows, float* out,
                                        int64_t stride) {
  const int nf = static_cast<int>(num_features);
  __m512i offsets[kAvx512Vectors];
  for (int v = 0; v < kAvx512Vectors; ++v) {
    offsets[v] =
        _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                           _mm512_set1_epi32(nf));
    offsets[v] = _mm512_add_epi32(offsets[v], _mm512_set1_epi32(v * kAvx512Lanes * nf));
  }
  constexpr int kStep = kAvx512Vectors * kAvx512Lanes;
  int64_t r = 0;
  for (; r + kStep <= rows; r += kStep) {
    RowsAvx512<kDepth, kAvx512Vectors>(splits, leaves, x + r * nf, offsets, out + r * stride,
                                       stride);
  }
  if (r + 2 * kAvx512Lanes <= rows) {
    RowsAvx512<kDepth, 2>(splits, leaves, x + r * nf, offsets, out + r * stride, stride);
    r += 2 * kAvx512Lanes;
  }
  // A lone vector waits on its gathers: the scalar kernel is as fast for it.
  if (r < rows) {
    ScalarTreeKernel(kDepth)(splits, leaves, x + r * nf, num_features, rows - r, out + r * stride,
                             stride);
  }
}

// Four trees walk the same 16 rows, one vector each (a QuadTreeKernel).
template <int kLevel, int kDepth>
FERRY_TARGET_AVX512 inline void QuadLevelsAvx512(const Split* const* splits, const float* x,
                                                 __m512i offsets, __m512i* idx) {
  if constexpr (kLevel < kDepth) {
    for (int t = 0; t < 4; ++t) {
      __m512i feature;
      __m512 threshold;
      SplitsAvx512<kLevel>(splits[t], idx[t], &feature, &threshold);
      idx[t] = StepAvx512(idx[t], feature, threshold, x, offsets);
    }
    QuadLevelsAvx512<kLevel + 1, kDepth>(splits, x, offsets, idx);
  }
}

template <int kDepth>
FERRY_TARGET_AVX512 void EvalQuadAvx512(const Split* const* splits, const float* const* leaves,
                                        const float* x, int64_t num_features, int64_t rows,
                                        float* out, int64_t stride) {
  constexpr int kTrees = 4;
  const int nf = static_cast<int>(num_features);
  const __m512i offsets =
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(nf));
  int64_t r = 0;
  for (; r + kAvx512Lanes <= rows; r += kAvx512Lanes) {
    __m512i idx[kTrees];
    for (int t = 0; t < kTrees; ++t) idx[t] = _mm512_setzero_si512();
    QuadLevelsAvx512<0, kDepth>(splits, x + r * nf, offsets, idx);
    __m512 leaf[kTrees];
    for (int t = 0; t < kTrees; ++t) {
      const __m512i at = _mm512_sub_epi32(idx[t], _mm512_set1_epi32((1 << kDepth) - 1));
      if constexpr ((1 << kDepth) <= kAvx512TableWords) {
        leaf[t] = _mm512_castsi512_ps(LookupAvx512<(1 << kDepth)>(leaves[t], at));
      } else {
        leaf[t] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), kAll16, at, leaves[t], 4);
      }
    }
    float* o = out + r * stride;
    if (stride == 1) {
      __m512 margin = _mm512_loadu_ps(o);
      for (int t = 0; t < kTrees; ++t) margin = _mm512_add_ps(margin, leaf[t]);
      _mm512_storeu_ps(o, margin);
    } else {
      alignas(64) float values[kTrees][kAvx512Lanes];
      for (int t = 0; t < kTrees; ++t) _mm512_store_ps(values[t], leaf[t]);
      for (int l = 0; l < kAvx512Lanes; ++l) {
        for (int t = 0; t < kTrees; ++t) o[l * stride] += values[t][l];
      }
    }
  }
  // The last rows, tree by tree: each row still adds the trees in order.
  for (int t = 0; r < rows && t < kTrees; ++t) {
    ScalarTreeKernel(kDepth)(splits[t], leaves[t], x + r * nf, num_features, rows - r,
                             out + r * stride, stride);
  }
}

#undef FERRY_TARGET_AVX2
#undef FERRY_TARGET_AVX512

template <size_t... D>
constexpr TreeKernels Avx2Table(std::index_sequence<D...>) {
  return {&EvalTreeAvx2<static_cast<int>(D)>...};
}

template <size_t... D>
constexpr TreeKernels Avx512Table(std::index_sequence<D...>) {
  return {&EvalTreeAvx512<static_cast<int>(D)>...};
}

template <size_t... D>
constexpr QuadTreeKernels Avx512QuadTable(std::index_sequence<D...>) {
  return {&EvalQuadAvx512<static_cast<int>(D)>...};
}

constexpr TreeKernels kAvx2Kernels = Avx2Table(std::make_index_sequence<kMaxNativeDepth + 1>());
constexpr TreeKernels kAvx512Kernels = Avx512Table(std::make_index_sequence<kMaxNativeDepth + 1>());
constexpr QuadTreeKernels kAvx512QuadKernels =
    Avx512QuadTable(std::make_index_sequence<kMaxNativeDepth + 1>());

}  // namespace

const TreeKernels* Avx2TreeKernels() {
  static const bool supported = __builtin_cpu_supports("avx2");
  return supported ? &kAvx2Kernels : nullptr;
}

bool HasAvx512() {
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f");
  return supported;
}

const TreeKernels* Avx512TreeKernels() { return HasAvx512() ? &kAvx512Kernels : nullptr; }

const QuadTreeKernels* Avx512QuadTreeKernels() {
  return HasAvx512() ? &kAvx512QuadKernels : nullptr;
}

}  // namespace ferry::backends::xgboost::internal

#else  // not x86-64: only the scalar kernel

namespace ferry::backends::xgboost::internal {

const TreeKernels* Avx2TreeKernels() { return nullptr; }
const TreeKernels* Avx512TreeKernels() { return nullptr; }
const QuadTreeKernels* Avx512QuadTreeKernels() { return nullptr; }

}  // namespace ferry::backends::xgboost::internal

#endif

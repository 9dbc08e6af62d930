// Per-field cost of reading a numeric CSV (docs/BENCHMARKS.md, issues 5 and 7): the scalar
// scanner field after field (each field starting where the previous scan stopped), the
// separator index, and the AVX-512 conversion of the fields between index entries. Data: 20,000
// rows of 30 normal values written with "%.6g", as bench/batch/make_data.py writes them.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "ferry/table/decimal_fields.h"
#include "ferry/table/decimal_scan.h"
#include "ferry/table/separator_index.h"

namespace {

constexpr int kRows = 20000;
constexpr int kColumns = 30;

const std::string& Csv() {
  static const std::string csv = [] {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal(0, 1);
    std::string s;
    char buf[32];
    for (int r = 0; r < kRows; ++r) {
      for (int c = 0; c < kColumns; ++c) {
        std::snprintf(buf, sizeof buf, "%.6g", normal(rng));
        s += buf;
        s += c + 1 == kColumns ? '\n' : ',';
      }
    }
    s.append(64, '\0');  // padding, as chunk buffers have
    return s;
  }();
  return csv;
}

constexpr int64_t kFields = int64_t{kRows} * kColumns;

void BM_ScalarScan(benchmark::State& state) {
  const std::string& csv = Csv();
  const char* end = csv.data() + csv.size() - 64;
  std::vector<float> out(kFields);
  for (auto _ : state) {
    const char* p = csv.data();
    for (int64_t i = 0; i < kFields; ++i) {
      double v = 0;
      const char* q = ferry::table::ScanSimpleDecimal(p, end, &v);
      if (q == nullptr) {  // not a plain decimal (none in this data): skip the field
        q = p;
        while (*q != ',' && *q != '\n') ++q;
      }
      p = q + 1;  // past the separator
      out[i] = static_cast<float>(v);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kFields);
}
BENCHMARK(BM_ScalarScan);

void BM_SeparatorIndex(benchmark::State& state) {
  const std::string& csv = Csv();
  ferry::table::SeparatorIndex index;
  for (auto _ : state) {
    index.Build(csv.data(), csv.size() - 64);
    benchmark::DoNotOptimize(index.entries());
  }
  state.SetItemsProcessed(state.iterations() * kFields);
}
BENCHMARK(BM_SeparatorIndex);

void BM_DecimalFields(benchmark::State& state) {
  const ferry::table::DecimalFieldsToFloat convert = ferry::table::Avx512DecimalFieldsToFloat();
  if (convert == nullptr) {
    state.SkipWithError("no AVX-512 on this CPU");
    return;
  }
  const std::string& csv = Csv();
  ferry::table::SeparatorIndex index;
  index.Build(csv.data(), csv.size() - 64);
  std::vector<float> out(kFields);
  for (auto _ : state) {
    uint64_t left = 0;
    for (int64_t r = 0; r < kRows; ++r) {
      left |= convert(csv.data(), index.entries() + r * kColumns, kColumns, &out[r * kColumns]);
    }
    benchmark::DoNotOptimize(left);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kFields);
}
BENCHMARK(BM_DecimalFields);

}  // namespace

BENCHMARK_MAIN();

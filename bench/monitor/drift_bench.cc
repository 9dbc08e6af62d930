// Drift ingestion cost (issue 7): ns per value per feature of DriftCounts on
// a baseline of 30 numeric features with 10 bins each, as `ferry serve` will
// feed it. Run: build/release/bench/ferry_drift_bench
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "ferry/monitor/drift.h"

namespace {

constexpr size_t kFeatures = 30;
constexpr size_t kRows = 4096;

ferry::bundle::Baseline Baseline() {
  ferry::bundle::Baseline b;
  b.rows = 1000;
  for (size_t f = 0; f < kFeatures; ++f) {
    ferry::bundle::NumericProfile n;
    n.count = 1000;
    for (int i = 1; i <= 10; ++i) {
      n.cut_points.push_back(-2.0 + 0.4 * i);
      n.bin_counts.push_back(100);
    }
    b.features.push_back({"f" + std::to_string(f), n});
  }
  return b;
}

void BM_DriftAddNumber(benchmark::State& state) {
  ferry::monitor::DriftReference ref = ferry::monitor::MakeDriftReference(Baseline());
  ferry::monitor::DriftCounts counts(ref);
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0, 1.2);
  std::vector<double> rows(kRows * kFeatures);
  for (double& v : rows) v = normal(rng);
  for (auto _ : state) {
    const double* row = rows.data();
    for (size_t r = 0; r < kRows; ++r, row += kFeatures) {
      for (size_t f = 0; f < kFeatures; ++f) counts.AddNumber(f, row[f]);
    }
    benchmark::DoNotOptimize(counts.counts(0));
  }
  state.SetItemsProcessed(state.iterations() * kRows * kFeatures);
  state.counters["ns_per_value"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kRows * kFeatures),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DriftAddNumber);

}  // namespace

BENCHMARK_MAIN();

// Ferry's XGBoost backend against the best bare use of XGBoost's C API, on
// the same rows of the same model file, one thread each.
//
//   BM_BareXgboost: XGBoosterPredictFromDense with a proxy DMatrix made once,
//                   the prediction config and the array interface prebuilt.
//   BM_Ferry:       Session::Run of the "xgboost" backend with its default
//                   predictor: Ferry's native tree evaluator (forest.h).
//   BM_FerryXgboost: Session::Run forced onto XGBoost's predictor
//                   (LoadOptions::TreePredictor::kFramework: it validates the
//                   input, formats the array interface and copies the result
//                   into its output tensor on every call).
//   BM_Paired:      bare XGBoost and BM_Ferry, alternating call by call (and
//                   which goes first), each call timed on its own. On a shared
//                   VM whose speed drifts by 2x within minutes, this is the
//                   fair ratio: counters bare_ns_per_row, ferry_ns_per_row,
//                   overhead_pct (negative: Ferry is faster) and speedup.
//   BM_ForestKernel: the native evaluator alone (Forest::Predict, no
//                   Session) with each tree-walking kernel, for an A/B of
//                   scalar / avx2 / avx512 in one run; a kernel this CPU
//                   lacks is skipped with the reason.
//   BM_ForestKernelPaired: the same kernels alternating call by call, each
//                   timed on its own (the fair ratios, as BM_Paired).
//
// Models: binary:logistic, depth 6, 100 and 1000 trees, 30 features, trained
// on 20 000 synthetic rows. They are cached in $FERRY_BENCH_CACHE (default
// /tmp/ferry-bench-cache) so later runs skip training. Items are rows.
#include <benchmark/benchmark.h>
#include <xgboost/c_api.h>

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "ferry/backends/backend.h"
#include "ferry/backends/xgboost/booster.h"
#include "ferry/backends/xgboost/forest.h"
#include "ferry/backends/xgboost/forest_from_json.h"

namespace {

namespace fs = std::filesystem;
using ferry::DataType;
using ferry::Shape;
using ferry::TensorView;

constexpr int64_t kFeatures = 30;
constexpr int64_t kTrainRows = 20000;
constexpr int64_t kMaxBatch = 4096;
constexpr char kPredictConfig[] =
    "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
    "\"strict_shape\":false,\"cache_id\":0,\"missing\":NaN}";

// Benchmark set-up only: failures end the program.
void Must(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "%s failed: %s\n", what, XGBGetLastError());
    std::exit(1);
  }
}

std::vector<float> NormalRows(int64_t rows, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(static_cast<size_t>(rows * kFeatures));
  for (float& v : x) v = normal(gen);
  return x;
}

// The rows every benchmark predicts (the first `batch` of them).
const std::vector<float>& BenchRows() {
  static const std::vector<float> rows = NormalRows(kMaxBatch, 2);
  return rows;
}

fs::path CacheDir() {
  const char* env = std::getenv("FERRY_BENCH_CACHE");
  return env != nullptr ? fs::path(env) : fs::path("/tmp/ferry-bench-cache");
}

// Path of a depth-6 binary:logistic model with `trees` trees, trained on
// first use.
fs::path ModelFile(int trees) {
  fs::path path = CacheDir() / ("xgb_depth6_" + std::to_string(trees) + "trees_30f.ubj");
  if (fs::exists(path)) return path;
  fs::create_directories(path.parent_path());
  std::fprintf(stderr, "training %d trees into %s...\n", trees, path.c_str());
  std::vector<float> x = NormalRows(kTrainRows, 1);
  std::vector<float> y(kTrainRows);
  std::mt19937 gen(3);
  std::normal_distribution<float> noise;
  for (int64_t i = 0; i < kTrainRows; ++i) {
    const float* r = &x[static_cast<size_t>(i * kFeatures)];
    float z = r[0] + 0.8f * r[1] - 0.6f * r[2] * r[3] + 0.5f * std::sin(3 * r[4]) + noise(gen);
    y[static_cast<size_t>(i)] = z > 0 ? 1.0f : 0.0f;
  }
  DMatrixHandle data = nullptr;
  BoosterHandle booster = nullptr;
  Must(XGDMatrixCreateFromMat(x.data(), kTrainRows, kFeatures, NAN, &data), "create data");
  Must(XGDMatrixSetFloatInfo(data, "label", y.data(), kTrainRows), "set label");
  Must(XGBoosterCreate(&data, 1, &booster), "create booster");
  for (auto [k, v] : {std::pair{"objective", "binary:logistic"},
                      {"max_depth", "6"},
                      {"eta", "0.3"},
                      {"tree_method", "hist"},
                      {"nthread", "2"}}) {
    Must(XGBoosterSetParam(booster, k, v), k);
  }
  for (int i = 0; i < trees; ++i) Must(XGBoosterUpdateOneIter(booster, i, data), "train");
  // XGBoost picks the format from the extension: keep ".ubj" last.
  fs::path tmp = path.parent_path() / ("partial-" + path.filename().string());
  Must(XGBoosterSaveModel(booster, tmp.c_str()), "save");
  fs::rename(tmp, path);
  XGBoosterFree(booster);
  XGDMatrixFree(data);
  return path;
}

// A bare booster with its own proxy DMatrix, loaded once per tree count.
struct Bare {
  BoosterHandle booster = nullptr;
  DMatrixHandle proxy = nullptr;
};

Bare& BareModel(int trees) {
  static std::map<int, Bare>* models = new std::map<int, Bare>();  // process lifetime
  Bare& bare = (*models)[trees];
  if (bare.booster == nullptr) {
    Must(XGBoosterCreate(nullptr, 0, &bare.booster), "create");
    Must(XGBoosterLoadModel(bare.booster, ModelFile(trees).c_str()), "load");
    Must(XGBoosterSetParam(bare.booster, "nthread", "1"), "nthread");
    Must(XGProxyDMatrixCreate(&bare.proxy), "proxy");
  }
  return bare;
}

using TreePredictor = ferry::backends::LoadOptions::TreePredictor;

const ferry::backends::Model& FerryModel(int trees, TreePredictor predictor) {
  static auto* models =
      new std::map<std::pair<int, TreePredictor>, std::unique_ptr<ferry::backends::Model>>();
  auto& model = (*models)[{trees, predictor}];
  if (model == nullptr) {
    ferry::backends::ModelSpec spec;
    spec.artifact = ModelFile(trees);
    spec.task = ferry::Task::kBinaryClassification;
    spec.signature.inputs = {{"features", DataType::kFp32, Shape{-1, kFeatures}, {}}};
    spec.signature.outputs = {{"probability", DataType::kFp32, Shape{-1}, {}}};
    ferry::backends::LoadOptions options;
    options.threads_per_session = 1;
    options.tree_predictor = predictor;
    auto loaded = ferry::backends::FindBackend("xgboost")->Load(spec, options);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
      std::exit(1);
    }
    model = std::move(loaded).value();
  }
  return *model;
}

// The bare call on the first `batch` rows, array interface prebuilt.
class BareCall {
 public:
  BareCall(int trees, int64_t batch) : bare_(BareModel(trees)) {
    std::snprintf(array_, sizeof(array_),
                  "{\"data\":[%" PRIuPTR ",true],\"shape\":[%" PRId64 ",%" PRId64
                  "],\"typestr\":\"<f4\",\"version\":3}",
                  reinterpret_cast<uintptr_t>(BenchRows().data()), batch, kFeatures);
  }
  bool operator()() {
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* out = nullptr;
    int rc = XGBoosterPredictFromDense(bare_.booster, array_, kPredictConfig, bare_.proxy, &shape,
                                       &dim, &out);
    benchmark::DoNotOptimize(out);
    return rc == 0;
  }

 private:
  Bare& bare_;
  char array_[192];
};

// Ferry's Session::Run on the first `batch` rows.
class FerryCall {
 public:
  FerryCall(int trees, int64_t batch, TreePredictor predictor = TreePredictor::kNative)
      : session_(FerryModel(trees, predictor).NewSession()),
        view_(DataType::kFp32, Shape{batch, kFeatures}, BenchRows().data()) {}
  bool ok() const { return session_.ok(); }
  bool operator()() {
    auto out = (*session_)->Run(std::span<const TensorView>(&view_, 1));
    if (!out.ok()) return false;
    benchmark::DoNotOptimize((*out)[0].data());
    return true;
  }

 private:
  ferry::Result<std::unique_ptr<ferry::backends::Session>> session_;
  TensorView view_;
};

void BM_BareXgboost(benchmark::State& state) {
  const int64_t batch = state.range(1);
  BareCall call(static_cast<int>(state.range(0)), batch);
  for (auto _ : state) {
    if (!call()) {
      state.SkipWithError(XGBGetLastError());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void RunFerry(benchmark::State& state, TreePredictor predictor) {
  const int64_t batch = state.range(1);
  FerryCall call(static_cast<int>(state.range(0)), batch, predictor);
  for (auto _ : state) {
    if (!call()) {
      state.SkipWithError("Session::Run failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void BM_Ferry(benchmark::State& state) { RunFerry(state, TreePredictor::kNative); }
void BM_FerryXgboost(benchmark::State& state) { RunFerry(state, TreePredictor::kFramework); }

void BM_Paired(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  const int64_t batch = state.range(1);
  BareCall bare(static_cast<int>(state.range(0)), batch);
  FerryCall ferry(static_cast<int>(state.range(0)), batch);
  Clock::duration bare_time{}, ferry_time{};
  bool bare_first = true;
  for (auto _ : state) {
    Clock::time_point t0 = Clock::now();
    bool ok = bare_first ? bare() : ferry();
    Clock::time_point t1 = Clock::now();
    ok = (bare_first ? ferry() : bare()) && ok;
    Clock::time_point t2 = Clock::now();
    (bare_first ? bare_time : ferry_time) += t1 - t0;
    (bare_first ? ferry_time : bare_time) += t2 - t1;
    bare_first = !bare_first;
    if (!ok) {
      state.SkipWithError("prediction failed");
      break;
    }
  }
  const double rows = static_cast<double>(state.iterations() * batch);
  const double bare_ns = std::chrono::duration<double, std::nano>(bare_time).count();
  const double ferry_ns = std::chrono::duration<double, std::nano>(ferry_time).count();
  state.counters["bare_ns_per_row"] = bare_ns / rows;
  state.counters["ferry_ns_per_row"] = ferry_ns / rows;
  state.counters["overhead_pct"] = 100.0 * (ferry_ns / bare_ns - 1.0);
  state.counters["speedup"] = bare_ns / ferry_ns;
}

using ferry::backends::xgboost::ForestKernel;

// The native evaluator of the model with `trees` trees, built once.
const ferry::backends::xgboost::Forest& NativeForest(int trees) {
  static auto* forests = new std::map<int, ferry::backends::xgboost::Forest>();
  auto it = forests->find(trees);
  if (it == forests->end()) {
    auto booster = ferry::backends::xgboost::Booster::LoadFile(ModelFile(trees));
    auto json = booster.ok() ? booster->ModelJson() : ferry::Result<std::string>(booster.status());
    auto forest = json.ok() ? ferry::backends::xgboost::ForestFromModelJson(*json)
                            : ferry::Result<ferry::backends::xgboost::Forest>(json.status());
    if (!forest.ok()) {
      std::fprintf(stderr, "%s\n", forest.status().ToString().c_str());
      std::exit(1);
    }
    it = forests->emplace(trees, std::move(forest).value()).first;
  }
  return it->second;
}

// Args: kernel (ForestKernel as an int), trees, batch.
void BM_ForestKernel(benchmark::State& state) {
  const auto kernel = static_cast<ForestKernel>(state.range(0));
  const int64_t batch = state.range(2);
  ferry::backends::xgboost::Forest forest = NativeForest(static_cast<int>(state.range(1)));
  if (ferry::Status s = forest.SetKernel(kernel); !s.ok()) {
    state.SkipWithError(s.message().c_str());
    return;
  }
  state.SetLabel(std::string(ferry::backends::xgboost::ForestKernelName(kernel)));
  std::vector<float> out(static_cast<size_t>(batch));
  for (auto _ : state) {
    forest.Predict(BenchRows().data(), batch, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

// Every kernel this CPU has on the same rows, alternating call by call (the
// order rotating), each call timed on its own: the fair ratios on a VM whose
// speed drifts. Counters <kernel>_ns_per_row and <kernel>_speedup (over
// scalar). Args: trees, batch.
void BM_ForestKernelPaired(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  const int64_t batch = state.range(1);
  std::vector<ferry::backends::xgboost::Forest> forests;
  for (ForestKernel k : {ForestKernel::kScalar, ForestKernel::kAvx2, ForestKernel::kAvx512}) {
    forests.push_back(NativeForest(static_cast<int>(state.range(0))));
    if (!forests.back().SetKernel(k).ok()) forests.pop_back();
  }
  std::vector<Clock::duration> time(forests.size());
  std::vector<float> out(static_cast<size_t>(batch));
  size_t first = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < forests.size(); ++i) {
      const size_t k = (first + i) % forests.size();
      const Clock::time_point t0 = Clock::now();
      forests[k].Predict(BenchRows().data(), batch, out.data());
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
      time[k] += Clock::now() - t0;
    }
    first = (first + 1) % forests.size();
  }
  const double rows = static_cast<double>(state.iterations() * batch);
  const double scalar_ns = std::chrono::duration<double, std::nano>(time[0]).count();
  for (size_t k = 0; k < forests.size(); ++k) {
    const std::string name(ferry::backends::xgboost::ForestKernelName(forests[k].kernel()));
    const double ns = std::chrono::duration<double, std::nano>(time[k]).count();
    state.counters[name + "_ns_per_row"] = ns / rows;
    if (k > 0) state.counters[name + "_speedup"] = scalar_ns / ns;
  }
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"trees", "batch"})->ArgsProduct({{100, 1000}, {1, 64, kMaxBatch}});
}

BENCHMARK(BM_BareXgboost)->Apply(Args);
BENCHMARK(BM_Ferry)->Apply(Args);
BENCHMARK(BM_FerryXgboost)->Apply(Args);
BENCHMARK(BM_Paired)->Apply(Args);
BENCHMARK(BM_ForestKernel)
    ->ArgNames({"kernel", "trees", "batch"})
    ->ArgsProduct({{static_cast<int64_t>(ForestKernel::kScalar),
                    static_cast<int64_t>(ForestKernel::kAvx2),
                    static_cast<int64_t>(ForestKernel::kAvx512)},
                   {100, 1000},
                   {1, 8, 16, 64, 128, kMaxBatch}});
BENCHMARK(BM_ForestKernelPaired)
    ->ArgNames({"trees", "batch"})
    ->ArgsProduct({{100, 1000}, {1, 8, 16, 64, 128, kMaxBatch}});

}  // namespace

BENCHMARK_MAIN();

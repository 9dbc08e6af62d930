#include "ferry/backends/xgboost/xgboost_backend.h"

#include <gtest/gtest.h>
#include <omp.h>
#include <xgboost/c_api.h>

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backends/xgboost_test_models.h"
#include "ferry/backends/xgboost/learner_facts.h"
#include "ferry/backends/xgboost/xgboost_model.h"
#include "ferry/base/files.h"
#include "testing/test_util.h"

// Counts allocations made through operator new on threads that ask for it,
// so a test can compare Ferry's Run with a bare XGBoost call.
namespace {
thread_local bool t_count_allocations = false;
thread_local int64_t t_allocations = 0;

void* CountedAlloc(std::size_t n) {
  if (t_count_allocations) ++t_allocations;
  return std::malloc(n == 0 ? 1 : n);
}

// Out of line, so that g++ -O3 does not see free() paired with operator new
// (-Wmismatched-new-delete).
[[gnu::noinline]] void Release(void* p) noexcept { std::free(p); }
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = CountedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = CountedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, std::size_t) noexcept { Release(p); }
void operator delete[](void* p, std::size_t) noexcept { Release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Release(p); }

namespace ferry::backends::xgboost {
namespace {

namespace fs = std::filesystem;
using test_models::BinarySpec;
using test_models::kFeatures;
using test_models::LoadStatus;
using test_models::MakeRows;
using test_models::ModelDir;
using test_models::Must;
using test_models::MustLoad;
using test_models::Spec;
using test_models::Xgb;

constexpr char kPredictConfig[] =
    "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
    "\"strict_shape\":false,\"cache_id\":0,\"missing\":NaN}";

// XGBoost's own in-place prediction of `rows` with a booster loaded from
// `path` by XGBoost itself.
template <typename T>
std::vector<float> XgboostPredict(const fs::path& path, const std::vector<T>& x) {
  BoosterHandle booster = nullptr;
  Must(XGBoosterCreate(nullptr, 0, &booster), "XGBoosterCreate");
  Must(XGBoosterLoadModel(booster, path.c_str()), "XGBoosterLoadModel");
  char array[192];
  std::snprintf(array, sizeof(array),
                "{\"data\":[%" PRIuPTR ",true],\"shape\":[%zu,%" PRId64
                "],\"typestr\":\"%s\",\"version\":3}",
                reinterpret_cast<uintptr_t>(x.data()), x.size() / kFeatures, kFeatures,
                sizeof(T) == 4 ? "<f4" : "<f8");
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  Must(XGBoosterPredictFromDense(booster, array, kPredictConfig, nullptr, &shape, &dim, &out),
       "XGBoosterPredictFromDense");
  size_t n = 1;
  for (bst_ulong d = 0; d < dim; ++d) n *= shape[d];
  std::vector<float> result(out, out + n);
  XGBoosterFree(booster);
  return result;
}

template <typename T>
Result<std::span<const Tensor>> RunRows(Session& session, const std::vector<T>& x) {
  DataType type = sizeof(T) == 4 ? DataType::kFp32 : DataType::kFp64;
  TensorView view(type, Shape{static_cast<int64_t>(x.size()) / kFeatures, kFeatures}, x.data());
  return session.Run(std::span<const TensorView>(&view, 1));
}

std::vector<float> Values(const Tensor& t) {
  auto data = t.Data<float>();
  return {data.begin(), data.end()};
}

TEST(XgboostBackendTest, IsRegistered) {
  const Backend* backend = FindBackend("xgboost");
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->framework(), "xgboost");
  EXPECT_EQ(backend->artifact_extensions(), (std::vector<std::string>{".json", ".ubj"}));
}

struct PredictCase {
  std::string stem;
  std::string extension;
  Task task;
  Shape output_shape;
  bool fp64;
};

class PredictTest : public ::testing::TestWithParam<PredictCase> {};

TEST_P(PredictTest, MatchesXgboostExactlyIncludingNaN) {
  const PredictCase& c = GetParam();
  const std::string file = c.stem + c.extension;
  auto model = MustLoad(
      Spec(file, c.task, c.output_shape, kFeatures, c.fp64 ? DataType::kFp64 : DataType::kFp32));
  ASSERT_NE(model, nullptr);
  auto session = model->NewSession();
  ASSERT_TRUE(session.ok());
  const int64_t width = c.task == Task::kMulticlassClassification ? 3 : 1;
  for (int64_t rows : {37, 1, 5, 37}) {
    std::vector<float> x = MakeRows(rows, static_cast<uint32_t>(rows), /*with_nan=*/true);
    std::vector<double> x64(x.begin(), x.end());
    auto out = c.fp64 ? RunRows(**session, x64) : RunRows(**session, x);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->size(), 1u);
    const Tensor& t = (*out)[0];
    EXPECT_EQ(t.type(), DataType::kFp32);
    Shape expected = c.output_shape.rank() == 2 ? Shape{rows, width} : Shape{rows};
    EXPECT_EQ(t.shape(), expected);
    std::vector<float> want =
        c.fp64 ? XgboostPredict(ModelDir() / file, x64) : XgboostPredict(ModelDir() / file, x);
    ASSERT_EQ(Values(t).size(), want.size());
    EXPECT_EQ(std::memcmp(t.data(), want.data(), want.size() * sizeof(float)), 0)
        << file << " rows " << rows;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllTasksAndFormats, PredictTest,
    ::testing::Values(
        PredictCase{"binary", ".json", Task::kBinaryClassification, Shape{-1}, false},
        PredictCase{"binary", ".ubj", Task::kBinaryClassification, Shape{-1, 1}, true},
        PredictCase{"multi", ".json", Task::kMulticlassClassification, Shape{-1, 3}, false},
        PredictCase{"multi", ".ubj", Task::kMulticlassClassification, Shape{-1, 3}, true},
        PredictCase{"regression", ".json", Task::kRegression, Shape{-1, 1}, true},
        PredictCase{"regression", ".ubj", Task::kRegression, Shape{-1}, false}));

TEST(XgboostBackendTest, EmptyBatchGivesEmptyOutput) {
  auto model = MustLoad(Spec("multi.ubj", Task::kMulticlassClassification, Shape{-1, 3}));
  ASSERT_NE(model, nullptr);
  auto session = model->NewSession();
  ASSERT_TRUE(session.ok());
  TensorView empty(DataType::kFp32, Shape{0, kFeatures}, nullptr);
  auto out = (*session)->Run(std::span<const TensorView>(&empty, 1));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape(), (Shape{0, 3}));
}

TEST(XgboostBackendTest, ReusesTheOutputBuffer) {
  auto model = MustLoad(BinarySpec());
  ASSERT_NE(model, nullptr);
  auto session = model->NewSession();
  ASSERT_TRUE(session.ok());
  std::vector<float> big = MakeRows(64, 1, false), small = MakeRows(8, 2, false);
  const void* first = (*RunRows(**session, big))[0].data();
  EXPECT_EQ((*RunRows(**session, small))[0].data(), first);
  EXPECT_EQ((*RunRows(**session, big))[0].data(), first);
}

TEST(XgboostBackendTest, SessionOutlivesModel) {
  auto model = MustLoad(BinarySpec("binary.ubj"));
  ASSERT_NE(model, nullptr);
  auto session = model->NewSession();
  ASSERT_TRUE(session.ok());
  model.reset();
  std::vector<float> x = MakeRows(3, 3, true);
  auto out = RunRows(**session, x);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Values((*out)[0]), XgboostPredict(ModelDir() / "binary.ubj", x));
}

TEST(XgboostBackendTest, SetsThreadsPerSession) {
  LoadOptions options;
  options.threads_per_session = 2;
  auto model = MustLoad(BinarySpec(), options);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(dynamic_cast<const XgboostModel&>(*model).facts().nthread, 2);
  options.threads_per_session = 0;
  EXPECT_EQ(LoadStatus(BinarySpec(), options).message(),
            "threads_per_session must be at least 1, got 0");
}

TEST(XgboostBackendTest, LoadThreadsCapOnlyTheLoad) {
  const int before = omp_get_max_threads();
  LoadOptions options;
  options.load_threads = 1;
  auto model = MustLoad(BinarySpec("binary.ubj"), options);
  ASSERT_NE(model, nullptr);
  // The calling thread's OpenMP setting is back to what it was.
  EXPECT_EQ(omp_get_max_threads(), before);
  auto session = model->NewSession();
  ASSERT_TRUE(session.ok());
  std::vector<float> x = MakeRows(5, 3, true);
  auto out = RunRows(**session, x);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Values((*out)[0]), XgboostPredict(ModelDir() / "binary.ubj", x));
  options.load_threads = -1;
  EXPECT_EQ(LoadStatus(BinarySpec(), options).message(),
            "load_threads must not be negative, got -1");
}

TEST(XgboostBackendTest, InspectReadsTheFile) {
  auto binary = Xgb().Inspect(ModelDir() / "binary.ubj");
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  EXPECT_EQ(binary->task, Task::kBinaryClassification);
  EXPECT_EQ(binary->num_features, kFeatures);
  EXPECT_EQ(binary->num_classes, 0);
  EXPECT_EQ(binary->objective, "binary:logistic");
  EXPECT_EQ(binary->feature_names,
            (std::vector<std::string>{"age", "income", "height", "weight", "score", "tenure"}));
  auto multi = Xgb().Inspect(ModelDir() / "multi.json");
  ASSERT_TRUE(multi.ok());
  EXPECT_EQ(multi->task, Task::kMulticlassClassification);
  EXPECT_EQ(multi->num_classes, 3);
  EXPECT_TRUE(multi->feature_names.empty());
  auto regression = Xgb().Inspect(ModelDir() / "regression.json");
  ASSERT_TRUE(regression.ok());
  EXPECT_EQ(regression->task, Task::kRegression);
  EXPECT_EQ(regression->objective, "reg:squarederror");
  auto softmax = Xgb().Inspect(ModelDir() / "softmax.ubj");
  ASSERT_TRUE(softmax.ok());
  EXPECT_EQ(softmax->task, std::nullopt);
  EXPECT_EQ(softmax->objective, "multi:softmax");
  EXPECT_EQ(softmax->num_classes, 3);
  EXPECT_EQ(Xgb().Inspect(ModelDir() / "absent.json").status().code(), StatusCode::kNotFound);
}

TEST(XgboostBackendTest, MapsObjectivesToTasks) {
  EXPECT_EQ(TaskOfObjective("binary:logitraw"), Task::kBinaryClassification);
  EXPECT_EQ(TaskOfObjective("binary:hinge"), Task::kBinaryClassification);
  EXPECT_EQ(TaskOfObjective("multi:softprob"), Task::kMulticlassClassification);
  EXPECT_EQ(TaskOfObjective("multi:softmax"), std::nullopt);
  EXPECT_EQ(TaskOfObjective("count:poisson"), Task::kRegression);
  EXPECT_EQ(TaskOfObjective("survival:cox"), Task::kRegression);
  EXPECT_EQ(TaskOfObjective("reg:logistic"), Task::kRegression);
}

TEST(XgboostBackendTest, RefusesSignaturesThatDisagreeWithTheModel) {
  EXPECT_EQ(
      LoadStatus(Spec("binary.json", Task::kBinaryClassification, Shape{-1}, 5)).ToString(),
      "INVALID_ARGUMENT: signature input 'features' has 5 features but binary.json expects 6");
  ModelSpec fixed_batch = BinarySpec();
  fixed_batch.signature.inputs[0].shape = Shape{4, kFeatures};
  EXPECT_EQ(LoadStatus(fixed_batch).message(),
            "signature input 'features' has shape [4, 6]; expected [-1, 6] for binary.json");
  ModelSpec ints =
      Spec("binary.json", Task::kBinaryClassification, Shape{-1}, kFeatures, DataType::kInt32);
  EXPECT_EQ(LoadStatus(ints).message(),
            "signature input 'features' has datatype INT32; expected FP32 or FP64");
  ModelSpec two_inputs = BinarySpec();
  two_inputs.signature.inputs.push_back({"more", DataType::kFp32, Shape{-1, 1}, {}});
  EXPECT_EQ(LoadStatus(two_inputs).message(),
            "signature has 2 inputs; an XGBoost model takes exactly one, of shape [-1, 6]");
  ModelSpec two_outputs = BinarySpec();
  two_outputs.signature.outputs.push_back({"more", DataType::kFp32, Shape{-1}, {}});
  EXPECT_EQ(LoadStatus(two_outputs).message(),
            "signature has 2 outputs; binary.json produces exactly one");
  ModelSpec fp64_out = BinarySpec();
  fp64_out.signature.outputs[0].datatype = DataType::kFp64;
  EXPECT_EQ(LoadStatus(fp64_out).message(),
            "signature output 'prediction' has datatype FP64; XGBoost produces FP32");
  EXPECT_EQ(LoadStatus(Spec("binary.json", Task::kBinaryClassification, Shape{-1, 2})).message(),
            "signature output 'prediction' has shape [-1, 2]; expected [-1] or [-1, 1] for "
            "binary_classification");
  EXPECT_EQ(LoadStatus(Spec("multi.ubj", Task::kMulticlassClassification, Shape{-1, 4})).message(),
            "signature output 'prediction' has shape [-1, 4] but multi.ubj has 3 classes (expected "
            "[-1, 3])");
  EXPECT_EQ(LoadStatus(Spec("multi.ubj", Task::kMulticlassClassification, Shape{-1})).message(),
            "signature output 'prediction' has shape [-1] but multi.ubj has 3 classes (expected "
            "[-1, 3])");
}

TEST(XgboostBackendTest, RefusesTaskObjectiveMismatch) {
  EXPECT_EQ(LoadStatus(Spec("binary.json", Task::kRegression, Shape{-1})).ToString(),
            "INVALID_ARGUMENT: task regression does not match binary.json, whose objective "
            "binary:logistic is a binary_classification objective");
  EXPECT_EQ(LoadStatus(Spec("multi.json", Task::kBinaryClassification, Shape{-1})).message(),
            "task binary_classification does not match multi.json, whose objective "
            "multi:softprob is a multiclass_classification objective");
  EXPECT_EQ(
      LoadStatus(Spec("regression.ubj", Task::kMulticlassClassification, Shape{-1, 3})).message(),
      "task multiclass_classification does not match regression.ubj, whose objective "
      "reg:squarederror is a regression objective");
  EXPECT_EQ(
      LoadStatus(Spec("softmax.json", Task::kMulticlassClassification, Shape{-1, 3})).message(),
      "softmax.json has objective multi:softmax, which predicts a class index; Ferry serves "
      "class probabilities: train with objective multi:softprob");
}

TEST(XgboostBackendTest, RefusesBadInputsAtRun) {
  auto model = MustLoad(BinarySpec());
  ASSERT_NE(model, nullptr);
  auto session = model->NewSession();
  ASSERT_TRUE(session.ok());
  Session& s = **session;
  std::vector<float> x = MakeRows(2, 1, false);
  TensorView narrow(DataType::kFp32, Shape{2, 5}, x.data());
  EXPECT_EQ(s.Run(std::span<const TensorView>(&narrow, 1)).status().ToString(),
            "INVALID_ARGUMENT: input 'features': expected shape [-1, 6], got [2, 5]");
  TensorView flat(DataType::kFp32, Shape{12}, x.data());
  EXPECT_EQ(s.Run(std::span<const TensorView>(&flat, 1)).status().message(),
            "input 'features': expected shape [-1, 6], got [12]");
  TensorView ints(DataType::kInt32, Shape{2, 6}, x.data());
  EXPECT_EQ(s.Run(std::span<const TensorView>(&ints, 1)).status().message(),
            "input 'features': expected datatype FP32 or FP64, got INT32");
  TensorView two[2] = {narrow, narrow};
  EXPECT_EQ(s.Run(std::span<const TensorView>(two, 2)).status().message(),
            "expected 1 input ('features'), got 2");
  EXPECT_EQ(s.Run({}).status().message(), "expected 1 input ('features'), got 0");
  TensorView null_data(DataType::kFp32, Shape{2, 6}, nullptr);
  EXPECT_EQ(s.Run(std::span<const TensorView>(&null_data, 1)).status().message(),
            "input 'features' has no data");
  EXPECT_TRUE(RunRows(s, x).ok());  // the session still works
}

TEST(XgboostBackendTest, ConcurrentSessionsOnOneModelMatchSingleThread) {
  auto model = MustLoad(Spec("multi.ubj", Task::kMulticlassClassification, Shape{-1, 3}));
  ASSERT_NE(model, nullptr);
  constexpr int kBatches = 300;
  std::vector<std::vector<float>> batches, expected;
  auto single = model->NewSession();
  ASSERT_TRUE(single.ok());
  for (int i = 0; i < kBatches; ++i) {
    batches.push_back(MakeRows(1 + i % 50, static_cast<uint32_t>(i), true));
    expected.push_back(Values((*RunRows(**single, batches.back()))[0]));
  }
  std::vector<int> mismatches(2, 0);
  auto worker = [&](int id) {
    auto session = model->NewSession();
    if (!session.ok()) return;
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < kBatches; ++i) {
        int b = id == 0 ? i : kBatches - 1 - i;
        auto out = RunRows(**session, batches[b]);
        if (!out.ok() || Values((*out)[0]) != expected[b]) ++mismatches[id];
      }
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  EXPECT_EQ(mismatches, (std::vector<int>{0, 0}));
}

// Ferry's steady-state Run must allocate nothing beyond what XGBoost's own
// call allocates (XGBoost's predictor), and nothing at all (the native one).
TEST(XgboostBackendTest, SteadyStateRunAllocatesNoMoreThanBareXgboost) {
  LoadOptions xgboost_predictor;
  xgboost_predictor.tree_predictor = LoadOptions::TreePredictor::kFramework;
  auto model = MustLoad(BinarySpec("binary.ubj"), xgboost_predictor);
  auto native = MustLoad(BinarySpec("binary.ubj"));
  ASSERT_NE(native, nullptr);
  auto native_session = native->NewSession();
  ASSERT_TRUE(native_session.ok());
  ASSERT_NE(model, nullptr);
  auto session = model->NewSession();
  ASSERT_TRUE(session.ok());
  std::vector<float> x = MakeRows(64, 5, true);
  TensorView view(DataType::kFp32, Shape{64, kFeatures}, x.data());
  auto ferry_run = [&] { return (*session)->Run(std::span<const TensorView>(&view, 1)).ok(); };

  BoosterHandle bare = nullptr;
  DMatrixHandle proxy = nullptr;
  Must(XGBoosterCreate(nullptr, 0, &bare), "create");
  Must(XGBoosterLoadModel(bare, (ModelDir() / "binary.ubj").c_str()), "load");
  Must(XGBoosterSetParam(bare, "nthread", "1"), "nthread");
  Must(XGProxyDMatrixCreate(&proxy), "proxy");
  char array[192];
  auto bare_run = [&] {
    std::snprintf(array, sizeof(array),
                  "{\"data\":[%" PRIuPTR
                  ",true],\"shape\":[64,6],\"typestr\":\"<f4\","
                  "\"version\":3}",
                  reinterpret_cast<uintptr_t>(x.data()));
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* out = nullptr;
    return XGBoosterPredictFromDense(bare, array, kPredictConfig, proxy, &shape, &dim, &out) == 0;
  };
  auto count = [](auto&& run) {
    for (int i = 0; i < 3; ++i) run();  // warm up
    t_allocations = 0;
    t_count_allocations = true;
    bool ok = true;
    for (int i = 0; i < 20; ++i) ok = run() && ok;
    t_count_allocations = false;
    EXPECT_TRUE(ok);
    return t_allocations;
  };
  int64_t bare_allocations = count(bare_run);
  int64_t ferry_allocations = count(ferry_run);
  EXPECT_EQ(ferry_allocations, bare_allocations);
  EXPECT_EQ(count([&] { return (*native_session)->Run({&view, 1}).ok(); }), 0);
  EXPECT_GT(bare_allocations, 0);  // the counter sees XGBoost's allocations
  XGDMatrixFree(proxy);
  XGBoosterFree(bare);
}

}  // namespace
}  // namespace ferry::backends::xgboost

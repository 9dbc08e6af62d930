#include "ferry/train/xgboost_trainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "ferry/base/files.h"
#include "ferry/base/sha256.h"
#include "ferry/bundle/archive.h"
#include "ferry/bundle/bundle.h"
#include "ferry/train/evaluate.h"
#include "testing/test_util.h"

namespace ferry::train {
namespace {

using ferry::testing::TempDir;
using ferry::testing::WriteTextFile;
using ::testing::HasSubstr;

// id,x1,x2,y: y depends on x1 and x2 with some label noise; x2 is missing on
// every 13th row. `kind` picks the label: binary 0/1, three classes, or a number.
std::string MakeCsv(int rows, int offset, const std::string& kind) {
  std::string csv = "id,x1,x2,y\n";
  for (int j = 0; j < rows; ++j) {
    const int i = j + offset;
    const double x1 = (i * 37 % 101) / 10.0;
    const double x2 = (i * 53 % 89) / 10.0;
    const double noise = ((i * 17) % 7 - 3) * 0.3;
    const double s = x1 + 0.5 * x2 + noise;
    std::string y;
    if (kind == "binary") y = s > 9 ? "1" : "0";
    if (kind == "multi") y = s < 6 ? "0" : (s < 11 ? "1" : "2");
    if (kind == "reg") y = std::to_string(s * 2);
    csv += "r" + std::to_string(i) + "," + std::to_string(x1) + "," +
           (i % 13 == 0 ? std::string("") : std::to_string(x2)) + "," + y + "\n";
  }
  return csv;
}

class XgboostTrainerTest : public ::testing::Test {
 protected:
  TrainBundleOptions Options(const std::string& kind, const std::string& out) {
    WriteTextFile(dir_ / "train.csv", MakeCsv(300, 0, kind));
    WriteTextFile(dir_ / "valid.csv", MakeCsv(100, 1000, kind));
    TrainBundleOptions o;
    o.train_csv = dir_ / "train.csv";
    o.label = "y";
    o.exclude = {"id"};
    o.name = "demo";
    o.params.rounds = 20;
    o.params.max_depth = 3;
    o.lineage.pipeline = "p";
    o.lineage.run = "run-1";
    o.output_dir = dir_ / out;
    return o;
  }

  TempDir dir_;
};

TEST_F(XgboostTrainerTest, WritesACompleteBinaryBundle) {
  TrainBundleOptions o = Options("binary", "b1");
  o.validation_csv = dir_ / "valid.csv";
  std::ostringstream log;
  Result<TrainBundleResult> r = TrainXgboostBundle(o, &log);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Result<bundle::Bundle> b = bundle::OpenBundle(r->bundle_dir);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const bundle::Manifest& m = b->manifest;
  EXPECT_EQ(m.task, Task::kBinaryClassification);
  EXPECT_EQ(m.signature.inputs[0].features, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(m.metrics, "metrics.json");
  EXPECT_EQ(m.baseline, "baseline.json");
  EXPECT_EQ(m.lineage.pipeline, "p");
  EXPECT_EQ(m.lineage.run, "run-1");
  EXPECT_EQ(m.lineage.created, "");
  Result<std::string> train_sha = Sha256File(dir_ / "train.csv");
  ASSERT_TRUE(train_sha.ok());
  EXPECT_EQ(m.lineage.data, "sha256:" + *train_sha);
  Result<bundle::VerifyReport> verify = bundle::VerifyBundle(r->bundle_dir);
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(verify->ok()) << ::testing::PrintToString(verify->problems);

  EXPECT_GT(r->train_metrics.at("auc"), 0.9);
  ASSERT_TRUE(r->validation_metrics.has_value());
  EXPECT_GT(r->validation_metrics->at("auc"), 0.85);
  Result<std::string> metrics = ReadFile(r->bundle_dir / "metrics.json");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(*metrics, r->metrics_json);
  EXPECT_THAT(*metrics, HasSubstr(R"("best_iteration":19,"rounds":20})"));
  EXPECT_THAT(*metrics, HasSubstr(R"({"train":{"accuracy":)"));
  EXPECT_THAT(log.str(), HasSubstr("training binary:logistic on 300 rows x 2 features"));
  EXPECT_THAT(log.str(), HasSubstr("validation-logloss:"));

  // The metrics in the bundle are the ones evaluation finds on the same data.
  Result<DataTable> valid = ReadDataTable((dir_ / "valid.csv").string());
  ASSERT_TRUE(valid.ok());
  EvaluateOptions eo;
  eo.label = "y";
  Result<Evaluation> e = Evaluate(*b, nullptr, *valid, eo);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->candidate.metrics, *r->validation_metrics);
}

TEST_F(XgboostTrainerTest, SameInputsGiveByteIdenticalPackedBundles) {
  Result<TrainBundleResult> a = TrainXgboostBundle(Options("binary", "a"), nullptr);
  Result<TrainBundleResult> b = TrainXgboostBundle(Options("binary", "b"), nullptr);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE(bundle::PackDirectory(a->bundle_dir, dir_ / "a.tar.zst").ok());
  ASSERT_TRUE(bundle::PackDirectory(b->bundle_dir, dir_ / "b.tar.zst").ok());
  Result<std::string> bytes_a = ReadFile(dir_ / "a.tar.zst");
  Result<std::string> bytes_b = ReadFile(dir_ / "b.tar.zst");
  ASSERT_TRUE(bytes_a.ok() && bytes_b.ok());
  EXPECT_EQ(*bytes_a, *bytes_b);
  // A different seed with subsampling gives a different model.
  TrainBundleOptions o = Options("binary", "c");
  o.params.subsample = 0.5;
  o.params.seed = 7;
  Result<TrainBundleResult> c = TrainXgboostBundle(o, nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(bundle::ComputeDigest(c->bundle_dir).value(),
            bundle::ComputeDigest(a->bundle_dir).value());
}

TEST_F(XgboostTrainerTest, EarlyStoppingKeepsTheTreesUpToTheBestRound) {
  TrainBundleOptions o = Options("binary", "es");
  o.validation_csv = dir_ / "valid.csv";
  o.params.rounds = 300;
  o.params.eta = 0.5;
  o.params.max_depth = 6;
  o.params.early_stopping_rounds = 3;
  std::ostringstream log;
  Result<TrainBundleResult> r = TrainXgboostBundle(o, &log);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LT(r->rounds, 300);
  EXPECT_EQ(r->best_iteration, r->rounds - 1 - 3);
  EXPECT_THAT(log.str(), HasSubstr("stopped early after round " + std::to_string(r->rounds - 1)));
  Result<std::string> model = ReadFile(r->bundle_dir / "model.json");
  ASSERT_TRUE(model.ok());
  EXPECT_THAT(*model,
              HasSubstr(R"("num_trees":")" + std::to_string(r->best_iteration + 1) + R"(")"));
}

TEST_F(XgboostTrainerTest, TrainsMulticlassAndRegression) {
  TrainBundleOptions multi = Options("multi", "m");
  multi.params.objective = "multi:softprob";
  Result<TrainBundleResult> m = TrainXgboostBundle(multi, nullptr);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  Result<bundle::Bundle> mb = bundle::OpenBundle(m->bundle_dir);
  ASSERT_TRUE(mb.ok());
  EXPECT_EQ(mb->manifest.task, Task::kMulticlassClassification);
  EXPECT_EQ(mb->manifest.signature.outputs[0].shape.dims(), (std::vector<int64_t>{-1, 3}));
  EXPECT_GT(m->train_metrics.at("accuracy"), 0.8);
  EXPECT_TRUE(m->train_metrics.count("macro_f1"));

  TrainBundleOptions reg = Options("reg", "r");
  reg.params.objective = "reg:squarederror";
  Result<TrainBundleResult> r = TrainXgboostBundle(reg, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->train_metrics.at("r2"), 0.8);
  EXPECT_TRUE(r->train_metrics.count("rmse"));
}

TEST_F(XgboostTrainerTest, FeaturesListPicksAndOrdersColumns) {
  TrainBundleOptions o = Options("binary", "f");
  o.exclude.clear();
  o.features = {"x2", "x1"};
  Result<TrainBundleResult> r = TrainXgboostBundle(o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Result<bundle::Bundle> b = bundle::OpenBundle(r->bundle_dir);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->manifest.signature.inputs[0].features, (std::vector<std::string>{"x2", "x1"}));
}

TEST_F(XgboostTrainerTest, BadInputsAreClearErrors) {
  // Without exclude, the id column is a feature and is not numeric.
  TrainBundleOptions o = Options("binary", "e1");
  o.exclude.clear();
  EXPECT_THAT(TrainXgboostBundle(o, nullptr).status().message(),
              HasSubstr("train.csv:2: column 'id': 'r0' is not a number"));

  o = Options("reg", "e2");  // labels are not 0/1
  EXPECT_THAT(TrainXgboostBundle(o, nullptr).status().message(),
              HasSubstr("train.csv:2: label column 'y': "));
  EXPECT_THAT(TrainXgboostBundle(o, nullptr).status().message(),
              HasSubstr("is not 0 or 1 (binary:logistic needs 0/1 labels)"));

  o = Options("binary", "e3");
  WriteTextFile(dir_ / "train.csv", "id,x1,x2,y\na,1,2,1\nb,2,3,\n");
  EXPECT_THAT(TrainXgboostBundle(o, nullptr).status().message(),
              HasSubstr("train.csv:3: label column 'y' is missing a value"));

  o = Options("binary", "e4");
  o.params.objective = "rank:pairwise";
  EXPECT_THAT(TrainXgboostBundle(o, nullptr).status().message(),
              HasSubstr("objective 'rank:pairwise' is not supported; use one of binary:logistic"));

  o = Options("binary", "e5");
  o.exclude.clear();
  o.features = {"x1", "nope"};
  EXPECT_THAT(TrainXgboostBundle(o, nullptr).status().message(),
              HasSubstr("no column 'nope' (features)"));

  o = Options("binary", "e6");
  o.label = "z";
  EXPECT_THAT(TrainXgboostBundle(o, nullptr).status().message(), HasSubstr("no label column 'z'"));

  o = Options("binary", "e7");
  o.params.early_stopping_rounds = 2;
  EXPECT_THAT(TrainXgboostBundle(o, nullptr).status().message(),
              HasSubstr("early_stopping_rounds needs a validation set"));

  o = Options("binary", "e8");
  WriteTextFile(dir_ / "valid.csv", "id,x1,y\na,1,1\n");
  o.validation_csv = dir_ / "valid.csv";
  EXPECT_THAT(TrainXgboostBundle(o, nullptr).status().message(),
              HasSubstr("valid.csv: no column 'x2'"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "e8"));
}

}  // namespace
}  // namespace ferry::train

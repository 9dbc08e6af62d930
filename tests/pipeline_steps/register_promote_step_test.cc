// ferry/register and ferry/promote against a real SQLite registry.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "ferry/base/files.h"
#include "ferry/base/sha256.h"
#include "ferry/bundle/archive.h"
#include "ferry/bundle/bundle.h"
#include "ferry/bundle/create.h"
#include "ferry/pipeline/steps/builtin_step.h"
#include "ferry/registry/registry.h"
#include "pipeline_steps/step_test_util.h"
#include "testing/test_util.h"

namespace ferry::pipeline {
namespace {

namespace fs = std::filesystem;
using ferry::testing::TempDir;
using ferry::testing::WriteTextFile;
using ::testing::HasSubstr;

class RegisterPromoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("FERRY_HOME", (dir_ / "home").c_str(), 1);
    unsetenv("FERRY_REGISTRY");
    uri_ = "sqlite://" + (dir_ / "home" / "registry.db").string();
    WriteTextFile(dir_ / "data.csv", "id,x\n1,2\n");
  }

  // A packed bundle of the example model (`description` makes its digest
  // differ) and its digest.
  std::pair<fs::path, std::string> Bundle(const std::string& description) {
    bundle::CreateOptions o;
    o.model_file = ferry::testing::SourceDir() / "examples/breast-cancer/model.json";
    o.output_dir = dir_ / ("b-" + description);
    o.name = "breast-cancer";
    o.description = description;
    Result<bundle::Bundle> b = bundle::CreateBundle(o);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    fs::path packed = dir_ / ("packed-" + description);
    EXPECT_TRUE(bundle::PackDirectory(o.output_dir, packed).ok());
    return {packed, *bundle::ComputeDigest(o.output_dir)};
  }

  // An evaluation record as ferry/evaluate writes it (the fields read here).
  fs::path Evaluation(const std::string& name, const std::string& digest, bool blessed,
                      const std::string& baseline_ref = "") {
    std::string baseline =
        baseline_ref.empty() ? "null" : "{\"reference\":\"" + baseline_ref + "\"}";
    WriteTextFile(dir_ / name, "{\"format\":\"ferry.evaluation/v1\",\"blessed\":" +
                                   std::string(blessed ? "true" : "false") +
                                   ",\"candidate\":{\"digest\":\"" + digest +
                                   "\"},\"baseline\":" + baseline + "}\n");
    return dir_ / name;
  }

  Status Run(const std::string& uses, const std::string& with_json, const std::string& out) {
    return testing::RunStep({uses, with_json, dir_.path(), dir_ / out, uri_, nullptr});
  }

  std::string Output(const std::string& out, const std::string& name) {
    return testing::ReadOutput(dir_ / out / name);
  }

  std::unique_ptr<registry::Registry> Registry() {
    registry::RegistryOptions o = registry::RegistryOptionsFromEnv(uri_);
    return std::move(*registry::Registry::Open(o));
  }

  TempDir dir_;
  std::string uri_;
};

TEST_F(RegisterPromoteTest, RegistersWithLineageAndTheEvaluation) {
  auto [bundle, digest] = Bundle("one");
  fs::path eval = Evaluation("eval.json", digest, true, "breast-cancer:0");
  ASSERT_TRUE(Run("ferry/register",
                  "{\"bundle\":\"" + bundle.string() +
                      "\",\"evaluation\":\"eval.json\",\"data\":\"data.csv\","
                      "\"tags\":{\"team\":\"ml\"}}",
                  "r1")
                  .ok());
  EXPECT_EQ(Output("r1", "reference"), "breast-cancer:1\n");
  auto reg = Registry();
  Result<registry::VersionRecord> v = reg->store().GetVersion("breast-cancer", 1);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->bundle_digest, digest);
  EXPECT_EQ(v->lineage.pipeline, "demo");
  EXPECT_EQ(v->lineage.run, "run-1");
  EXPECT_EQ(v->lineage.data, "sha256:" + *Sha256File(dir_ / "data.csv"));
  EXPECT_EQ(v->lineage.parent, "breast-cancer:0");
  auto evaluations = reg->store().ListEvaluations("breast-cancer", 1);
  ASSERT_TRUE(evaluations.ok());
  ASSERT_EQ(evaluations->size(), 1u);
  EXPECT_TRUE((*evaluations)[0].passed);
  EXPECT_EQ((*evaluations)[0].details_json, *ReadFile(eval));
  auto tags = reg->store().ListTags("breast-cancer", 1);
  ASSERT_TRUE(tags.ok() && tags->size() == 1u);
  EXPECT_EQ((*tags)[0].value, "ml");
  auto history = reg->store().History("breast-cancer", 10);
  ASSERT_TRUE(history.ok() && !history->empty());
  EXPECT_EQ(history->back().actor, "tester (pipeline demo run run-1 step s)");

  // A rerun with the same bundle returns the same version.
  ASSERT_TRUE(Run("ferry/register", "{\"bundle\":\"" + bundle.string() + "\"}", "r2").ok());
  EXPECT_EQ(Output("r2", "reference"), "breast-cancer:1\n");
  EXPECT_EQ(reg->store().ListVersions("breast-cancer")->size(), 1u);
}

TEST_F(RegisterPromoteTest, RefusesAnEvaluationOfAnotherBundle) {
  auto [bundle, digest] = Bundle("one");
  Evaluation("other.json", "sha256:" + std::string(64, 'a'), true);
  Status s = Run("ferry/register",
                 "{\"bundle\":\"" + bundle.string() + "\",\"evaluation\":\"other.json\"}", "r");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("with.evaluation evaluated bundle sha256:aaaa"));
  WriteTextFile(dir_ / "junk.json", "{\"blessed\": true}");
  s = Run("ferry/register", "{\"bundle\":\"" + bundle.string() + "\",\"evaluation\":\"junk.json\"}",
          "r");
  EXPECT_THAT(s.message(), HasSubstr("not an evaluation record of ferry/evaluate"));
  EXPECT_FALSE(Registry()->store().ListVersions("breast-cancer").ok() &&
               !Registry()->store().ListVersions("breast-cancer")->empty());
}

TEST_F(RegisterPromoteTest, PromotesOnlyBlessedVersions) {
  auto [b1, d1] = Bundle("one");
  auto [b2, d2] = Bundle("two");
  Evaluation("e1.json", d1, true);
  Evaluation("e2.json", d2, false);
  ASSERT_TRUE(Run("ferry/register", "{\"bundle\":\"" + b1.string() + "\"}", "r1").ok());
  ASSERT_TRUE(
      Run("ferry/register", "{\"bundle\":\"" + b2.string() + "\",\"evaluation\":\"e2.json\"}", "r2")
          .ok());

  // By the evaluation file, reading the reference from register's output.
  ASSERT_TRUE(
      Run("ferry/promote", "{\"reference\":\"r1/reference\",\"evaluation\":\"e1.json\"}", "p1")
          .ok());
  EXPECT_EQ(Output("p1", "promotion"),
            "{\"format\":\"ferry.promotion/v1\",\"reference\":\"breast-cancer:1\",\"alias\":"
            "\"champion\",\"promoted\":true,\"reason\":\"blessed by the evaluation\","
            "\"previous\":null}\n");
  auto reg = Registry();
  EXPECT_EQ(reg->Resolve("breast-cancer@champion")->version, 1);

  // Not blessed: the alias stays, the step succeeds and says why.
  ASSERT_TRUE(
      Run("ferry/promote", "{\"reference\":\"breast-cancer:2\",\"evaluation\":\"e2.json\"}", "p2")
          .ok());
  EXPECT_THAT(Output("p2", "promotion"), HasSubstr("\"promoted\":false"));
  EXPECT_THAT(Output("p2", "promotion"), HasSubstr("\"previous\":1"));
  EXPECT_EQ(reg->Resolve("breast-cancer@champion")->version, 1);
  // Without a file: the registry's records (v2's evaluation did not pass).
  ASSERT_TRUE(Run("ferry/promote", "{\"reference\":\"breast-cancer:2\"}", "p3").ok());
  EXPECT_THAT(Output("p3", "promotion"), HasSubstr("no passing evaluation is recorded"));
  EXPECT_EQ(reg->Resolve("breast-cancer@champion")->version, 1);

  // The evaluation must be of that version's bundle.
  Status s =
      Run("ferry/promote", "{\"reference\":\"breast-cancer:2\",\"evaluation\":\"e1.json\"}", "p4");
  EXPECT_THAT(s.message(), HasSubstr("not breast-cancer:2"));
  s = Run("ferry/promote", "{\"reference\":\"breast-cancer\"}", "p5");
  EXPECT_THAT(s.message(), HasSubstr("with.reference: expected NAME:VERSION"));
  s = Run("ferry/promote", "{\"reference\":\"breast-cancer:1\",\"alias\":\"latest\"}", "p6");
  EXPECT_THAT(s.message(), HasSubstr("'latest' is not an alias that can be set"));
  s = Run("ferry/promote", "{\"reference\":\"breast-cancer:9\"}", "p7");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
}

TEST_F(RegisterPromoteTest, AProtectedAliasMovesWithARecordedPassingEvaluation) {
  auto [b1, d1] = Bundle("one");
  auto [b2, d2] = Bundle("two");
  Evaluation("e2.json", d2, true);
  ASSERT_TRUE(Run("ferry/register", "{\"bundle\":\"" + b1.string() + "\"}", "r1").ok());
  auto reg = Registry();
  registry::SetAliasOptions protect;
  protect.protect = true;
  protect.force = true;
  ASSERT_TRUE(reg->SetAlias("breast-cancer", "champion", 1, protect, {"admin", "setup"}).ok());
  ASSERT_TRUE(
      Run("ferry/register", "{\"bundle\":\"" + b2.string() + "\",\"evaluation\":\"e2.json\"}", "r2")
          .ok());
  ASSERT_TRUE(
      Run("ferry/promote", "{\"reference\":\"r2/reference\",\"evaluation\":\"e2.json\"}", "p")
          .ok());
  EXPECT_EQ(reg->Resolve("breast-cancer@champion")->version, 2);
}

}  // namespace
}  // namespace ferry::pipeline

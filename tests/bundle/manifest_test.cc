#include "ferry/bundle/manifest.h"

#include <gtest/gtest.h>

#include <string>

namespace ferry::bundle {
namespace {

constexpr const char* kGood = R"(apiVersion: ferry/v1
kind: ModelBundle
name: breast-cancer
framework: xgboost
artifact: model.ubj
task: binary_classification
signature:
  inputs:
    - name: features
      datatype: FP32
      shape: [-1, 3]
      features: [a, b, c]
  outputs:
    - name: probability
      datatype: FP32
      shape: [-1]
baseline: baseline.json
lineage: {pipeline: retrain, run: "42", data: "sha256:abc", created: "2026-11-27T10:00:00Z"}
)";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST(ManifestTest, ParsesTheBriefsExample) {
  Result<Manifest> m = ParseManifest(kGood, "ferry.yaml");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->name, "breast-cancer");
  EXPECT_EQ(m->framework, "xgboost");
  EXPECT_EQ(m->artifact, "model.ubj");
  EXPECT_EQ(m->task, Task::kBinaryClassification);
  ASSERT_EQ(m->signature.inputs.size(), 1u);
  EXPECT_EQ(m->signature.inputs[0].shape, (Shape{-1, 3}));
  EXPECT_EQ(m->signature.inputs[0].features, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(m->signature.outputs[0].datatype, DataType::kFp32);
  EXPECT_EQ(m->baseline, "baseline.json");
  EXPECT_EQ(m->lineage.run, "42");
}

TEST(ManifestTest, RoundTripsThroughYaml) {
  Result<Manifest> m = ParseManifest(kGood, "ferry.yaml");
  ASSERT_TRUE(m.ok());
  std::string yaml = ManifestToYaml(*m);
  Result<Manifest> again = ParseManifest(yaml, "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << yaml;
  EXPECT_EQ(ManifestToYaml(*again), yaml);
}

struct BadCase {
  const char* label;
  std::string yaml;
  std::string message;  // exact error message
};

class BadManifestTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadManifestTest, IsRefusedWithAPreciseMessage) {
  const BadCase& c = GetParam();
  Result<Manifest> m = ParseManifest(c.yaml, "b/ferry.yaml");
  ASSERT_FALSE(m.ok()) << c.label;
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(m.status().message(), c.message) << c.label;
}

const std::string kG = kGood;

INSTANTIATE_TEST_SUITE_P(
    Table, BadManifestTest,
    ::testing::Values(
        BadCase{"unknown apiVersion", Replace(kG, "ferry/v1", "ferry/v9"),
                "b/ferry.yaml:1:13: field 'apiVersion': expected 'ferry/v1', got 'ferry/v9'"},
        BadCase{"wrong kind", Replace(kG, "ModelBundle", "Pipeline"),
                "b/ferry.yaml:2:7: field 'kind': expected 'ModelBundle', got 'Pipeline'"},
        BadCase{"unknown framework", Replace(kG, "framework: xgboost", "framework: caffe"),
                "b/ferry.yaml:4:12: field 'framework': expected one of: xgboost; got unknown "
                "framework 'caffe'"},
        BadCase{"missing field", Replace(kG, "task: binary_classification\n", ""),
                "b/ferry.yaml:1:1: field 'task': is required but missing"},
        BadCase{"missing artifact", Replace(kG, "artifact: model.ubj\n", ""),
                "b/ferry.yaml:1:1: field 'artifact': is required but missing"},
        BadCase{"traversal in artifact", Replace(kG, "model.ubj", "../../etc/model.ubj"),
                "b/ferry.yaml:5:11: field 'artifact': expected a relative path inside the bundle, "
                "got '../../etc/model.ubj' (path '../../etc/model.ubj' escapes its folder ('..'))"},
        BadCase{"absolute artifact", Replace(kG, "model.ubj", "/tmp/model.ubj"),
                "b/ferry.yaml:5:11: field 'artifact': expected a relative path inside the bundle, "
                "got '/tmp/model.ubj' (path '/tmp/model.ubj' is absolute; expected a path inside "
                "the bundle)"},
        BadCase{"artifact extension", Replace(kG, "model.ubj", "model.pkl"),
                "b/ferry.yaml:5:11: field 'artifact': expected a xgboost model file (.json, .ubj), "
                "got 'model.pkl'"},
        BadCase{"unknown task", Replace(kG, "binary_classification", "ranking"),
                "b/ferry.yaml:6:7: field 'task': expected regression, binary_classification or "
                "multiclass_classification, got 'ranking'"},
        BadCase{"bad datatype",
                Replace(kG, "datatype: FP32\n      shape: [-1, 3]",
                        "datatype: FLOAT\n      shape: [-1, 3]"),
                "b/ferry.yaml:10:17: field 'signature.inputs[0].datatype': expected a v2 datatype "
                "(BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES), got 'FLOAT'"},
        BadCase{"bad shape", Replace(kG, "[-1, 3]", "[-1, x]"),
                "b/ferry.yaml:11:19: field 'signature.inputs[0].shape': expected positive "
                "integers or -1, got 'x'"},
        BadCase{"features vs shape", Replace(kG, "[a, b, c]", "[a, b]"),
                "b/ferry.yaml:8:3: field 'signature': signature.inputs[0].features: 2 names for a "
                "last dimension of 3"},
        BadCase{"unknown key", Replace(kG, "baseline: baseline.json", "baselin: baseline.json"),
                "b/ferry.yaml:17:1: field 'baselin': unknown field; expected one of: apiVersion, "
                "artifact, baseline, description, framework, kind, lineage, metrics, name, "
                "signature, task"},
        BadCase{"bad name", Replace(kG, "name: breast-cancer", "name: ../evil"),
                "b/ferry.yaml:3:7: field 'name': expected a name matching "
                "[A-Za-z0-9][A-Za-z0-9._-]{0,127}, got '../evil'"},
        BadCase{"not yaml", "apiVersion: [unclosed",
                "b/ferry.yaml:1:1: not valid YAML: end of sequence flow not found"},
        BadCase{"not a mapping", "- a\n- b\n",
                "b/ferry.yaml:1:1: field '(top level)': expected a mapping, got a list"}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string n = info.param.label;
      for (char& c : n) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return n;
    });

TEST(ManifestTest, ModelNames) {
  EXPECT_TRUE(IsValidModelName("churn"));
  EXPECT_TRUE(IsValidModelName("a.b_c-9"));
  EXPECT_FALSE(IsValidModelName(""));
  EXPECT_FALSE(IsValidModelName("-x"));
  EXPECT_FALSE(IsValidModelName("a/b"));
  EXPECT_FALSE(IsValidModelName(std::string(129, 'a')));
}

}  // namespace
}  // namespace ferry::bundle

#include "ferry/pipeline/cache_key.h"

#include <gtest/gtest.h>

#include "ferry/pipeline/validate.h"
#include "testing/test_util.h"

namespace ferry::pipeline {
namespace {

using ferry::testing::TempDir;
using ferry::testing::WriteTextFile;

class CacheKeyTest : public ::testing::Test {
 protected:
  CacheKeyTest() {
    ctx_.workdir = dir_.path();
    ctx_.folder = dir_ / "run1";
  }

  StepSpec Step(const std::string& yaml_step) {
    loaded_ = LoadPipelineText(
        "apiVersion: ferry/v1\nkind: Pipeline\nname: k\n"
        "params: {data: a.csv, n: '1'}\nsteps:\n" +
        yaml_step);
    EXPECT_EQ(FormatProblems("k", loaded_.problems), "");
    return loaded_.spec.steps.back();
  }

  CacheKey Key(const StepSpec& s, const std::vector<std::string>& needs = {}) {
    Result<CacheKey> k = ComputeCacheKey(ctx_, s, needs);
    EXPECT_TRUE(k.ok()) << k.status().message();
    return k.ok() ? *k : CacheKey{};
  }

  TempDir dir_;
  RunContext ctx_;
  LoadedPipeline loaded_;
};

TEST_F(CacheKeyTest, DependsOnFileContentsNotTheirNames) {
  WriteTextFile(dir_ / "a.csv", "x\n1\n");
  WriteTextFile(dir_ / "b.csv", "x\n1\n");
  StepSpec s = Step("  - {name: s, run: 'wc -l ${{ params.data }} > ${{ outputs.o }}'}\n");
  ctx_.params = {{"data", "a.csv"}, {"n", "1"}};
  CacheKey a = Key(s);
  ctx_.params["data"] = "b.csv";  // another name, same bytes
  ctx_.folder = dir_ / "run2";    // another run folder
  CacheKey b = Key(s);
  EXPECT_EQ(a.key, b.key);
  WriteTextFile(dir_ / "b.csv", "x\n2\n");
  CacheKey c = Key(s);
  EXPECT_NE(a.key, c.key);
  EXPECT_EQ(DescribeCacheDifference(a.components, c.components).size(), 1u);
  std::string line = DescribeCacheDifference(a.components, c.components)[0];
  EXPECT_EQ(line.rfind("input params.data changed: sha256 ", 0), 0u) << line;
  EXPECT_NE(line.find("b.csv)"), std::string::npos) << line;
}

TEST_F(CacheKeyTest, DependsOnTheResolvedDefinition) {
  StepSpec s = Step("  - {name: s, run: 'echo ${{ params.n }}', env: {A: x}, with: {}}\n");
  ctx_.params = {{"data", "missing.csv"}, {"n", "1"}};
  CacheKey a = Key(s);
  ctx_.params["n"] = "2";
  CacheKey b = Key(s);
  EXPECT_NE(a.key, b.key);
  EXPECT_EQ(DescribeCacheDifference(a.components, b.components),
            std::vector<std::string>{"definition field 'run' changed"});
  StepSpec env = Step("  - {name: s, run: 'echo ${{ params.n }}', env: {A: y}}\n");
  EXPECT_EQ(DescribeCacheDifference(b.components, Key(env).components),
            std::vector<std::string>{"definition field 'env.A' changed"});
  StepSpec more = Step("  - {name: s, run: 'echo ${{ params.n }}', env: {A: y, B: z}}\n");
  EXPECT_EQ(DescribeCacheDifference(Key(env).components, Key(more).components),
            std::vector<std::string>{"definition field 'env.B' added"});
  StepSpec image = Step("  - {name: s, run: 'echo ${{ params.n }}', env: {A: y}, image: py:3}\n");
  EXPECT_EQ(DescribeCacheDifference(Key(env).components, Key(image).components),
            std::vector<std::string>{"definition field 'image' added"});
}

TEST_F(CacheKeyTest, HashesScriptsNamedInTheCommandAndNeededOutputs) {
  WriteTextFile(dir_ / "train.py", "print(1)\n");
  WriteTextFile(ctx_.folder / "steps" / "up" / "outputs" / "o", "v1");
  ctx_.params = {{"data", "x"}, {"n", "1"}};
  StepSpec s = Step(
      "  - {name: up, run: 'true'}\n  - {name: s, needs: up, run: "
      "'python3 train.py --fast'}\n");
  CacheKey a = Key(s, {"up"});
  std::vector<std::string> names;
  for (const auto& c : a.components) names.push_back(c.component);
  EXPECT_EQ(names, (std::vector<std::string>{"file:train.py", "needs:up/o", "outputs", "run"}));
  WriteTextFile(dir_ / "train.py", "print(2)\n");
  CacheKey b = Key(s, {"up"});
  EXPECT_EQ(DescribeCacheDifference(a.components, b.components)[0].rfind(
                "input file:train.py changed", 0),
            0u);
  WriteTextFile(ctx_.folder / "steps" / "up" / "outputs" / "o", "v2");
  CacheKey c = Key(s, {"up"});
  EXPECT_EQ(
      DescribeCacheDifference(b.components, c.components)[0].rfind("input needs:up/o changed", 0),
      0u);
  EXPECT_EQ(KeyOfComponents(c.components), c.key);
}

}  // namespace
}  // namespace ferry::pipeline

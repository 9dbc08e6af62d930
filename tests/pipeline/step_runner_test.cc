#include "ferry/pipeline/step_runner.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "ferry/base/files.h"
#include "testing/test_util.h"

namespace ferry::pipeline {
namespace {

using ferry::testing::TempDir;
namespace fs = std::filesystem;

constexpr const char* kPipeline = R"(apiVersion: ferry/v1
kind: Pipeline
name: demo
params:
  greeting: hello
  mode: full
steps:
  - name: write
    run: printf '%s %s' "${{ params.greeting }}" "$WHO" > "${{ outputs.text }}"
    env: {WHO: "${{ params.mode }}-world"}
  - name: lazy
    run: "true"
    outputs: [missing]
  - name: maybe
    needs: [write]
    when: ${{ params.mode }} == 'full'
    run: cat "${{ steps.write.outputs.text }}" > "${{ outputs.copy }}"
  - name: after
    needs: [maybe]
    run: echo ran > "${{ outputs.flag }}"
  - name: fails
    run: exit 3
  - name: gate
    needs: [write]
    uses: ferry/promote
    with: {reference: "demo@candidate", alias: champion, evaluation: "${{ steps.write.outputs.text }}"}
)";

class StepRunnerTest : public ::testing::Test {
 protected:
  StepRunRequest Request(const std::string& step, std::vector<std::string> params = {}) {
    StepRunRequest r;
    r.file = "demo.yaml";
    r.text = kPipeline;
    r.step = step;
    r.run_dir = dir_ / "runs" / "wf-abc12";
    r.params = std::move(params);
    r.workdir = dir_.path();
    r.registry_uri = "sqlite:///nowhere/registry.db";
    r.actor = "tester";
    return r;
  }

  Result<StepRunOutcome> Run(const std::string& step, std::vector<std::string> params = {}) {
    return RunPipelineStep(Request(step, std::move(params)), builtin_);
  }

  std::string Output(const std::string& step, const std::string& name) {
    Result<std::string> text =
        ReadFile(dir_ / "runs" / "wf-abc12" / "steps" / step / "outputs" / name);
    return text.ok() ? *text : "<" + text.status().message() + ">";
  }

  TempDir dir_;
  std::vector<BuiltinContext> builtin_calls_;
  std::vector<std::pair<std::string, std::string>> builtin_env_;
  Status builtin_status_ = Status::Ok();
  BuiltinRunner builtin_ = [this](const BuiltinContext& ctx,
                                  const std::vector<std::pair<std::string, std::string>>& env) {
    builtin_calls_.push_back(ctx);
    builtin_env_ = env;
    if (builtin_status_.ok()) {
      ferry::testing::WriteTextFile(ctx.outputs / "promotion", "{}");
    }
    return builtin_status_;
  };
};

TEST_F(StepRunnerTest, RunStepWritesOutputs) {
  Result<StepRunOutcome> out = Run("write", {"greeting=hi"});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_FALSE(out->skipped);
  EXPECT_EQ(out->exit_code, 0);
  EXPECT_EQ(Output("write", "text"), "hi full-world");
}

TEST_F(StepRunnerTest, NeededOutputsAreReadFromTheRunFolder) {
  ASSERT_TRUE(Run("write").ok());
  Result<StepRunOutcome> out = Run("maybe");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_FALSE(out->skipped);
  EXPECT_EQ(Output("maybe", "copy"), "hello full-world");
}

TEST_F(StepRunnerTest, MissingOutputIsAnError) {
  Result<StepRunOutcome> out = Run("lazy");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "the step did not write its output 'missing' (" +
                (dir_ / "runs" / "wf-abc12" / "steps" / "lazy" / "outputs" / "missing").string() +
                ")");
}

TEST_F(StepRunnerTest, WhenFalseSkipsAndSkipsDependents) {
  ASSERT_TRUE(Run("write", {"mode=quick"}).ok());
  Result<StepRunOutcome> out = Run("maybe", {"mode=quick"});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(out->skipped);
  EXPECT_EQ(out->message, "when condition is false: ${{ params.mode }} == 'full'");
  EXPECT_FALSE(fs::exists(dir_ / "runs" / "wf-abc12" / "steps" / "maybe" / "outputs" / "copy"));
  Result<StepRunOutcome> after = Run("after", {"mode=quick"});
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_TRUE(after->skipped);
  EXPECT_EQ(after->message, "not run: needed step 'maybe' was skipped");
  EXPECT_FALSE(fs::exists(dir_ / "runs" / "wf-abc12" / "steps" / "after" / "outputs" / "flag"));
  // A later attempt where the condition holds runs and clears the marker.
  ASSERT_TRUE(Run("maybe").ok());
  Result<StepRunOutcome> again = Run("after");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_FALSE(again->skipped);
  EXPECT_EQ(Output("after", "flag"), "ran\n");
}

TEST_F(StepRunnerTest, FailingCommandGivesItsExitCode) {
  Result<StepRunOutcome> out = Run("fails");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_FALSE(out->skipped);
  EXPECT_EQ(out->exit_code, 3);
}

TEST_F(StepRunnerTest, BuiltinRunsInProcessWithResolvedWith) {
  ASSERT_TRUE(Run("write").ok());
  Result<StepRunOutcome> out = Run("gate");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(builtin_calls_.size(), 1u);
  const BuiltinContext& ctx = builtin_calls_[0];
  fs::path run = dir_ / "runs" / "wf-abc12";
  EXPECT_EQ(ctx.uses, "ferry/promote");
  EXPECT_EQ(ctx.outputs, run / "steps" / "gate" / "outputs");
  EXPECT_EQ(ctx.workdir, dir_.path());
  EXPECT_EQ(ctx.registry_uri, "sqlite:///nowhere/registry.db");
  EXPECT_EQ(ctx.actor, "tester");
  EXPECT_EQ(ctx.pipeline, "demo");
  EXPECT_EQ(ctx.run_id, "wf-abc12");
  EXPECT_EQ(ctx.step, "gate");
  ASSERT_EQ(ctx.with.kind, Value::Kind::kMap);
  ASSERT_EQ(ctx.with.entries.size(), 3u);
  std::map<std::string, std::string> with;
  for (const ValueEntry& e : ctx.with.entries) with[e.first] = e.second.scalar;
  EXPECT_EQ(with["reference"], "demo@candidate");
  EXPECT_EQ(with["alias"], "champion");
  EXPECT_EQ(with["evaluation"], (run / "steps" / "write" / "outputs" / "text").string());
  bool saw_step = false;
  for (const auto& [k, v] : builtin_env_) saw_step = saw_step || (k == "FERRY_STEP" && v == "gate");
  EXPECT_TRUE(saw_step);
}

TEST_F(StepRunnerTest, BuiltinFailureNamesTheStep) {
  builtin_status_ = FailedPrecondition("gate failed: auc 0.7 < 0.9");
  Result<StepRunOutcome> out = Run("gate");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "step 'gate' (ferry/promote): gate failed: auc 0.7 < 0.9");
}

TEST_F(StepRunnerTest, BadInputs) {
  Result<StepRunOutcome> out = Run("nope");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "unknown step 'nope'; the pipeline has: write, lazy, maybe, after, fails, gate");
  out = Run("write", {"colour=red"});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("unknown param 'colour'"), std::string::npos)
      << out.status().message();
  StepRunRequest bad = Request("write");
  bad.text =
      "apiVersion: ferry/v1\nkind: Pipeline\nname: x\nsteps:\n  - {name: a, needs: [b], run: x}\n";
  out = RunPipelineStep(bad, builtin_);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("demo.yaml:5:"), std::string::npos)
      << out.status().message();
}

}  // namespace
}  // namespace ferry::pipeline

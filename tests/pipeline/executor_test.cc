#include "ferry/pipeline/executor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

#include "ferry/base/files.h"
#include "ferry/pipeline/validate.h"
#include "ferry/registry/sql_store.h"
#include "testing/test_util.h"

namespace ferry::pipeline {
namespace {

using ferry::testing::TempDir;
namespace fs = std::filesystem;

// Time moves on by itself: every reading is 5 s later than the last, so
// retry backoffs elapse without sleeping.
class AutoClock final : public Clock {
 public:
  int64_t NowMs() override { return now_ += 5000; }

 private:
  int64_t now_ = 0;
};

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<RunStore>> s =
        RunStore::Open("sqlite://" + (dir_ / "registry.db").string());
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    options_.cancel_on_signals = false;
    options_.tick_ms = 10;
    options_.kill_grace_ms = 200;
  }

  // Creates and runs a pipeline; returns the final state.
  RunState Run(const std::string& steps_yaml, RunRecord* out = nullptr) {
    LoadedPipeline p =
        LoadPipelineText("apiVersion: ferry/v1\nkind: Pipeline\nname: t\nsteps:\n" + steps_yaml);
    EXPECT_EQ(FormatProblems("t", p.problems), "");
    RunRecord run;
    run.id = "run" + std::to_string(++runs_);
    run.pipeline = "t";
    run.file = "t.yaml";
    run.workdir = dir_.path().string();
    run.folder = (dir_ / "runs" / run.id).string();
    run.parallelism = options_.parallelism;
    run.created_at = registry::NowRfc3339() + std::to_string(runs_);
    run.created_by = "test";
    std::vector<StepRecord> steps;
    for (size_t i = 0; i < p.spec.steps.size(); ++i) {
      StepRecord s;
      s.name = p.spec.steps[i].name;
      s.position = static_cast<int64_t>(i);
      steps.push_back(s);
    }
    EXPECT_TRUE(store_->CreateRun(run, steps).ok());
    Result<RunState> state = ExecuteRun(*store_, run, p.spec, options_);
    EXPECT_TRUE(state.ok()) << state.status().message();
    if (out != nullptr) *out = run;
    return state.ok() ? *state : RunState::kPending;
  }

  std::map<std::string, StepRecord> Steps(const std::string& run_id) {
    std::map<std::string, StepRecord> out;
    Result<std::vector<StepRecord>> steps = store_->ListSteps(run_id);
    EXPECT_TRUE(steps.ok());
    if (steps.ok()) {
      for (StepRecord& s : *steps) out[s.name] = s;
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<RunStore> store_;
  ExecutorOptions options_;
  int runs_ = 0;
};

TEST_F(ExecutorTest, RunsStepsInOrderAndPassesOutputs) {
  RunRecord run;
  ASSERT_EQ(Run("  - {name: a, run: 'printf hello > ${{ outputs.msg }}'}\n"
                "  - {name: b, needs: a, run: 'tr a-z A-Z < ${{ steps.a.outputs.msg }} > "
                "$FERRY_OUTPUTS/up && echo done'}\n",
                &run),
            RunState::kSucceeded);
  EXPECT_EQ(*ReadFile(std::filesystem::path(run.folder) / "steps/b/outputs/up"), "HELLO");
  EXPECT_EQ(*ReadFile(std::filesystem::path(run.folder) / "steps/b/stdout.log"), "done\n");
  auto steps = Steps(run.id);
  EXPECT_EQ(steps["a"].state, StepState::kSucceeded);
  EXPECT_EQ(steps["a"].attempts, 1);
  EXPECT_EQ(*steps["a"].exit_code, 0);
  Result<std::vector<OutputRecord>> got = store_->GetOutputs(run.id, "a");
  ASSERT_TRUE(got.ok());
  const std::vector<OutputRecord>& outputs = *got;
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].name, "msg");
  EXPECT_EQ(outputs[0].bytes, 5);
  EXPECT_EQ(store_->GetRun(run.id)->state, RunState::kSucceeded);
}

TEST_F(ExecutorTest, AFailedStepSkipsItsDependentsAndFailsTheRun) {
  RunRecord run;
  ASSERT_EQ(Run("  - {name: a, run: 'exit 3'}\n"
                "  - {name: b, needs: a, run: 'true'}\n"
                "  - {name: c, needs: b, run: 'true'}\n"
                "  - {name: d, run: 'sleep 0.2'}\n",
                &run),
            RunState::kFailed);
  auto steps = Steps(run.id);
  EXPECT_EQ(steps["a"].state, StepState::kFailed);
  EXPECT_EQ(steps["a"].message, "exit code 3");
  EXPECT_EQ(*steps["a"].exit_code, 3);
  EXPECT_EQ(steps["b"].state, StepState::kSkipped);
  EXPECT_EQ(steps["b"].message, "not run: needed step 'a' failed");
  EXPECT_EQ(steps["c"].message, "not run: needed step 'b' was skipped");
  EXPECT_EQ(steps["d"].state, StepState::kSucceeded);
}

TEST_F(ExecutorTest, RetriesWithBackoffFromTheInjectedClock) {
  AutoClock clock;
  options_.clock = &clock;
  options_.retry_backoff_ms = 60000;  // a minute per retry, on the fake clock
  options_.retry_backoff_max_ms = 3600000;
  RunRecord run;
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(Run("  - name: flaky\n    retries: 2\n"
                "    run: echo x >> tries; test $(wc -l < tries) -ge 3\n",
                &run),
            RunState::kSucceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  auto steps = Steps(run.id);
  EXPECT_EQ(steps["flaky"].attempts, 3);
  std::string log = *ReadFile(std::filesystem::path(run.folder) / "steps/flaky/stdout.log");
  EXPECT_NE(log.find("--- ferry: attempt 3 ---"), std::string::npos);
  EXPECT_EQ(RetryDelayMs(1, 1000, 60000), 1000);
  EXPECT_EQ(RetryDelayMs(3, 1000, 60000), 4000);
  EXPECT_EQ(RetryDelayMs(10, 1000, 60000), 60000);
}

TEST_F(ExecutorTest, ATimeoutKillsTheWholeGroup) {
  RunRecord run;
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(Run("  - name: slow\n    timeout: 300ms\n"
                "    run: (sleep 30; touch survived) & sleep 30\n",
                &run),
            RunState::kFailed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  auto steps = Steps(run.id);
  EXPECT_EQ(steps["slow"].message, "timed out after 300ms");
  EXPECT_EQ(*steps["slow"].exit_code, -15);
}

TEST_F(ExecutorTest, WhenFalseSkipsAndAFailedBuiltinSaysWhy) {
  RunRecord run;
  // The unit tests have no `ferry` binary: built-ins run a stand-in that
  // fails the way `ferry pipeline builtin` does, with an "error: " line.
  options_.ferry_binary = (dir_ / "fake-ferry").string();
  ASSERT_TRUE(WriteFileAtomic(options_.ferry_binary,
                              "#!/bin/sh\necho \"args: $*\"\necho 'error: no such file' >&2\n"
                              "exit 1\n")
                  .ok());
  fs::permissions(options_.ferry_binary, fs::perms::owner_all);
  ASSERT_EQ(Run("  - {name: a, when: \"'x' == 'y'\", run: 'true'}\n"
                "  - {name: b, uses: ferry/split, with: {data: d.csv, key: id}}\n",
                &run),
            RunState::kFailed);
  auto steps = Steps(run.id);
  EXPECT_EQ(steps["a"].state, StepState::kSkipped);
  EXPECT_EQ(steps["a"].message, "when condition is false: 'x' == 'y'");
  EXPECT_EQ(steps["b"].state, StepState::kFailed);
  EXPECT_EQ(steps["b"].message, "no such file");
  fs::path step = fs::path(run.folder) / "steps" / "b";
  EXPECT_EQ(*ReadFile(step / "with.json"), "{\"data\":\"d.csv\",\"key\":\"id\"}\n");
  EXPECT_EQ(*ReadFile(step / "stdout.log"), "args: pipeline builtin ferry/split --with-json " +
                                                (step / "with.json").string() + " --outputs " +
                                                (step / "outputs").string() + "\n");
}

TEST_F(ExecutorTest, ASecondIdenticalRunIsServedFromTheCache) {
  std::string yaml =
      "  - {name: a, run: 'echo run >> \"$COUNT_FILE\"; printf v > ${{ outputs.o }}'}\n"
      "  - {name: b, needs: a, run: 'cat ${{ steps.a.outputs.o }} > ${{ outputs.o }}'}\n"
      "  - {name: c, cache: false, run: 'true'}\n";
  // Through the environment: a file named in the command would be an input.
  setenv("COUNT_FILE", (dir_ / "count").c_str(), 1);
  RunRecord first, second;
  ASSERT_EQ(Run(yaml, &first), RunState::kSucceeded);
  ASSERT_EQ(Run(yaml, &second), RunState::kSucceeded);
  auto steps = Steps(second.id);
  EXPECT_EQ(steps["a"].state, StepState::kCached);
  EXPECT_EQ(steps["a"].cached_from, first.id);
  EXPECT_EQ(steps["b"].state, StepState::kCached);
  EXPECT_EQ(steps["c"].state, StepState::kSucceeded);
  EXPECT_EQ(*ReadFile(dir_ / "count"), "run\n");
  EXPECT_EQ(*ReadFile(std::filesystem::path(second.folder) / "steps/b/outputs/o"), "v");
  // A changed output of the first run is not reused.
  ASSERT_TRUE(
      WriteFileAtomic(std::filesystem::path(second.folder) / "steps/a/outputs/o", "w").ok());
  ASSERT_TRUE(WriteFileAtomic(std::filesystem::path(first.folder) / "steps/a/outputs/o", "w").ok());
  RunRecord third;
  ASSERT_EQ(Run(yaml, &third), RunState::kSucceeded);
  EXPECT_EQ(Steps(third.id)["a"].state, StepState::kSucceeded);
  EXPECT_EQ(*ReadFile(dir_ / "count"), "run\nrun\n");
}

TEST_F(ExecutorTest, OnlyOneProcessCanClaimARun) {
  RunRecord run;
  ASSERT_EQ(Run("  - {name: a, run: 'true'}\n", &run), RunState::kSucceeded);
  ProcessIdentity current = run.executor;
  ProcessIdentity other = current;
  other.pid += 1;
  run.executor.pid = 4242;
  EXPECT_FALSE(*store_->ClaimRun(run, other));
  EXPECT_TRUE(*store_->ClaimRun(run, current));
  EXPECT_EQ(store_->GetRun(run.id)->executor.pid, 4242);
  // A finished run does not run again.
  LoadedPipeline p = LoadPipelineText(
      "apiVersion: ferry/v1\nkind: Pipeline\nname: t\nsteps:\n  - {name: a, run: 'true'}\n");
  Result<RunState> again = ExecuteRun(*store_, run, p.spec, options_);
  EXPECT_EQ(again.status().message(),
            "pipeline run " + run.id + " is succeeded; it cannot run again");
}

TEST_F(ExecutorTest, StateMachinesRefuseIllegalMoves) {
  EXPECT_TRUE(CanTransition(StepState::kPending, StepState::kRunning));
  EXPECT_TRUE(CanTransition(StepState::kRunning, StepState::kPending));
  EXPECT_FALSE(CanTransition(StepState::kSucceeded, StepState::kRunning));
  EXPECT_FALSE(CanTransition(StepState::kPending, StepState::kSucceeded));
  EXPECT_FALSE(CanTransition(RunState::kSucceeded, RunState::kRunning));
  EXPECT_TRUE(CanTransition(RunState::kRunning, RunState::kRunning));
  EXPECT_EQ(*ParseStepState("cached"), StepState::kCached);
  EXPECT_FALSE(ParseStepState("done").ok());
}

}  // namespace
}  // namespace ferry::pipeline

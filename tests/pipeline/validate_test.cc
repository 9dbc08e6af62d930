#include "ferry/pipeline/validate.h"

#include <gtest/gtest.h>

#include "ferry/pipeline/dag.h"

namespace ferry::pipeline {
namespace {

std::string Problems(const std::string& yaml) {
  return FormatProblems("p.yaml", LoadPipelineText(yaml).problems);
}

TEST(ValidateTest, AcceptsTheBriefsExample) {
  LoadedPipeline p = LoadPipelineText(R"(apiVersion: ferry/v1
kind: Pipeline
name: breast-cancer-retrain
params: {data: examples/breast-cancer/data.csv}
schedule: "0 3 * * 1"
steps:
  - name: validate
    uses: ferry/validate-data
    with: {data: "${{ params.data }}"}
  - name: train
    needs: [validate]
    uses: ferry/train-xgboost
    with: {data: "${{ params.data }}", label: target, rounds: 200}
  - name: custom-features
    run: python3 features.py --in "${{ params.data }}" --out "${{ outputs.table }}"
  - name: gate
    needs: [train]
    uses: ferry/evaluate
    with: {model: "${{ steps.train.outputs.bundle }}", data: "${{ params.data }}", against: "breast-cancer@champion", min: {auc: 0.95}, max_drop: {auc: 0.01}}
)");
  EXPECT_EQ(FormatProblems("p.yaml", p.problems), "");
  ASSERT_EQ(p.spec.steps.size(), 4u);
  EXPECT_EQ(p.spec.name, "breast-cancer-retrain");
  EXPECT_EQ(p.spec.schedule, "0 3 * * 1");
  EXPECT_EQ(*p.spec.params[0].default_value, "examples/breast-cancer/data.csv");
  EXPECT_EQ(p.spec.steps[2].run,
            "python3 features.py --in \"${{ params.data }}\" --out \"${{ outputs.table }}\"");
  EXPECT_EQ(*OutputsOf(p.spec.steps[2]), std::vector<std::string>{"table"});
  EXPECT_EQ(*OutputsOf(p.spec.steps[1]), (std::vector<std::string>{"bundle", "metrics"}));
  EXPECT_EQ(p.spec.steps[3].with[3].second.kind, Value::Kind::kMap);
}

TEST(ValidateTest, ChecksTheWithKeysAndOutputsOfBuiltins) {
  EXPECT_EQ(Problems(R"(apiVersion: ferry/v1
kind: Pipeline
name: p
steps:
  - name: s
    uses: ferry/split
    with: {data: d.csv, ratio: 0.5}
    outputs: [x]
  - name: t
    needs: s
    run: cat ${{ steps.s.outputs.train }} ${{ steps.s.outputs.holdout }}
)"),
            "p.yaml:6:11: ferry/split needs 'with.key'\n"
            "p.yaml:7:32: unknown key 'with.ratio' for ferry/split; it takes: data, key, ratios, "
            "seed\n"
            "p.yaml:8:14: outputs: a built-in step has fixed outputs (ferry/split writes: train, "
            "validation, test)\n"
            "p.yaml:11:43: step 's' has no output 'holdout' (its outputs: train, validation, "
            "test)");
}

TEST(ValidateTest, ReadsEveryStepField) {
  LoadedPipeline p = LoadPipelineText(R"(apiVersion: ferry/v1
kind: Pipeline
name: p
params:
  mode: fast
  required:
steps:
  - name: a
    run: echo hi > ${{ outputs.o }}
    outputs: [o]
    retries: 3
    timeout: 1m30s
    cache: false
    env: {SEED: "7", MODE: "${{ params.mode }}"}
    when: ${{ params.mode }} == 'fast'
  - name: b
    needs: a
    run: cat ${{ steps.a.outputs.o }}
)");
  ASSERT_EQ(FormatProblems("p.yaml", p.problems), "");
  const StepSpec& a = p.spec.steps[0];
  EXPECT_EQ(a.retries, 3);
  EXPECT_EQ(*a.timeout_ms, 90000);
  EXPECT_FALSE(a.cache);
  EXPECT_EQ(a.env.size(), 2u);
  EXPECT_EQ(a.when->scalar, "${{ params.mode }} == 'fast'");
  EXPECT_EQ(p.spec.steps[1].needs[0].first, "a");
  EXPECT_FALSE(p.spec.params[1].default_value.has_value());
}

TEST(ValidateTest, ReportsEveryStructuralProblemWithLineAndColumn) {
  EXPECT_EQ(
      Problems(R"(apiVersion: ferry/v2
kind: Pipe
name: ok
colour: blue
schedule: "61 * * * *"
steps:
  - name: a
    run: echo
    uses: ferry/split
    retries: many
    timeout: 10
    cache: maybe
    bogus: 1
  - name: b
  - name: a
    run: echo
  - just-a-string
)"),
      "p.yaml:1:13: apiVersion must be 'ferry/v1', got 'ferry/v2'\n"
      "p.yaml:2:7: kind must be 'Pipeline', got 'Pipe'\n"
      "p.yaml:4:1: unknown key 'colour'; expected one of: apiVersion, kind, name, params, "
      "schedule, steps\n"
      "p.yaml:5:11: schedule '61 * * * *': minute: 61 is out of range 0-59\n"
      "p.yaml:9:5: step has both 'uses' and 'run' in step 'a'; give exactly one\n"
      "p.yaml:10:14: retries: expected an integer from 0 to 100, got 'many'\n"
      "p.yaml:11:14: timeout: expected a duration like 30s, 5m or 1h, got '10'\n"
      "p.yaml:12:12: cache: expected true or false, got 'maybe'\n"
      "p.yaml:13:5: unknown key 'bogus' in step 'a'; expected one of: cache, env, image, name, "
      "needs, outputs, retries, run, timeout, uses, when, with\n"
      "p.yaml:14:5: step has neither 'uses' nor 'run' in step 'b'; give exactly one\n"
      "p.yaml:15:5: duplicate step name 'a' (first defined at line 7)\n"
      "p.yaml:17:5: each step must be a mapping with a name, got 'just-a-string'");
}

TEST(ValidateTest, ReportsEveryReferenceProblem) {
  EXPECT_EQ(Problems(R"(apiVersion: ferry/v1
kind: Pipeline
name: refs
params: {data: d.csv}
steps:
  - name: a
    run: echo ${{ params.nope }} > ${{ outputs.y }}
  - name: b
    needs: [a, ghost]
    run: cat ${{ steps.a.outputs.z }} ${{ steps.zz.outputs.y }}
  - name: c
    run: cat ${{ steps.a.outputs.y }} ${{ bad }}
  - name: d
    uses: ferry/unknown
    with: {x: "${{ steps.c.outputs.q }}"}
    when: ${{ params.data }} == nope
  - name: e
    needs: e
    run: cat ${{ steps.e.outputs.y }}
    outputs: [y]
    env: {X: "${{ outputs.w }}"}
)"),
            "p.yaml:7:15: unknown param 'nope' in ${{ params.nope }}; params: data\n"
            "p.yaml:9:16: step 'b' needs unknown step 'ghost'\n"
            "p.yaml:10:14: step 'a' has no output 'z' (its outputs: y)\n"
            "p.yaml:10:39: unknown step 'zz' in ${{ steps.zz.outputs.y }}\n"
            "p.yaml:12:14: step 'c' uses ${{ steps.a.outputs.y }} but does not need 'a' (add it "
            "to needs, directly or through another step)\n"
            "p.yaml:12:39: malformed expression '${{ bad }}': expected params.NAME, "
            "steps.STEP.outputs.NAME or outputs.NAME\n"
            "p.yaml:14:11: unknown built-in step 'ferry/unknown'; known: ferry/evaluate, "
            "ferry/promote, ferry/register, ferry/split, ferry/train-xgboost, "
            "ferry/validate-data\n"
            "p.yaml:15:16: step 'd' uses ${{ steps.c.outputs.q }} but does not need 'c' (add it "
            "to needs, directly or through another step)\n"
            "p.yaml:15:16: step 'c' has no output 'q' (it has no outputs)\n"
            "p.yaml:16:11: when: unquoted word 'nope'; quote strings ('nope') or use ${{ … }} at "
            "offset 22\n"
            "p.yaml:18:12: step 'e' needs itself\n"
            "p.yaml:19:14: step 'e' refers to its own output with ${{ steps.e.outputs.y }}; use "
            "${{ outputs.y }}\n"
            "p.yaml:21:15: output 'w' in ${{ outputs.w }} is not among step 'e''s declared "
            "outputs (y)");
}

TEST(ValidateTest, NamesEachCycle) {
  EXPECT_EQ(Problems(R"(apiVersion: ferry/v1
kind: Pipeline
name: cyc
steps:
  - name: a
    needs: [c]
    run: "true"
  - name: b
    needs: [a]
    run: "true"
  - name: c
    needs: [b]
    run: "true"
  - name: x
    needs: [y]
    run: "true"
  - name: y
    needs: [x]
    run: "true"
)"),
            "p.yaml:6:13: cycle in needs: a -> c -> b -> a\n"
            "p.yaml:15:13: cycle in needs: x -> y -> x");
}

TEST(ValidateTest, TransitiveNeedsAreEnough) {
  EXPECT_EQ(Problems(R"(apiVersion: ferry/v1
kind: Pipeline
name: t
steps:
  - {name: a, run: "echo > ${{ outputs.y }}"}
  - {name: b, needs: a, run: "true"}
  - {name: c, needs: b, run: "cat ${{ steps.a.outputs.y }}"}
)"),
            "");
}

TEST(ValidateTest, ReportsYamlSyntaxErrorsAndMissingKeys) {
  EXPECT_EQ(Problems("apiVersion: ferry/v1\nsteps: [a\n"),
            "p.yaml:3:1: YAML syntax error: end of sequence flow not found");
  EXPECT_EQ(Problems("apiVersion: ferry/v1\n"),
            "p.yaml:1:1: missing required key 'kind'\n"
            "p.yaml:1:1: missing required key 'name'\n"
            "p.yaml:1:1: missing required key 'steps'");
  EXPECT_EQ(Problems("- a\n"),
            "p.yaml:1:1: a pipeline file must be a mapping with apiVersion, kind, name and steps");
  EXPECT_EQ(Problems("apiVersion: ferry/v1\nkind: Pipeline\nname: x\nname: y\nsteps: []\n"),
            "p.yaml:4:1: duplicate key 'name'\n"
            "p.yaml:5:8: steps: expected a non-empty list of steps, got a list");
}

TEST(DagTest, OrdersNeedsAndFindsDownstream) {
  LoadedPipeline p = LoadPipelineText(R"(apiVersion: ferry/v1
kind: Pipeline
name: d
steps:
  - {name: a, run: "true"}
  - {name: b, needs: [a], run: "true"}
  - {name: c, needs: [a, b, b], run: "true"}
  - {name: d, run: "true"}
)");
  ASSERT_TRUE(p.ok());
  Dag dag = Dag::Build(p.spec);
  EXPECT_EQ(dag.needs(2), (std::vector<int>{0, 1}));
  EXPECT_EQ(dag.dependents(0), (std::vector<int>{1, 2}));
  EXPECT_TRUE(dag.TransitivelyNeeds(2, 0));
  EXPECT_FALSE(dag.TransitivelyNeeds(0, 2));
  EXPECT_FALSE(dag.TransitivelyNeeds(3, 0));
  EXPECT_EQ(dag.Downstream(0), (std::vector<int>{1, 2}));
  EXPECT_TRUE(dag.Cycles().empty());
}

}  // namespace
}  // namespace ferry::pipeline

#include "ferry/pipeline/argo.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "ferry/pipeline/validate.h"

namespace ferry::pipeline {
namespace {

constexpr const char* kPipeline = R"(apiVersion: ferry/v1
kind: Pipeline
name: Churn_retrain
params:
  data: data/train.csv
  rounds: "7"
  target:
steps:
  - name: prep_data
    run: cp "${{params.data}}" "${{ outputs.table }}"
  - name: train
    needs: [prep_data]
    run: wc -l "${{ steps.prep_data.outputs.table }}" > "${{ outputs.model }}"
    retries: 2
    timeout: 90s
    image: registry.example.com/trainer:3
    env: {SEED: "7", INPUT: "${{ steps.prep_data.outputs.table }}", MODE: fast}
  - name: report
    needs: [prep_data, train]
    run: cat "${{ steps.train.outputs.model }}"
    timeout: 1500ms
    when: ${{ params.rounds }} != '0'
)";

struct Compiled {
  std::string text;
  YAML::Node doc;
};

Compiled Compile(const std::string& pipeline, const ArgoOptions& options = {}) {
  LoadedPipeline p = LoadPipelineText(pipeline);
  EXPECT_EQ(FormatProblems("p", p.problems), "");
  Result<std::string> out = CompileArgo(p.spec, pipeline, options);
  EXPECT_TRUE(out.ok()) << out.status().message();
  Compiled c;
  c.text = out.ok() ? *out : "";
  c.doc = YAML::Load(c.text);
  return c;
}

std::string Error(const std::string& pipeline, const ArgoOptions& options = {}) {
  LoadedPipeline p = LoadPipelineText(pipeline);
  EXPECT_EQ(FormatProblems("p", p.problems), "");
  Result<std::string> out = CompileArgo(p.spec, pipeline, options);
  return out.ok() ? "compiled" : out.status().message();
}

YAML::Node Template(const YAML::Node& spec, const std::string& name) {
  for (const YAML::Node& t : spec["templates"]) {
    if (t["name"].as<std::string>() == name) return t;
  }
  ADD_FAILURE() << "no template " << name;
  return YAML::Node();
}

std::vector<std::string> Strings(const YAML::Node& seq) {
  std::vector<std::string> out;
  for (const YAML::Node& n : seq) out.push_back(n.as<std::string>());
  return out;
}

TEST(ArgoTest, WorkflowHeaderAndParameters) {
  Compiled c = Compile(kPipeline);
  EXPECT_EQ(c.doc["apiVersion"].as<std::string>(), "argoproj.io/v1alpha1");
  EXPECT_EQ(c.doc["kind"].as<std::string>(), "Workflow");
  EXPECT_EQ(c.doc["metadata"]["generateName"].as<std::string>(), "churn-retrain-");
  EXPECT_FALSE(c.doc["metadata"]["name"]);
  EXPECT_FALSE(c.doc["metadata"]["namespace"]);
  YAML::Node spec = c.doc["spec"];
  EXPECT_EQ(spec["entrypoint"].as<std::string>(), "main");
  EXPECT_FALSE(spec["serviceAccountName"]);
  YAML::Node params = spec["arguments"]["parameters"];
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(params[0]["name"].as<std::string>(), "data");
  EXPECT_EQ(params[0]["value"].as<std::string>(), "data/train.csv");
  EXPECT_EQ(params[1]["name"].as<std::string>(), "rounds");
  EXPECT_EQ(params[1]["value"].as<std::string>(), "7");
  // Numbers stay strings for Kubernetes.
  EXPECT_NE(c.text.find("value: \"7\""), std::string::npos) << c.text;
  EXPECT_EQ(params[2]["name"].as<std::string>(), "target");
  EXPECT_FALSE(params[2]["value"]) << "no default: Argo requires the value at submit";
}

TEST(ArgoTest, DagTasksAndDependencies) {
  YAML::Node spec = Compile(kPipeline).doc["spec"];
  ASSERT_EQ(spec["templates"].size(), 4u);
  YAML::Node main = spec["templates"][0];
  EXPECT_EQ(main["name"].as<std::string>(), "main");
  YAML::Node tasks = main["dag"]["tasks"];
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks[0]["name"].as<std::string>(), "prep-data");
  EXPECT_EQ(tasks[0]["template"].as<std::string>(), "step-prep-data");
  EXPECT_FALSE(tasks[0]["dependencies"]);
  EXPECT_EQ(tasks[1]["name"].as<std::string>(), "train");
  EXPECT_EQ(Strings(tasks[1]["dependencies"]), std::vector<std::string>{"prep-data"});
  EXPECT_EQ(tasks[2]["name"].as<std::string>(), "report");
  EXPECT_EQ(Strings(tasks[2]["dependencies"]), (std::vector<std::string>{"prep-data", "train"}));
  // `when` is Ferry's: evaluated by `ferry pipeline step`, not by Argo.
  EXPECT_FALSE(tasks[2]["when"]);
}

TEST(ArgoTest, ContainerRunsFerryPipelineStep) {
  YAML::Node spec = Compile(kPipeline).doc["spec"];
  YAML::Node t = Template(spec, "step-prep-data");
  YAML::Node container = t["container"];
  EXPECT_EQ(container["image"].as<std::string>(), "ferry:latest");
  EXPECT_EQ(Strings(container["command"]), (std::vector<std::string>{"ferry", "pipeline", "step"}));
  EXPECT_EQ(Strings(container["args"]),
            (std::vector<std::string>{"--file", "/ferry/pipeline/pipeline.yaml", "--step",
                                      "prep_data", "--run-dir", "/ferry/runs/{{workflow.name}}",
                                      "--param", "data={{workflow.parameters.data}}", "--param",
                                      "rounds={{workflow.parameters.rounds}}", "--param",
                                      "target={{workflow.parameters.target}}"}));
  ASSERT_EQ(container["volumeMounts"].size(), 1u);
  EXPECT_EQ(container["volumeMounts"][0]["name"].as<std::string>(), "ferry-runs");
  EXPECT_EQ(container["volumeMounts"][0]["mountPath"].as<std::string>(), "/ferry/runs");
  EXPECT_FALSE(container["env"]);
  EXPECT_FALSE(t["retryStrategy"]);
  EXPECT_FALSE(t["activeDeadlineSeconds"]);
}

TEST(ArgoTest, VolumeClaim) {
  YAML::Node volumes = Compile(kPipeline).doc["spec"]["volumes"];
  ASSERT_EQ(volumes.size(), 1u);
  EXPECT_EQ(volumes[0]["name"].as<std::string>(), "ferry-runs");
  EXPECT_EQ(volumes[0]["persistentVolumeClaim"]["claimName"].as<std::string>(), "ferry-runs");
  ArgoOptions o;
  o.volume_claim = "team-a-runs";
  volumes = Compile(kPipeline, o).doc["spec"]["volumes"];
  EXPECT_EQ(volumes[0]["persistentVolumeClaim"]["claimName"].as<std::string>(), "team-a-runs");
}

TEST(ArgoTest, RetryStrategyAndDeadline) {
  YAML::Node spec = Compile(kPipeline).doc["spec"];
  YAML::Node train = Template(spec, "step-train");
  EXPECT_EQ(train["activeDeadlineSeconds"].as<int>(), 90);
  YAML::Node retry = train["retryStrategy"];
  EXPECT_EQ(retry["limit"].as<int>(), 2);
  EXPECT_EQ(retry["retryPolicy"].as<std::string>(), "Always");
  EXPECT_EQ(retry["backoff"]["duration"].as<std::string>(), "1s");
  EXPECT_EQ(retry["backoff"]["factor"].as<int>(), 2);
  EXPECT_EQ(retry["backoff"]["cap"].as<std::string>(), "60s");
  // Three attempts of 90 s plus waits of 1 s and 2 s.
  EXPECT_EQ(retry["backoff"]["maxDuration"].as<std::string>(), "273s");
  // 1500 ms rounds up.
  EXPECT_EQ(Template(spec, "step-report")["activeDeadlineSeconds"].as<int>(), 2);
}

TEST(ArgoTest, LiteralEnvOnlyAndRegistry) {
  ArgoOptions o;
  o.registry_uri = "postgresql://ferry@db/ferry";
  YAML::Node spec = Compile(kPipeline, o).doc["spec"];
  YAML::Node env = Template(spec, "step-train")["container"]["env"];
  ASSERT_EQ(env.size(), 3u);
  // The step's env in the order the spec holds it (by name).
  EXPECT_EQ(env[0]["name"].as<std::string>(), "MODE");
  EXPECT_EQ(env[0]["value"].as<std::string>(), "fast");
  EXPECT_EQ(env[1]["name"].as<std::string>(), "SEED");
  EXPECT_EQ(env[1]["value"].as<std::string>(), "7");
  EXPECT_EQ(env[2]["name"].as<std::string>(), "FERRY_REGISTRY");
  EXPECT_EQ(env[2]["value"].as<std::string>(), "postgresql://ferry@db/ferry");
  YAML::Node prep_env = Template(spec, "step-prep-data")["container"]["env"];
  ASSERT_EQ(prep_env.size(), 1u);
  EXPECT_EQ(prep_env[0]["name"].as<std::string>(), "FERRY_REGISTRY");
}

TEST(ArgoTest, PipelineEmbeddedAsRawArtifact) {
  Compiled c = Compile(kPipeline);
  YAML::Node t = Template(c.doc["spec"], "step-report");
  YAML::Node artifacts = t["inputs"]["artifacts"];
  ASSERT_EQ(artifacts.size(), 1u);
  EXPECT_EQ(artifacts[0]["name"].as<std::string>(), "pipeline");
  EXPECT_EQ(artifacts[0]["path"].as<std::string>(), "/ferry/pipeline/pipeline.yaml");
  std::string data = artifacts[0]["raw"]["data"].as<std::string>();
  EXPECT_EQ(data, ArgoSafePipelineText(kPipeline));
  EXPECT_NE(c.text.find("data: |"), std::string::npos) << "a literal block";
  // Every ${{ has a blank after it: Argo leaves such tags alone.
  EXPECT_EQ(data.find("${{p"), std::string::npos);
  EXPECT_NE(data.find("${{ params.data}}"), std::string::npos);
  // The embedded text is the same pipeline.
  LoadedPipeline back = LoadPipelineText(data);
  EXPECT_TRUE(back.ok()) << FormatProblems("embedded", back.problems);
  EXPECT_EQ(back.spec.steps.size(), 3u);
}

TEST(ArgoTest, ArgoSafePipelineText) {
  EXPECT_EQ(ArgoSafePipelineText("a ${{x}} ${{ y }} ${{\tz}} ${{"),
            "a ${{ x}} ${{ y }} ${{\tz}} ${{");
  EXPECT_EQ(ArgoSafePipelineText("no expressions {{ a }}"), "no expressions {{ a }}");
}

TEST(ArgoTest, TextThatIsNoLiteralBlockIsQuoted) {
  // A first line starting with blanks cannot be a plain literal block.
  std::string text = std::string("  # leading blanks\n") + kPipeline;
  Compiled c = Compile(text);
  YAML::Node t = Template(c.doc["spec"], "step-train");
  EXPECT_EQ(t["inputs"]["artifacts"][0]["raw"]["data"].as<std::string>(),
            ArgoSafePipelineText(text));
}

TEST(ArgoTest, CronWorkflowWhenScheduled) {
  std::string text = std::string(kPipeline);
  text.insert(text.find("steps:"), "schedule: \"0 3 * * 1\"\n");
  ArgoOptions o;
  o.namespace_name = "ml";
  o.service_account = "ferry-runner";
  Compiled c = Compile(text, o);
  EXPECT_EQ(c.doc["kind"].as<std::string>(), "CronWorkflow");
  EXPECT_EQ(c.doc["metadata"]["name"].as<std::string>(), "churn-retrain");
  EXPECT_EQ(c.doc["metadata"]["namespace"].as<std::string>(), "ml");
  EXPECT_FALSE(c.doc["metadata"]["generateName"]);
  YAML::Node spec = c.doc["spec"];
  EXPECT_EQ(Strings(spec["schedules"]), std::vector<std::string>{"0 3 * * 1"});
  EXPECT_EQ(spec["concurrencyPolicy"].as<std::string>(), "Forbid");
  YAML::Node wf = spec["workflowSpec"];
  EXPECT_EQ(wf["entrypoint"].as<std::string>(), "main");
  EXPECT_EQ(wf["serviceAccountName"].as<std::string>(), "ferry-runner");
  EXPECT_EQ(wf["templates"].size(), 4u);
  EXPECT_EQ(wf["arguments"]["parameters"].size(), 3u);
}

TEST(ArgoTest, TaskNameMapping) {
  LoadedPipeline p = LoadPipelineText(
      "apiVersion: ferry/v1\nkind: Pipeline\nname: t\nsteps:\n"
      "  - {name: _hidden, run: 'true'}\n  - {name: Train_Model, run: 'true'}\n"
      "  - {name: plain-name, run: 'true'}\n");
  ASSERT_TRUE(p.ok()) << FormatProblems("t", p.problems);
  Result<std::vector<std::string>> names = ArgoTaskNames(p.spec);
  ASSERT_TRUE(names.ok()) << names.status().message();
  EXPECT_EQ(*names, (std::vector<std::string>{"s-hidden", "train-model", "plain-name"}));
}

TEST(ArgoTest, TaskNameCollisionIsAnError) {
  EXPECT_EQ(Error("apiVersion: ferry/v1\nkind: Pipeline\nname: t\nsteps:\n"
                  "  - {name: a-b, run: 'true'}\n  - {name: a_b, run: 'true'}\n"),
            "steps 'a-b' and 'a_b' both become the Argo task name 'a-b'; rename one");
  EXPECT_EQ(Error("apiVersion: ferry/v1\nkind: Pipeline\nname: t\nsteps:\n"
                  "  - {name: Train, run: 'true'}\n  - {name: train, run: 'true'}\n"),
            "steps 'Train' and 'train' both become the Argo task name 'train'; rename one");
}

TEST(ArgoTest, BadOptions) {
  ArgoOptions o;
  o.image = "";
  EXPECT_EQ(Error(kPipeline, o), "--image: must not be empty");
  o = ArgoOptions();
  o.volume_claim = "Runs_PVC";
  EXPECT_EQ(Error(kPipeline, o),
            "--volume-claim: 'Runs_PVC' is not a Kubernetes name (lower case letters, digits, "
            "'-' and '.')");
  o = ArgoOptions();
  o.namespace_name = "ml.team";
  EXPECT_EQ(Error(kPipeline, o),
            "--namespace: 'ml.team' is not a Kubernetes namespace (lower case letters, digits "
            "and '-', at most 63)");
  o = ArgoOptions();
  o.service_account = "-sa";
  EXPECT_NE(Error(kPipeline, o).find("--service-account: '-sa'"), std::string::npos);
}

TEST(ArgoTest, CronNameTooLong) {
  std::string name(60, 'a');
  EXPECT_EQ(
      Error("apiVersion: ferry/v1\nkind: Pipeline\nname: " + name +
            "\nschedule: '0 * * * *'\nsteps:\n  - {name: a, run: 'true'}\n"),
      "pipeline name '" + name + "' is too long for a CronWorkflow (60 characters, at most 52)");
}

TEST(ArgoTest, Deterministic) {
  ArgoOptions o;
  o.image = "registry.example.com/ferry:1.2";
  o.registry_uri = "postgresql://db/ferry";
  std::string a = Compile(kPipeline, o).text;
  std::string b = Compile(kPipeline, o).text;
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.rfind("# Compiled by `ferry pipeline compile --target argo`", 0), 0u) << a;
  YAML::Node doc = YAML::Load(a);
  EXPECT_EQ(doc["spec"]["templates"][2]["container"]["image"].as<std::string>(),
            "registry.example.com/trainer:3")
      << "a step's own image wins";
  EXPECT_EQ(doc["spec"]["templates"][1]["container"]["image"].as<std::string>(),
            "registry.example.com/ferry:1.2");
}

}  // namespace
}  // namespace ferry::pipeline

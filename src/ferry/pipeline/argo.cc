#include "ferry/pipeline/argo.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "ferry/pipeline/validate.h"

namespace ferry::pipeline {
namespace {

constexpr int kCronNameMax = 52;            // Argo appends a timestamp to a CronWorkflow's name
constexpr int64_t kBackoffCapSeconds = 60;  // as the local executor

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters.
bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63 || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

// RFC 1123 subdomain: labels joined by '.', at most 253 characters.
bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!IsDnsLabel(s.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// Lower case, '_' and '.' → '-'.
std::string KubeName(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (c == '_' || c == '.') {
      out += '-';
    } else {
      out += c;
    }
  }
  return out;
}

// The pipeline's name as a Kubernetes object name (no trailing '-').
std::string ObjectName(std::string_view pipeline) {
  std::string out = KubeName(pipeline);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "ferry-pipeline" : out;
}

// Whether a plain scalar would be read back as something other than a
// string (YAML 1.1 and 1.2 booleans, nulls, numbers): such strings are
// double-quoted so that Kubernetes sees strings.
bool LooksTyped(std::string_view s) {
  static const std::set<std::string_view> kWords = {
      "y",  "Y",    "yes",  "Yes",  "YES",   "n",     "N",     "no", "No",
      "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On",
      "ON", "off",  "Off",  "OFF",  "null",  "Null",  "NULL",  "~"};
  if (s.empty() || kWords.count(s) > 0) return true;
  std::string_view body = s;
  if (body.front() == '+' || body.front() == '-') body.remove_prefix(1);
  if (!body.empty() && ((body.front() >= '0' && body.front() <= '9') || body.front() == '.')) {
    return true;
  }
  std::string copy(s);
  char* end = nullptr;
  std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

void Str(YAML::Emitter& out, std::string_view s) {
  if (LooksTyped(s)) out << YAML::DoubleQuoted;
  out << std::string(s);
}

void KeyStr(YAML::Emitter& out, std::string_view key, std::string_view value) {
  out << YAML::Key << std::string(key) << YAML::Value;
  Str(out, value);
}

void KeyInt(YAML::Emitter& out, std::string_view key, int64_t value) {
  out << YAML::Key << std::string(key) << YAML::Value << value;
}

// Whether yaml-cpp writes `text` as a literal block that reads back
// byte for byte (not so for, e.g., a first line starting with a blank).
bool LiteralRoundTrips(const std::string& text) {
  YAML::Emitter probe;
  probe << YAML::BeginMap << YAML::Key << "data" << YAML::Value << YAML::Literal << text
        << YAML::EndMap;
  if (!probe.good()) return false;
  try {
    YAML::Node back = YAML::Load(probe.c_str());
    return back["data"].as<std::string>() == text;
  } catch (const YAML::Exception&) {
    return false;
  }
}

// The whole seconds of a millisecond count, rounded up.
int64_t CeilSeconds(int64_t ms) { return (ms + 999) / 1000; }

// Seconds an Argo retry strategy of `retries` attempts may take in all:
// every attempt up to its deadline plus the backoff waits between them.
int64_t RetryBudgetSeconds(int retries, int64_t attempt_seconds) {
  int64_t total = attempt_seconds * (retries + 1);
  int64_t wait = 1;
  for (int i = 0; i < retries; ++i) {
    total += wait;
    wait = std::min(wait * 2, kBackoffCapSeconds);
  }
  return total;
}

bool HasBraces(std::string_view s) { return s.find("{{") != std::string_view::npos; }

struct Compiler {
  const PipelineSpec& spec;
  const ArgoOptions& options;
  std::vector<std::string> tasks;  // parallel to spec.steps
  std::string pipeline_text;       // embedded
  bool literal = true;

  std::string TaskOf(const std::string& step) const {
    for (size_t i = 0; i < spec.steps.size(); ++i) {
      if (spec.steps[i].name == step) return tasks[i];
    }
    return step;  // validated: every need names a step
  }

  void WorkflowSpec(YAML::Emitter& out) const {
    out << YAML::BeginMap;
    KeyStr(out, "entrypoint", "main");
    if (!options.service_account.empty()) {
      KeyStr(out, "serviceAccountName", options.service_account);
    }
    if (!spec.params.empty()) {
      out << YAML::Key << "arguments" << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "parameters" << YAML::Value << YAML::BeginSeq;
      for (const ParamSpec& p : spec.params) {
        out << YAML::BeginMap;
        KeyStr(out, "name", p.name);
        if (p.default_value) KeyStr(out, "value", *p.default_value);
        out << YAML::EndMap;
      }
      out << YAML::EndSeq << YAML::EndMap;
    }
    out << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    KeyStr(out, "name", kArgoRunsVolume);
    out << YAML::Key << "persistentVolumeClaim" << YAML::Value << YAML::BeginMap;
    KeyStr(out, "claimName", options.volume_claim);
    out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
    out << YAML::Key << "templates" << YAML::Value << YAML::BeginSeq;
    Dag(out);
    for (size_t i = 0; i < spec.steps.size(); ++i) StepTemplate(out, spec.steps[i], tasks[i]);
    out << YAML::EndSeq;
    out << YAML::EndMap;
  }

  void Dag(YAML::Emitter& out) const {
    out << YAML::BeginMap;
    KeyStr(out, "name", "main");
    out << YAML::Key << "dag" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "tasks" << YAML::Value << YAML::BeginSeq;
    for (size_t i = 0; i < spec.steps.size(); ++i) {
      const StepSpec& step = spec.steps[i];
      out << YAML::BeginMap;
      KeyStr(out, "name", tasks[i]);
      KeyStr(out, "template", "step-" + tasks[i]);
      if (!step.needs.empty()) {
        out << YAML::Key << "dependencies" << YAML::Value << YAML::BeginSeq;
        for (const auto& [need, pos] : step.needs) Str(out, TaskOf(need));
        out << YAML::EndSeq;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  }

  void StepTemplate(YAML::Emitter& out, const StepSpec& step, const std::string& task) const {
    out << YAML::BeginMap;
    KeyStr(out, "name", "step-" + task);
    out << YAML::Key << "inputs" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "artifacts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    KeyStr(out, "name", "pipeline");
    KeyStr(out, "path", kArgoPipelinePath);
    out << YAML::Key << "raw" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "data" << YAML::Value << (literal ? YAML::Literal : YAML::DoubleQuoted)
        << pipeline_text;
    out << YAML::EndMap << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
    if (step.timeout_ms) KeyInt(out, "activeDeadlineSeconds", CeilSeconds(*step.timeout_ms));
    if (step.retries > 0) {
      out << YAML::Key << "retryStrategy" << YAML::Value << YAML::BeginMap;
      KeyInt(out, "limit", step.retries);
      KeyStr(out, "retryPolicy", "Always");
      out << YAML::Key << "backoff" << YAML::Value << YAML::BeginMap;
      KeyStr(out, "duration", "1s");
      KeyInt(out, "factor", 2);
      KeyStr(out, "cap", std::to_string(kBackoffCapSeconds) + "s");
      if (step.timeout_ms) {
        KeyStr(
            out, "maxDuration",
            std::to_string(RetryBudgetSeconds(step.retries, CeilSeconds(*step.timeout_ms))) + "s");
      }
      out << YAML::EndMap << YAML::EndMap;
    }
    out << YAML::Key << "container" << YAML::Value << YAML::BeginMap;
    KeyStr(out, "image", step.image.empty() ? options.image : step.image);
    out << YAML::Key << "command" << YAML::Value << YAML::BeginSeq;
    for (const char* word : {"ferry", "pipeline", "step"}) Str(out, word);
    out << YAML::EndSeq;
    out << YAML::Key << "args" << YAML::Value << YAML::BeginSeq;
    Str(out, "--file");
    Str(out, kArgoPipelinePath);
    Str(out, "--step");
    Str(out, step.name);
    Str(out, "--run-dir");
    Str(out, std::string(kArgoRunsMount) + "/{{workflow.name}}");
    for (const ParamSpec& p : spec.params) {
      Str(out, "--param");
      Str(out, p.name + "={{workflow.parameters." + p.name + "}}");
    }
    out << YAML::EndSeq;
    std::vector<std::pair<std::string, std::string>> env;
    for (const auto& [key, value] : step.env) {
      // Values with ${{ … }} are resolved by `ferry pipeline step` at run
      // time (it sets the whole environment); only literals are shown here.
      if (!HasBraces(value.scalar)) env.emplace_back(key, value.scalar);
    }
    if (!options.registry_uri.empty()) env.emplace_back("FERRY_REGISTRY", options.registry_uri);
    if (!env.empty()) {
      out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
      for (const auto& [key, value] : env) {
        out << YAML::BeginMap;
        KeyStr(out, "name", key);
        KeyStr(out, "value", value);
        out << YAML::EndMap;
      }
      out << YAML::EndSeq;
    }
    out << YAML::Key << "volumeMounts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    KeyStr(out, "name", kArgoRunsVolume);
    KeyStr(out, "mountPath", kArgoRunsMount);
    out << YAML::EndMap << YAML::EndSeq;
    out << YAML::EndMap;  // container
    out << YAML::EndMap;  // template
  }
};

Status CheckOptions(const ArgoOptions& o) {
  if (o.image.empty()) return InvalidArgument("--image: must not be empty");
  if (o.image.find_first_of(" \t\n") != std::string::npos) {
    return InvalidArgument("--image: '" + o.image + "' contains a blank");
  }
  if (!IsDnsSubdomain(o.volume_claim)) {
    return InvalidArgument("--volume-claim: '" + o.volume_claim +
                           "' is not a Kubernetes name (lower case letters, digits, '-' and '.')");
  }
  if (!o.service_account.empty() && !IsDnsSubdomain(o.service_account)) {
    return InvalidArgument("--service-account: '" + o.service_account +
                           "' is not a Kubernetes name (lower case letters, digits, '-' and '.')");
  }
  if (!o.namespace_name.empty() && !IsDnsLabel(o.namespace_name)) {
    return InvalidArgument("--namespace: '" + o.namespace_name +
                           "' is not a Kubernetes namespace (lower case letters, digits and '-', "
                           "at most 63)");
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> ArgoTaskNames(const PipelineSpec& spec) {
  std::vector<std::string> out;
  std::map<std::string, std::string> seen;  // task → step
  for (const StepSpec& step : spec.steps) {
    std::string task = KubeName(step.name);
    if (task.empty() || task.front() == '-') task = "s" + task;
    auto [it, inserted] = seen.emplace(task, step.name);
    if (!inserted) {
      return InvalidArgument("steps '" + it->second + "' and '" + step.name +
                             "' both become the Argo task name '" + task + "'; rename one");
    }
    out.push_back(std::move(task));
  }
  return out;
}

std::string ArgoSafePipelineText(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  size_t pos = 0;
  while (true) {
    size_t open = text.find("${{", pos);
    if (open == std::string_view::npos) break;
    size_t after = open + 3;
    out.append(text.substr(pos, after - pos));
    if (after < text.size() && text[after] != ' ' && text[after] != '\t') out += ' ';
    pos = after;
  }
  out.append(text.substr(pos));
  return out;
}

Result<std::string> CompileArgo(const PipelineSpec& spec, std::string_view text,
                                const ArgoOptions& options) {
  FERRY_RETURN_IF_ERROR(CheckOptions(options));
  FERRY_ASSIGN_OR_RETURN(std::vector<std::string> tasks, ArgoTaskNames(spec));
  if (spec.steps.empty()) return InvalidArgument("the pipeline has no steps");
  std::string name = ObjectName(spec.name);
  bool cron = !spec.schedule.empty();
  if (cron && name.size() > kCronNameMax) {
    return InvalidArgument("pipeline name '" + spec.name + "' is too long for a CronWorkflow (" +
                           std::to_string(name.size()) + " characters, at most " +
                           std::to_string(kCronNameMax) + ")");
  }
  std::string embedded = ArgoSafePipelineText(text);
  while (!embedded.empty() && (embedded.back() == '\n' || embedded.back() == '\r')) {
    embedded.pop_back();
  }
  embedded += '\n';
  // The embedded text must still be the same pipeline.
  LoadedPipeline check = LoadPipelineText(embedded);
  if (!check.ok() || check.spec.steps.size() != spec.steps.size()) {
    return Internal("the pipeline text does not load after escaping it for Argo: " +
                    FormatProblems("pipeline", check.problems));
  }

  Compiler c{spec, options, std::move(tasks), std::move(embedded)};
  c.literal = LiteralRoundTrips(c.pipeline_text);

  YAML::Emitter out;
  out.SetIndent(2);
  out << YAML::Comment("Compiled by `ferry pipeline compile --target argo` from pipeline '" +
                       spec.name + "'");
  out << YAML::Newline;
  out << YAML::BeginMap;
  KeyStr(out, "apiVersion", "argoproj.io/v1alpha1");
  KeyStr(out, "kind", cron ? "CronWorkflow" : "Workflow");
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  if (cron) {
    KeyStr(out, "name", name);
  } else {
    KeyStr(out, "generateName", name + "-");
  }
  if (!options.namespace_name.empty()) KeyStr(out, "namespace", options.namespace_name);
  out << YAML::EndMap;  // metadata
  out << YAML::Key << "spec" << YAML::Value;
  if (cron) {
    out << YAML::BeginMap;
    out << YAML::Key << "schedules" << YAML::Value << YAML::BeginSeq;
    Str(out, spec.schedule);
    out << YAML::EndSeq;
    KeyStr(out, "concurrencyPolicy", "Forbid");
    out << YAML::Key << "workflowSpec" << YAML::Value;
    c.WorkflowSpec(out);
    out << YAML::EndMap;
  } else {
    c.WorkflowSpec(out);
  }
  out << YAML::EndMap;
  if (!out.good()) return Internal("cannot write the Argo manifest: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

}  // namespace ferry::pipeline

#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/pipeline/spec.h"

namespace ferry::pipeline {

// Compiling a pipeline to Argo Workflows (`ferry pipeline compile --target
// argo`). Each step becomes a DAG task running `ferry pipeline step …` in a
// container; step outputs pass between tasks as files on a shared volume
// mounted at kArgoRunsMount, exactly as in a local run folder.

inline constexpr std::string_view kArgoPipelinePath = "/ferry/pipeline/pipeline.yaml";
inline constexpr std::string_view kArgoRunsMount = "/ferry/runs";
inline constexpr std::string_view kArgoRunsVolume = "ferry-runs";

struct ArgoOptions {
  // An image with the `ferry` binary on PATH (and whatever `run:` steps call).
  std::string image = "ferry:latest";
  // The PersistentVolumeClaim holding the run folders (mounted read-write by
  // every task: ReadWriteMany when tasks may land on different nodes).
  std::string volume_claim = "ferry-runs";
  std::string registry_uri;     // FERRY_REGISTRY of every task; "" = not set
  std::string service_account;  // spec.serviceAccountName; "" = the namespace's default
  std::string namespace_name;   // metadata.namespace; "" = the one kubectl/argo submits to
};

// The Argo DAG task name of each step, in the order of spec.steps: lower
// case, '_' and '.' → '-', "s" put before a name that would start with '-'.
// InvalidArgument when two steps map to the same name ("steps 'a_b' and
// 'a-b' both become the Argo task name 'a-b'; rename one").
Result<std::vector<std::string>> ArgoTaskNames(const PipelineSpec& spec);

// `text` with a blank after every "${{" that lacks one: Argo substitutes
// {{…}} tags in a template (the embedded pipeline included) and refuses
// unknown ones that start with a known prefix such as "steps."; a tag
// starting with a blank is left alone. Ferry ignores blanks inside ${{ }}.
std::string ArgoSafePipelineText(std::string_view text);

// The Argo manifest (YAML) of a valid pipeline: a Workflow, or a
// CronWorkflow when the pipeline has a schedule. `text` is the pipeline's
// YAML, embedded in every task as a raw input artifact at
// kArgoPipelinePath (after ArgoSafePipelineText) so that the manifest is
// self-contained. Deterministic: the same inputs give the same bytes.
// InvalidArgument for bad options (empty image, names Kubernetes refuses),
// clashing task names, or a pipeline name too long for a CronWorkflow.
Result<std::string> CompileArgo(const PipelineSpec& spec, std::string_view text,
                                const ArgoOptions& options);

}  // namespace ferry::pipeline

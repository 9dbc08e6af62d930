#pragma once

#include <memory>
#include <string>

#include "ferry/base/result.h"
#include "ferry/pipeline/steps/builtin_step.h"
#include "ferry/registry/registry.h"

namespace ferry::pipeline {

// The registry a built-in step works against: ctx.registry_uri (else the
// environment's default, as `ferry models`), artifacts under $FERRY_HOME.
Result<std::unique_ptr<registry::Registry>> OpenStepRegistry(const BuiltinContext& ctx);

// The audit actor of a built-in step: "<actor> (pipeline P run R step S)".
registry::Actor StepActor(const BuiltinContext& ctx, const std::string& reason);

// What ferry/register and ferry/promote read from an evaluation file
// (ferry.evaluation/v1, written by ferry/evaluate).
struct EvaluationSummary {
  bool blessed = false;
  std::string candidate_digest;    // "sha256:…" of the evaluated bundle
  std::string baseline_reference;  // "name:7", or "" when there was no baseline
  std::string text;                // the whole file
};
// InvalidArgument "<path>: …" when the file is not such a record.
Result<EvaluationSummary> ReadEvaluation(const std::filesystem::path& path);

}  // namespace ferry::pipeline

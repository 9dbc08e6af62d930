// ferry/register: a bundle becomes a registry version, with its lineage and
// (when given) the evaluation that blessed it.
#include <ostream>

#include "ferry/base/files.h"
#include "ferry/base/sha256.h"
#include "ferry/bundle/bundle.h"
#include "ferry/bundle/bundle_source.h"
#include "ferry/pipeline/steps/builtin_step.h"
#include "ferry/pipeline/steps/registry_access.h"
#include "ferry/pipeline/steps/with_args.h"

namespace ferry::pipeline {

Status RunRegisterStep(const BuiltinContext& ctx) {
  WithArgs with(ctx.with, ctx.uses, ctx.workdir);
  FERRY_ASSIGN_OR_RETURN(std::filesystem::path bundle_path, with.Path("bundle"));
  FERRY_ASSIGN_OR_RETURN(std::string model, with.String("model", ""));
  FERRY_ASSIGN_OR_RETURN(std::string description, with.String("description", ""));
  FERRY_ASSIGN_OR_RETURN(auto evaluation_path, with.OptionalPath("evaluation"));
  FERRY_ASSIGN_OR_RETURN(auto data_path, with.OptionalPath("data"));
  FERRY_ASSIGN_OR_RETURN(auto tags, with.StringMap("tags"));

  FERRY_ASSIGN_OR_RETURN(auto source, bundle::BundleSource::Open(bundle_path.string()));
  FERRY_ASSIGN_OR_RETURN(std::string digest, bundle::ComputeDigest(source->dir()));
  std::optional<EvaluationSummary> evaluation;
  if (evaluation_path) {
    FERRY_ASSIGN_OR_RETURN(evaluation, ReadEvaluation(*evaluation_path));
    if (evaluation->candidate_digest != digest) {
      return InvalidArgument(ctx.uses + ": with.evaluation evaluated bundle " +
                             evaluation->candidate_digest + ", not this one (" + digest + ")");
    }
  }

  registry::RegisterRequest request;
  request.bundle_dir = source->dir();
  request.model = model;
  request.description = description;
  request.lineage.pipeline = ctx.pipeline;
  if (data_path) {
    FERRY_ASSIGN_OR_RETURN(std::string data_digest, Sha256File(*data_path));
    request.lineage.data = "sha256:" + data_digest;
  }
  if (evaluation) request.lineage.parent = evaluation->baseline_reference;
  FERRY_ASSIGN_OR_RETURN(bundle::Bundle b, bundle::OpenBundle(source->dir()));
  // The run that produced the bundle (recorded in it by ferry/train-xgboost);
  // else this one.
  if (b.manifest.lineage.run.empty()) request.lineage.run = ctx.run_id;
  std::string name = model.empty() ? b.manifest.name : model;

  FERRY_ASSIGN_OR_RETURN(auto reg, OpenStepRegistry(ctx));
  registry::Actor actor = StepActor(ctx, "");
  // Registering the same bundle again (a rerun) returns the existing version.
  std::optional<registry::VersionRecord> version;
  Result<std::vector<registry::VersionRecord>> existing = reg->store().ListVersions(name);
  if (existing.ok()) {
    for (const registry::VersionRecord& v : *existing) {
      if (v.status == registry::VersionStatus::kReady && v.bundle_digest == digest) version = v;
    }
  } else if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  if (version) {
    if (ctx.log) *ctx.log << "already registered as " << name << ":" << version->version << "\n";
  } else {
    FERRY_ASSIGN_OR_RETURN(version, reg->Register(request, actor));
    if (ctx.log)
      *ctx.log << "registered " << name << ":" << version->version << " (" << digest << ")\n";
  }
  if (evaluation) {
    registry::EvaluationRecord e;
    e.model = version->model;
    e.version = version->version;
    e.passed = evaluation->blessed;
    e.details_json = evaluation->text;
    FERRY_RETURN_IF_ERROR(reg->store().AddEvaluation(e, actor));
    if (ctx.log)
      *ctx.log << "evaluation recorded: " << (e.passed ? "blessed" : "not blessed") << "\n";
  }
  for (const auto& [key, value] : tags) {
    registry::ModelRef ref{version->model, version->version, ""};
    FERRY_RETURN_IF_ERROR(reg->SetTag(ref, key, value, actor));
  }
  std::string reference = version->model + ":" + std::to_string(version->version);
  return WriteFileAtomic(ctx.outputs / "reference", reference + "\n");
}

}  // namespace ferry::pipeline

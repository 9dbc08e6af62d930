// ferry/evaluate: `with:` → train::Evaluate (candidate, and the registry
// version `against` names when it resolves) → output `evaluation`.

#include <memory>

#include "ferry/base/files.h"
#include "ferry/bundle/bundle_source.h"
#include "ferry/pipeline/steps/builtin_step.h"
#include "ferry/pipeline/steps/registry_access.h"
#include "ferry/pipeline/steps/with_args.h"
#include "ferry/registry/reference.h"
#include "ferry/registry/resolve.h"
#include "ferry/train/evaluate.h"

namespace fs = std::filesystem;

namespace ferry::pipeline {

namespace {

// The registry version `against` names, as an opened bundle folder; nullopt
// (with the reason in *note) when the model or alias does not exist yet.
Result<std::optional<bundle::Bundle>> ResolveBaseline(const BuiltinContext& ctx,
                                                      const std::string& against,
                                                      std::string* reference, std::string* note) {
  Result<registry::ModelRef> ref = registry::ParseReference(against);
  if (!ref.ok()) return ref.status().WithContext(ctx.uses + ": with.against");
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<registry::Registry> reg, OpenStepRegistry(ctx));
  Result<registry::VersionRecord> version = reg->Resolve(*ref);
  if (!version.ok()) {
    if (version.status().code() != StatusCode::kNotFound) return version.status();
    *note = "no baseline: " + against + " does not resolve (" + version.status().message() + ")";
    return std::optional<bundle::Bundle>();
  }
  *reference = registry::VersionRef(version->model, version->version);
  FERRY_ASSIGN_OR_RETURN(fs::path dir, registry::MaterializeVersion(*reg, *version));
  FERRY_ASSIGN_OR_RETURN(bundle::Bundle b, bundle::OpenBundle(dir));
  return std::optional<bundle::Bundle>(std::move(b));
}

Status Run(const BuiltinContext& ctx) {
  const WithArgs w(ctx.with, ctx.uses, ctx.workdir);
  FERRY_ASSIGN_OR_RETURN(fs::path model_path, w.Path("model"));
  FERRY_ASSIGN_OR_RETURN(fs::path data_path, w.Path("data"));
  train::EvaluateOptions o;
  FERRY_ASSIGN_OR_RETURN(o.label, w.String("label", ""));
  FERRY_ASSIGN_OR_RETURN(o.key, w.String("key", ""));
  FERRY_ASSIGN_OR_RETURN(o.threshold, w.Double("threshold", 0.5, 0, 1));
  FERRY_ASSIGN_OR_RETURN(o.rules.min, w.NumberMap("min"));
  FERRY_ASSIGN_OR_RETURN(o.rules.max_drop, w.NumberMap("max_drop"));
  FERRY_ASSIGN_OR_RETURN(o.rules.max_relative_drop, w.NumberMap("max_relative_drop"));
  FERRY_ASSIGN_OR_RETURN(std::string against, w.String("against", ""));

  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<bundle::BundleSource> source,
                         bundle::BundleSource::Open(model_path.string()));
  FERRY_ASSIGN_OR_RETURN(bundle::Bundle candidate, bundle::OpenBundle(source->dir()));
  FERRY_ASSIGN_OR_RETURN(train::DataTable table, train::ReadDataTable(data_path.string()));

  std::optional<bundle::Bundle> baseline;
  if (against.empty()) {
    o.no_baseline_note = "no baseline: with.against not given";
  } else {
    FERRY_ASSIGN_OR_RETURN(
        baseline, ResolveBaseline(ctx, against, &o.baseline_reference, &o.no_baseline_note));
  }
  FERRY_ASSIGN_OR_RETURN(train::Evaluation e,
                         train::Evaluate(candidate, baseline ? &*baseline : nullptr, table, o));
  FERRY_RETURN_IF_ERROR(WriteFileAtomic(ctx.outputs / "evaluation", train::EvaluationToJson(e)));
  if (ctx.log != nullptr) {
    *ctx.log << "candidate " << candidate.manifest.name << " on " << e.rows << " rows of "
             << data_path.filename().string() << ": " << train::MetricsToJson(e.candidate.metrics)
             << "\n";
    if (e.baseline) {
      *ctx.log << "baseline " << e.baseline->reference << ": "
               << train::MetricsToJson(e.baseline->metrics) << "\n";
    }
    *ctx.log << e.note << "\n";
  }
  return Status::Ok();
}

}  // namespace

Status RunEvaluateStep(const BuiltinContext& ctx) {
  Status s = Run(ctx);
  if (s.ok() || s.message().rfind(ctx.uses, 0) == 0) return s;
  return s.WithContext(ctx.uses);
}

}  // namespace ferry::pipeline

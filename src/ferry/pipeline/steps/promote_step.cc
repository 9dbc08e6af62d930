// ferry/promote: moves an alias to a registered version, only when that
// version is blessed by an evaluation.
#include <ostream>

#include "ferry/base/files.h"
#include "ferry/base/json_writer.h"
#include "ferry/pipeline/steps/builtin_step.h"
#include "ferry/pipeline/steps/registry_access.h"
#include "ferry/pipeline/steps/with_args.h"
#include "ferry/registry/reference.h"

namespace ferry::pipeline {
namespace {

// `with.reference` is "name:7" or the path of a file holding it (the
// `reference` output of ferry/register).
Result<registry::ModelRef> ReadReference(const BuiltinContext& ctx, const WithArgs& with) {
  FERRY_ASSIGN_OR_RETURN(std::string text, with.String("reference"));
  std::filesystem::path p(text);
  if (p.is_relative()) p = ctx.workdir / p;
  std::error_code ec;
  if (std::filesystem::is_regular_file(p, ec)) {
    FERRY_ASSIGN_OR_RETURN(text, ReadFile(p, 4096));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  }
  Result<registry::ModelRef> ref = registry::ParseReference(text);
  if (!ref.ok() || !ref->version) {
    return InvalidArgument(ctx.uses +
                           ": with.reference: expected NAME:VERSION (or a file holding "
                           "it), got '" +
                           text + "'");
  }
  return ref;
}

}  // namespace

Status RunPromoteStep(const BuiltinContext& ctx) {
  WithArgs with(ctx.with, ctx.uses, ctx.workdir);
  FERRY_ASSIGN_OR_RETURN(registry::ModelRef ref, ReadReference(ctx, with));
  FERRY_ASSIGN_OR_RETURN(std::string alias, with.String("alias", "champion"));
  FERRY_ASSIGN_OR_RETURN(auto evaluation_path, with.OptionalPath("evaluation"));
  FERRY_ASSIGN_OR_RETURN(std::string reason, with.String("reason", ""));
  if (!registry::IsValidAliasName(alias) || registry::IsReservedAlias(alias)) {
    return InvalidArgument(ctx.uses + ": with.alias: '" + alias +
                           "' is not an alias that can be set");
  }
  FERRY_ASSIGN_OR_RETURN(auto reg, OpenStepRegistry(ctx));
  FERRY_ASSIGN_OR_RETURN(registry::VersionRecord version, reg->Resolve(ref));

  // Blessed: by the given evaluation (which must be of this very bundle), else
  // by a passing evaluation recorded for the version.
  bool blessed = false;
  std::string why;
  if (evaluation_path) {
    FERRY_ASSIGN_OR_RETURN(EvaluationSummary e, ReadEvaluation(*evaluation_path));
    if (e.candidate_digest != version.bundle_digest) {
      return InvalidArgument(ctx.uses + ": with.evaluation evaluated bundle " + e.candidate_digest +
                             ", not " + ref.ToString() + " (" + version.bundle_digest + ")");
    }
    blessed = e.blessed;
    why = blessed ? "blessed by the evaluation" : "the evaluation did not bless it";
  } else {
    FERRY_ASSIGN_OR_RETURN(auto evaluations,
                           reg->store().ListEvaluations(version.model, version.version));
    for (const registry::EvaluationRecord& e : evaluations) blessed = blessed || e.passed;
    why = blessed ? "a passing evaluation is recorded" : "no passing evaluation is recorded";
  }

  std::optional<int64_t> previous;
  Result<registry::AliasRecord> current = reg->store().GetAlias(version.model, alias);
  if (current.ok()) {
    previous = current->version;
  } else if (current.status().code() != StatusCode::kNotFound) {
    return current.status();
  }
  bool promoted = false;
  if (blessed) {
    std::string audit_reason = reason.empty() ? "pipeline promotion: " + why : reason;
    FERRY_RETURN_IF_ERROR(
        reg->SetAlias(version.model, alias, version.version, {}, StepActor(ctx, audit_reason))
            .status());
    promoted = true;
  }
  if (ctx.log) {
    *ctx.log << (promoted ? "promoted " : "not promoted ") << ref.ToString() << " to @" << alias
             << ": " << why << "\n";
  }
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  j.Key("format").String("ferry.promotion/v1");
  j.Key("reference").String(ref.ToString());
  j.Key("alias").String(alias);
  j.Key("promoted").Bool(promoted);
  j.Key("reason").String(why);
  j.Key("previous");
  if (previous) {
    j.Int(*previous);
  } else {
    j.Null();
  }
  j.EndObject();
  return WriteFileAtomic(ctx.outputs / "promotion", out + "\n");
}

}  // namespace ferry::pipeline

#include "ferry/pipeline/steps/registry_access.h"

#include <simdjson.h>

#include "ferry/base/files.h"

namespace ferry::pipeline {

Result<std::unique_ptr<registry::Registry>> OpenStepRegistry(const BuiltinContext& ctx) {
  registry::RegistryOptions options = registry::RegistryOptionsFromEnv(ctx.registry_uri);
  return registry::Registry::Open(options);
}

registry::Actor StepActor(const BuiltinContext& ctx, const std::string& reason) {
  std::string name = ctx.actor.empty() ? "unknown" : ctx.actor;
  if (!ctx.run_id.empty()) {
    name += " (pipeline " + ctx.pipeline + " run " + ctx.run_id + " step " + ctx.step + ")";
  }
  return registry::Actor{name, reason};
}

Result<EvaluationSummary> ReadEvaluation(const std::filesystem::path& path) {
  EvaluationSummary out;
  FERRY_ASSIGN_OR_RETURN(out.text, ReadFile(path, size_t{16} << 20));
  auto bad = [&](const std::string& what) {
    return InvalidArgument(path.string() + ": not an evaluation record of ferry/evaluate (" + what +
                           ")");
  };
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(out.text).get(doc) != simdjson::SUCCESS) return bad("not JSON");
  std::string_view format;
  if (doc["format"].get(format) != simdjson::SUCCESS || format != "ferry.evaluation/v1") {
    return bad("format is not ferry.evaluation/v1");
  }
  if (doc["blessed"].get(out.blessed) != simdjson::SUCCESS) return bad("no boolean 'blessed'");
  std::string_view digest;
  if (doc["candidate"]["digest"].get(digest) != simdjson::SUCCESS) {
    return bad("no 'candidate.digest'");
  }
  out.candidate_digest = std::string(digest);
  simdjson::dom::element baseline;
  if (doc["baseline"].get(baseline) == simdjson::SUCCESS && baseline.is_object()) {
    std::string_view ref;
    if (baseline["reference"].get(ref) == simdjson::SUCCESS) out.baseline_reference = ref;
  }
  return out;
}

}  // namespace ferry::pipeline

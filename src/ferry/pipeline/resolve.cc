#include "ferry/pipeline/resolve.h"

#include "ferry/pipeline/spec.h"

namespace ferry::pipeline {

std::filesystem::path StepFolder(const std::filesystem::path& run_folder, const std::string& step) {
  return run_folder / "steps" / step;
}

std::filesystem::path OutputPath(const std::filesystem::path& run_folder, const std::string& step,
                                 const std::string& name) {
  return StepFolder(run_folder, step) / "outputs" / name;
}

Result<std::string> ResolveRef(const RunContext& ctx, const std::string& step,
                               const Reference& ref) {
  switch (ref.kind) {
    case RefKind::kParam: {
      auto it = ctx.params.find(ref.name);
      if (it == ctx.params.end()) return NotFound("unknown param '" + ref.name + "'");
      return it->second;
    }
    case RefKind::kStepOutput:
      return OutputPath(ctx.folder, ref.step, ref.name).string();
    case RefKind::kOwnOutput:
      return OutputPath(ctx.folder, step, ref.name).string();
  }
  return Internal("bad reference");
}

Result<std::string> ResolveText(const RunContext& ctx, const std::string& step,
                                const std::string& text) {
  return Substitute(text, [&](const Reference& r) { return ResolveRef(ctx, step, r); });
}

Result<std::map<std::string, std::string>> ResolveParams(
    const PipelineSpec& spec, const std::vector<std::string>& overrides) {
  std::map<std::string, std::string> values;
  std::string names;
  for (const ParamSpec& p : spec.params) {
    if (p.default_value) values[p.name] = *p.default_value;
    names += (names.empty() ? "" : ", ") + p.name;
  }
  for (const std::string& o : overrides) {
    size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("--param '" + o + "': expected NAME=VALUE");
    }
    std::string name = o.substr(0, eq);
    if (!spec.FindParam(name)) {
      return InvalidArgument(
          "--param " + name + ": unknown param '" + name + "'; " +
          (names.empty() ? "the pipeline has no params" : "the pipeline has: " + names));
    }
    values[name] = o.substr(eq + 1);
  }
  for (const ParamSpec& p : spec.params) {
    if (!values.count(p.name)) {
      return InvalidArgument("param '" + p.name + "' has no default; give it with --param " +
                             p.name + "=VALUE");
    }
  }
  return values;
}

}  // namespace ferry::pipeline

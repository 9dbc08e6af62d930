#include "ferry/pipeline/step_setup.h"

#include <unistd.h>

#include <cctype>
#include <system_error>

#include "ferry/base/files.h"
#include "ferry/pipeline/validate.h"
#include "ferry/pipeline/value_json.h"

namespace ferry::pipeline {
namespace fs = std::filesystem;

namespace {

Result<Value> ResolveValue(const RunContext& ctx, const std::string& step, const Value& v,
                           const std::string& field) {
  Value out;
  out.kind = v.kind;
  if (v.kind == Value::Kind::kScalar) {
    Result<std::string> text = ResolveText(ctx, step, v.scalar);
    if (!text.ok()) return InvalidArgument(field + ": " + text.status().message());
    out.scalar = std::move(*text);
    return out;
  }
  for (const ValueEntry& e : v.entries) {
    std::string sub = v.kind == Value::Kind::kMap ? field + "." + e.first : field + "[]";
    FERRY_ASSIGN_OR_RETURN(Value item, ResolveValue(ctx, step, e.second, sub));
    out.entries.push_back({e.first, std::move(item)});
  }
  return out;
}

}  // namespace

std::string EnvName(const std::string& name) {
  std::string out;
  for (char c : name) {
    out += (c == '-' || c == '.') ? '_'
                                  : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

fs::path SelfExecutable() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path("ferry") : p;
}

Result<Value> ResolveWith(const RunContext& ctx, const StepSpec& step) {
  Value with;
  with.kind = Value::Kind::kMap;
  for (const auto& [key, v] : step.with) {
    FERRY_ASSIGN_OR_RETURN(Value item, ResolveValue(ctx, step.name, v, "with." + key));
    with.entries.push_back({key, std::move(item)});
  }
  return with;
}

Result<PreparedStep> PrepareStep(const RunContext& ctx, const StepSpec& step,
                                 const StepLaunch& launch) {
  PreparedStep out;
  fs::path folder = StepFolder(ctx.folder, step.name);
  out.outputs = folder / "outputs";
  std::error_code ec;
  fs::create_directories(out.outputs, ec);
  if (ec) return Internal("cannot create " + out.outputs.string() + ": " + ec.message());
  if (step.uses.empty()) {
    Result<std::string> command = ResolveText(ctx, step.name, step.run);
    if (!command.ok()) return InvalidArgument("run: " + command.status().message());
    out.command = std::move(*command);
  } else {
    FERRY_ASSIGN_OR_RETURN(Value with, ResolveWith(ctx, step));
    fs::path with_file = folder / "with.json";
    FERRY_RETURN_IF_ERROR(WriteFileAtomic(with_file, ValueToJson(with) + "\n"));
    out.command = ShellQuote(launch.ferry_binary.string()) + " pipeline builtin " +
                  ShellQuote(step.uses) + " --with-json " + ShellQuote(with_file.string()) +
                  " --outputs " + ShellQuote(out.outputs.string());
  }
  for (const auto& [key, v] : step.env) {
    Result<std::string> value = ResolveText(ctx, step.name, v.scalar);
    if (!value.ok()) return InvalidArgument("env." + key + ": " + value.status().message());
    out.env.emplace_back(key, *value);
  }
  out.env.emplace_back("FERRY_RUN_ID", launch.run_id);
  out.env.emplace_back("FERRY_STEP", step.name);
  out.env.emplace_back("FERRY_PIPELINE", launch.pipeline);
  out.env.emplace_back("FERRY_RUN_DIR", ctx.folder.string());
  out.env.emplace_back("FERRY_OUTPUTS", out.outputs.string());
  if (!launch.registry_uri.empty()) out.env.emplace_back("FERRY_REGISTRY", launch.registry_uri);
  for (const auto& [name, value] : ctx.params) {
    out.env.emplace_back("FERRY_PARAM_" + EnvName(name), value);
  }
  if (auto names = OutputsOf(step)) {
    for (const std::string& o : *names) {
      out.env.emplace_back("FERRY_OUTPUT_" + EnvName(o), (out.outputs / o).string());
    }
  }
  return out;
}

}  // namespace ferry::pipeline

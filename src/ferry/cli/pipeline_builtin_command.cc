#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "ferry/base/files.h"
#include "ferry/cli/commands.h"
#include "ferry/cli/pipeline_commands.h"
#include "ferry/pipeline/builtins.h"
#include "ferry/pipeline/steps/builtin_step.h"
#include "ferry/pipeline/value_json.h"

namespace ferry::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

int PipelineBuiltin(const PipelineCommonArgs& common, const std::string& uses,
                    const std::string& with_json, const std::string& outputs) {
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "error: %s\n", s.message().c_str());
    return kExitFailure;
  };
  if (!pipeline::IsKnownBuiltin(uses)) {
    return fail(NotFound("unknown built-in step '" + uses + "'"));
  }
  Result<std::string> text = ReadFile(with_json, size_t{16} << 20);
  if (!text.ok()) return fail(text.status().WithContext("--with-json"));
  Result<pipeline::Value> with = pipeline::ValueFromJson(*text);
  if (!with.ok()) return fail(with.status().WithContext(with_json));
  if (with->kind != pipeline::Value::Kind::kMap && !with->entries.empty()) {
    return fail(InvalidArgument(with_json + ": expected a JSON object"));
  }
  with->kind = pipeline::Value::Kind::kMap;
  std::error_code ec;
  if (!std::filesystem::is_directory(outputs, ec)) {
    return fail(NotFound("--outputs: " + outputs + " is not a folder"));
  }
  pipeline::BuiltinContext ctx;
  ctx.uses = uses;
  ctx.with = std::move(*with);
  ctx.outputs = outputs;
  ctx.workdir = std::filesystem::current_path(ec);
  ctx.registry_uri = PipelineRegistryUri(common.registry);
  ctx.actor = PipelineActor();
  ctx.pipeline = Env("FERRY_PIPELINE");
  ctx.run_id = Env("FERRY_RUN_ID");
  ctx.step = Env("FERRY_STEP");
  ctx.log = &std::cout;
  Status s = pipeline::RunBuiltin(ctx);
  std::cout.flush();
  if (!s.ok()) return fail(s);
  return kExitOk;
}

}  // namespace ferry::cli

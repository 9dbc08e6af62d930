#pragma once

// Running one built-in step in a test, as `ferry pipeline builtin` would.

#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>
#include <string>

#include "ferry/base/files.h"
#include "ferry/pipeline/steps/builtin_step.h"
#include "ferry/pipeline/value_json.h"

namespace ferry::pipeline::testing {

struct StepRun {
  std::string uses;
  std::string with_json;          // the resolved `with` as JSON
  std::filesystem::path workdir;  // relative paths in `with` start here
  std::filesystem::path outputs;  // created when missing
  std::string registry_uri;       // "" = none
  std::ostream* log = nullptr;
};

// Runs the step with lineage pipeline "demo", run "run-1", step "s", actor "tester".
inline Status RunStep(const StepRun& r) {
  Result<Value> with = ValueFromJson(r.with_json);
  EXPECT_TRUE(with.ok()) << with.status().ToString();
  if (!with.ok()) return with.status();
  std::filesystem::create_directories(r.outputs);
  BuiltinContext ctx;
  ctx.uses = r.uses;
  ctx.with = std::move(*with);
  ctx.outputs = r.outputs;
  ctx.workdir = r.workdir;
  ctx.registry_uri = r.registry_uri;
  ctx.actor = "tester";
  ctx.pipeline = "demo";
  ctx.run_id = "run-1";
  ctx.step = "s";
  ctx.log = r.log;
  return RunBuiltin(ctx);
}

// The file's text, or "" (and a test failure) when it cannot be read.
inline std::string ReadOutput(const std::filesystem::path& file) {
  Result<std::string> s = ReadFile(file);
  EXPECT_TRUE(s.ok()) << file;
  return s.ok() ? *s : "";
}

}  // namespace ferry::pipeline::testing

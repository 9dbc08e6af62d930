#include "ferry/pipeline/step_runner.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <system_error>

#include "ferry/base/files.h"
#include "ferry/pipeline/condition.h"
#include "ferry/pipeline/resolve.h"
#include "ferry/pipeline/step_setup.h"
#include "ferry/pipeline/validate.h"

extern char** environ;

namespace ferry::pipeline {
namespace {

namespace fs = std::filesystem;

using EnvList = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kSkippedMarker = "skipped";

// This process's environment with `extra` added or overriding.
std::vector<std::string> ChildEnvironment(const EnvList& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

// Runs /bin/sh -c `command` in `workdir` and waits; its exit code
// (128+N for signal N).
Result<int> RunShell(const std::string& command, const fs::path& workdir, const EnvList& env) {
  std::vector<std::string> env_strings = ChildEnvironment(env);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addchdir_np(&actions, workdir.c_str());
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Internal("cannot start /bin/sh: " + std::string(std::strerror(rc)));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Internal("waitpid: " + std::string(std::strerror(errno)));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// The reason to skip `step` because of a needed step, or "".
std::string SkippedNeed(const fs::path& run_dir, const StepSpec& step) {
  for (const auto& [need, pos] : step.needs) {
    std::error_code ec;
    if (fs::exists(StepFolder(run_dir, need) / kSkippedMarker, ec)) {
      return "not run: needed step '" + need + "' was skipped";
    }
  }
  return "";
}

Result<StepRunOutcome> Skip(const fs::path& run_dir, const StepSpec& step, std::string why) {
  fs::path folder = StepFolder(run_dir, step.name);
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return Internal("cannot create " + folder.string() + ": " + ec.message());
  FERRY_RETURN_IF_ERROR(WriteFileAtomic(folder / kSkippedMarker, why + "\n"));
  StepRunOutcome out;
  out.skipped = true;
  out.message = std::move(why);
  return out;
}

std::string StepList(const PipelineSpec& spec) {
  std::string out;
  for (const StepSpec& s : spec.steps) out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

}  // namespace

Result<StepRunOutcome> RunPipelineStep(const StepRunRequest& request,
                                       const BuiltinRunner& builtin) {
  LoadedPipeline loaded = LoadPipelineText(request.text);
  if (!loaded.ok()) {
    return InvalidArgument(FormatProblems(request.file, loaded.problems) + "\n" + request.file +
                           " is not a valid pipeline (" + std::to_string(loaded.problems.size()) +
                           " problems)");
  }
  const PipelineSpec& spec = loaded.spec;
  const StepSpec* step = spec.FindStep(request.step);
  if (step == nullptr) {
    return InvalidArgument("unknown step '" + request.step +
                           "'; the pipeline has: " + StepList(spec));
  }
  FERRY_ASSIGN_OR_RETURN(auto params, ResolveParams(spec, request.params));
  RunContext ctx;
  ctx.params = std::move(params);
  std::error_code ec;
  ctx.folder = fs::absolute(request.run_dir, ec).lexically_normal();
  if (ec) return InvalidArgument("--run-dir: " + request.run_dir.string() + ": " + ec.message());
  if (ctx.folder.filename().empty()) ctx.folder = ctx.folder.parent_path();
  ctx.workdir = request.workdir;

  // A marker from an earlier attempt of this step does not count.
  fs::remove(StepFolder(ctx.folder, step->name) / kSkippedMarker, ec);

  std::string blocked = SkippedNeed(ctx.folder, *step);
  if (!blocked.empty()) return Skip(ctx.folder, *step, std::move(blocked));
  if (step->when) {
    FERRY_ASSIGN_OR_RETURN(Condition cond, Condition::Parse(step->when->scalar));
    auto resolver = [&](const Reference& r) { return ResolveRef(ctx, step->name, r); };
    Result<bool> yes = cond.Evaluate(resolver);
    if (!yes.ok()) return yes.status().WithContext("when");
    if (!*yes) return Skip(ctx.folder, *step, "when condition is false: " + step->when->scalar);
  }

  StepLaunch launch;
  launch.pipeline = spec.name;
  launch.run_id = ctx.folder.filename().string();
  launch.registry_uri = request.registry_uri;
  launch.ferry_binary = SelfExecutable();
  FERRY_ASSIGN_OR_RETURN(PreparedStep prepared, PrepareStep(ctx, *step, launch));

  StepRunOutcome outcome;
  if (step->uses.empty()) {
    FERRY_ASSIGN_OR_RETURN(outcome.exit_code,
                           RunShell(prepared.command, ctx.workdir, prepared.env));
    if (outcome.exit_code != 0) return outcome;
  } else {
    BuiltinContext bctx;
    bctx.uses = step->uses;
    FERRY_ASSIGN_OR_RETURN(bctx.with, ResolveWith(ctx, *step));
    bctx.outputs = prepared.outputs;
    bctx.workdir = ctx.workdir;
    bctx.registry_uri = request.registry_uri;
    bctx.actor = request.actor;
    bctx.pipeline = spec.name;
    bctx.run_id = launch.run_id;
    bctx.step = step->name;
    bctx.log = request.log;
    Status s = builtin(bctx, prepared.env);
    if (!s.ok()) return s.WithContext("step '" + step->name + "' (" + step->uses + ")");
  }
  if (auto names = OutputsOf(*step)) {
    for (const std::string& o : *names) {
      fs::path path = prepared.outputs / o;
      if (!fs::is_regular_file(path, ec)) {
        return FailedPrecondition("the step did not write its output '" + o + "' (" +
                                  path.string() + ")");
      }
    }
  }
  return outcome;
}

}  // namespace ferry::pipeline

#include <poll.h>

#include <cstdio>
#include <ctime>
#include <optional>

#include "ferry/cli/commands.h"
#include "ferry/cli/pipeline_commands.h"
#include "ferry/pipeline/launcher.h"
#include "ferry/pipeline/run_store.h"
#include "ferry/pipeline/scheduler.h"
#include "ferry/pipeline/signal_pipe.h"
#include "ferry/registry/registry.h"

namespace ferry::cli {

namespace {

// Unix seconds of "YYYY-MM-DDTHH:MM:SSZ".
Result<int64_t> ParseUtc(const std::string& text) {
  std::tm tm = {};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') {
    return InvalidArgument("--at '" + text + "': expected YYYY-MM-DDTHH:MM:SSZ (UTC)");
  }
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

int SchedulerCommand(const PipelineCommonArgs& common, const SchedulerArgs& args) {
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "error: %s\n", s.message().c_str());
    return kExitFailure;
  };
  std::optional<int64_t> at;
  if (!args.at.empty()) {
    if (!args.once) return fail(InvalidArgument("--at needs --once"));
    Result<int64_t> t = ParseUtc(args.at);
    if (!t.ok()) return fail(t.status());
    at = *t;
  }
  Result<std::vector<pipeline::PipelineFile>> files = pipeline::LoadPipelineFiles(args.pipelines);
  if (!files.ok()) return fail(files.status());
  size_t scheduled = 0;
  for (const pipeline::PipelineFile& f : *files) scheduled += f.cron ? 1 : 0;
  if (scheduled == 0) return fail(InvalidArgument("none of the pipelines has a `schedule:`"));
  std::string uri = PipelineRegistryUri(common.registry);
  Result<std::unique_ptr<pipeline::RunStore>> store = pipeline::RunStore::Open(uri);
  if (!store.ok()) return fail(store.status());
  pipeline::LaunchOptions launch;
  launch.registry_uri = uri;
  launch.log_dir = registry::RegistryOptionsFromEnv(common.registry).home / "scheduler";
  pipeline::RunLauncher launcher(launch);
  pipeline::SchedulerOptions options;
  options.starting_deadline_s = args.starting_deadline_s;
  options.log = [](const std::string& line) {
    std::printf("scheduler: %s\n", line.c_str());
    std::fflush(stdout);
  };
  pipeline::Scheduler scheduler(**store, launcher, std::move(*files), options);
  Result<std::unique_ptr<pipeline::SignalPipe>> signals =
      pipeline::SignalPipe::Create(/*interrupts=*/true);
  if (!signals.ok()) return fail(signals.status());
  std::printf("scheduler: %zu scheduled pipeline(s); run logs in %s\n", scheduled,
              launch.log_dir.c_str());
  std::fflush(stdout);
  while (true) {
    int64_t now = at ? *at : static_cast<int64_t>(std::time(nullptr));
    Result<std::vector<std::string>> started = scheduler.Tick(now);
    if (!started.ok()) return fail(started.status());
    if (args.once) return kExitOk;
    // Wake at the next slot (a little after the minute turns), at least
    // every 30 s so that a clock change is noticed, and on a signal.
    int64_t wait_s = std::min<int64_t>(scheduler.SecondsUntilNext(now), 30);
    struct pollfd p = {(*signals)->read_fd(), POLLIN, 0};
    poll(&p, 1, static_cast<int>(wait_s * 1000));
    if ((*signals)->Drain() != 0) {
      std::printf("scheduler: stopping (started runs go on)\n");
      return kExitOk;
    }
  }
}

}  // namespace ferry::cli

#include "ferry/pipeline/scheduler.h"

#include <algorithm>
#include <ctime>
#include <map>

#include "ferry/base/files.h"
#include "ferry/pipeline/schedule.h"
#include "ferry/pipeline/validate.h"

namespace ferry::pipeline {
namespace {

std::string Utc(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm = {};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

Result<std::vector<PipelineFile>> LoadPipelineFiles(const std::vector<std::string>& files) {
  std::vector<PipelineFile> out;
  std::map<std::string, std::string> seen;
  for (const std::string& file : files) {
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(file, ec);
    Result<std::string> text = ReadFile(abs, size_t{16} << 20);
    if (!text.ok()) return NotFound("cannot read pipeline file " + file);
    LoadedPipeline p = LoadPipelineText(*text);
    if (!p.ok()) return InvalidArgument(FormatProblems(file, p.problems));
    auto [it, fresh] = seen.emplace(p.spec.name, file);
    if (!fresh) {
      return InvalidArgument("pipeline name '" + p.spec.name + "' is used by both " + it->second +
                             " and " + file);
    }
    PipelineFile pf;
    pf.path = abs.string();
    if (!p.spec.schedule.empty()) {
      FERRY_ASSIGN_OR_RETURN(CronSchedule cron, ParseCron(p.spec.schedule));
      pf.cron = cron;
    }
    pf.spec = std::move(p.spec);
    out.push_back(std::move(pf));
  }
  return out;
}

Scheduler::Scheduler(RunStore& store, RunLauncher& launcher, std::vector<PipelineFile> pipelines,
                     SchedulerOptions options)
    : store_(store),
      launcher_(launcher),
      pipelines_(std::move(pipelines)),
      options_(std::move(options)) {}

Result<std::vector<std::string>> Scheduler::Tick(int64_t now) {
  std::vector<std::string> started;
  auto log = [&](const std::string& line) {
    if (options_.log) options_.log(line);
  };
  for (const PipelineFile& p : pipelines_) {
    if (!p.cron) continue;
    const std::string& name = p.spec.name;
    FERRY_ASSIGN_OR_RETURN(std::optional<int64_t> last, store_.GetScheduleSlot(name));
    ScheduleDecision d = DecideSchedule(*p.cron, last, now, options_.starting_deadline_s);
    if (!d.record) continue;
    std::string run_id = d.start ? NewRunId() : "";
    FERRY_ASSIGN_OR_RETURN(
        bool claimed, store_.ClaimScheduleSlot(name, p.spec.schedule, last, *d.record, run_id));
    if (!claimed) continue;  // another scheduler took this slot
    if (d.missed > 0) {
      log("pipeline " + name + ": " + std::to_string(d.missed) +
          " scheduled time(s) missed before " + Utc(*d.record) + " (not run)");
    }
    if (!d.start) {
      if (!last) log("pipeline " + name + ": scheduled '" + p.spec.schedule + "' (UTC)");
      continue;
    }
    std::map<std::string, std::string> params;
    for (const ParamSpec& param : p.spec.params) {
      if (param.default_value) params[param.name] = *param.default_value;
    }
    Result<std::string> id = launcher_.Start(p.path, params, run_id);
    if (!id.ok()) {
      log("pipeline " + name + ": could not start the run for " + Utc(*d.record) + ": " +
          id.status().message());
      continue;
    }
    log("pipeline " + name + ": started run " + *id + " for " + Utc(*d.record));
    started.push_back(*id);
  }
  launcher_.Reap();
  return started;
}

int64_t Scheduler::SecondsUntilNext(int64_t now) const {
  int64_t best = 3600;
  for (const PipelineFile& p : pipelines_) {
    if (!p.cron) continue;
    std::optional<int64_t> next = NextCronTime(*p.cron, now);
    if (next) best = std::min(best, *next - now);
  }
  return std::max<int64_t>(best, 1);
}

}  // namespace ferry::pipeline

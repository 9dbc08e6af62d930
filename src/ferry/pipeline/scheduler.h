#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/pipeline/cron.h"
#include "ferry/pipeline/launcher.h"
#include "ferry/pipeline/run_store.h"
#include "ferry/pipeline/spec.h"

namespace ferry::pipeline {

// A pipeline file loaded and validated, for the scheduler and the REST
// trigger.
struct PipelineFile {
  std::string path;  // absolute
  PipelineSpec spec;
  std::optional<CronSchedule> cron;  // when the file has `schedule:`
};
// Reads and validates each file. InvalidArgument with every problem
// (FILE:LINE:COL: …) of the first bad file, or for two files with the same
// pipeline name.
Result<std::vector<PipelineFile>> LoadPipelineFiles(const std::vector<std::string>& files);

struct SchedulerOptions {
  // A slot is started only when at most this old (a restart after a long
  // outage runs the latest missed slot once, if recent enough).
  int64_t starting_deadline_s = 3600;
  // Told about every decision ("started run … for …", "missed …").
  std::function<void(const std::string&)> log;
};

// Starts runs of the scheduled pipelines when their cron slots come.
// A slot is claimed in the database (RunStore::ClaimScheduleSlot) before its
// run starts, so a restarted scheduler — or a second one on the same
// database — never starts the same slot twice. Not thread-safe (one owner).
class Scheduler {
 public:
  // `store` and `launcher` must outlive the scheduler.
  Scheduler(RunStore& store, RunLauncher& launcher, std::vector<PipelineFile> pipelines,
            SchedulerOptions options);

  // One pass at `now` (Unix seconds). Returns the ids of the runs started.
  Result<std::vector<std::string>> Tick(int64_t now);
  // Seconds from `now` to the next slot of any scheduled pipeline (at least
  // 1; 3600 when nothing is scheduled).
  int64_t SecondsUntilNext(int64_t now) const;

 private:
  RunStore& store_;
  RunLauncher& launcher_;
  std::vector<PipelineFile> pipelines_;
  SchedulerOptions options_;
};

}  // namespace ferry::pipeline

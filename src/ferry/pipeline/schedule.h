#pragma once

#include <cstdint>
#include <optional>

#include "ferry/pipeline/cron.h"

namespace ferry::pipeline {

// Cron times are whole minutes in UTC, as Unix seconds.

// The first time matching `cron` strictly after `after`; nullopt when none
// within 5 years (e.g. "0 0 31 2 *"). Day of month and day of week combine
// like Vixie cron: when both are restricted (not every day), either may match.
std::optional<int64_t> NextCronTime(const CronSchedule& cron, int64_t after);
// The latest time matching `cron` at or before `at`; nullopt when none
// within 5 years.
std::optional<int64_t> LatestCronTime(const CronSchedule& cron, int64_t at);

// What a scheduler does for one pipeline at `now`, given the last slot it
// recorded (nullopt: never seen). Pure, so tests use any clock.
struct ScheduleDecision {
  std::optional<int64_t> record;  // slot to record (claim); nullopt: nothing to do
  bool start = false;             // start a run for `record`
  int64_t missed = 0;             // slots passed over without a run
};
// Policy (docs/pipelines.md): the first sight of a pipeline records the
// latest slot without running (a new schedule does not fire for the past);
// after that, when one or more slots have passed since the recorded one, the
// latest of them runs once if it is at most `starting_deadline_s` old, and
// the others (or all, when it is older) are counted as missed.
ScheduleDecision DecideSchedule(const CronSchedule& cron, std::optional<int64_t> last_slot,
                                int64_t now, int64_t starting_deadline_s);

}  // namespace ferry::pipeline

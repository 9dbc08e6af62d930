#pragma once

#include <string_view>

#include "ferry/base/result.h"

namespace ferry::pipeline {

// A step's life cycle. Allowed moves (anything else is a bug, refused by
// CanTransition):
//   pending  -> running | cached | skipped | failed | cancelled
//   running  -> succeeded | failed | cancelled
//            |  pending   (a retry after backoff, or `resume` rerunning a step
//                          whose executor died)
// succeeded, failed, cached, skipped and cancelled are final.
// `skipped` means the step did not run because its `when` was false or a
// step it needs did not succeed (failed, skipped or cancelled); the message
// says which.
enum class StepState { kPending, kRunning, kSucceeded, kFailed, kCached, kSkipped, kCancelled };

// A run's life cycle:
//   pending -> running -> succeeded | failed | cancelled
//   running -> running  (`resume` takes over a run whose executor died)
enum class RunState { kPending, kRunning, kSucceeded, kFailed, kCancelled };

std::string_view StateName(StepState s);
std::string_view StateName(RunState s);
Result<StepState> ParseStepState(std::string_view s);
Result<RunState> ParseRunState(std::string_view s);

bool IsFinal(StepState s);
// succeeded or cached: the step's outputs exist.
bool IsDone(StepState s);
bool CanTransition(StepState from, StepState to);
bool CanTransition(RunState from, RunState to);

}  // namespace ferry::pipeline

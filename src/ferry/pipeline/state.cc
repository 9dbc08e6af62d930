#include "ferry/pipeline/state.h"

#include <string>

namespace ferry::pipeline {

std::string_view StateName(StepState s) {
  switch (s) {
    case StepState::kPending:
      return "pending";
    case StepState::kRunning:
      return "running";
    case StepState::kSucceeded:
      return "succeeded";
    case StepState::kFailed:
      return "failed";
    case StepState::kCached:
      return "cached";
    case StepState::kSkipped:
      return "skipped";
    case StepState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::string_view StateName(RunState s) {
  switch (s) {
    case RunState::kPending:
      return "pending";
    case RunState::kRunning:
      return "running";
    case RunState::kSucceeded:
      return "succeeded";
    case RunState::kFailed:
      return "failed";
    case RunState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

Result<StepState> ParseStepState(std::string_view s) {
  for (StepState st :
       {StepState::kPending, StepState::kRunning, StepState::kSucceeded, StepState::kFailed,
        StepState::kCached, StepState::kSkipped, StepState::kCancelled}) {
    if (StateName(st) == s) return st;
  }
  return DataLoss("unknown step state '" + std::string(s) + "' in the registry database");
}

Result<RunState> ParseRunState(std::string_view s) {
  for (RunState st : {RunState::kPending, RunState::kRunning, RunState::kSucceeded,
                      RunState::kFailed, RunState::kCancelled}) {
    if (StateName(st) == s) return st;
  }
  return DataLoss("unknown run state '" + std::string(s) + "' in the registry database");
}

bool IsFinal(StepState s) { return s != StepState::kPending && s != StepState::kRunning; }

bool IsDone(StepState s) { return s == StepState::kSucceeded || s == StepState::kCached; }

bool CanTransition(StepState from, StepState to) {
  switch (from) {
    case StepState::kPending:
      return to == StepState::kRunning || to == StepState::kCached || to == StepState::kSkipped ||
             to == StepState::kFailed || to == StepState::kCancelled;
    case StepState::kRunning:
      return to == StepState::kSucceeded || to == StepState::kFailed ||
             to == StepState::kCancelled || to == StepState::kPending;
    default:
      return false;
  }
}

bool CanTransition(RunState from, RunState to) {
  switch (from) {
    case RunState::kPending:
      return to == RunState::kRunning;
    case RunState::kRunning:
      return to == RunState::kRunning || to == RunState::kSucceeded || to == RunState::kFailed ||
             to == RunState::kCancelled;
    default:
      return false;
  }
}

}  // namespace ferry::pipeline

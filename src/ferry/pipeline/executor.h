#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/pipeline/run_store.h"
#include "ferry/pipeline/spec.h"

namespace ferry::pipeline {

// Monotonic milliseconds, injectable so tests control retry backoff.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() = 0;
};
Clock& SteadyClock();

// Delay before retry number `retry` (1 = the first retry): base * 2^(retry-1),
// capped at max_ms.
int64_t RetryDelayMs(int retry, int64_t base_ms, int64_t max_ms);

// Told about every step change and, while steps run, about every tick.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void OnChange(const RunRecord& run, const std::vector<StepRecord>& steps) = 0;
  virtual void OnTick(const RunRecord& run, const std::vector<StepRecord>& steps) = 0;
};

struct ExecutorOptions {
  int parallelism = 4;                   // steps running at once, >= 1
  int64_t retry_backoff_ms = 1000;       // before the first retry; doubles each retry
  int64_t retry_backoff_max_ms = 60000;  // cap of the backoff
  int64_t kill_grace_ms = 2000;          // SIGTERM → SIGKILL of a timed-out/cancelled group
  int64_t tick_ms = 250;                 // how often OnTick is called while waiting
  bool cancel_on_signals = true;         // SIGINT/SIGTERM cancel the run
  Clock* clock = nullptr;                // nullptr: SteadyClock()
  RunObserver* observer = nullptr;
  // Built-in steps run as `<ferry_binary> pipeline builtin …` ("" = this
  // process's executable) against this registry (FERRY_REGISTRY of the step).
  std::string ferry_binary;
  std::string registry_uri;
};

// Drives `run` (created in `store` with its steps) to a final state and
// returns it: succeeded, failed (a step failed) or cancelled (SIGINT/SIGTERM).
// Every step transition is written to the store before it is acted on
// (before the process starts, before a group is signalled). Steps already
// done (succeeded, cached, skipped, failed) are kept: this is also how
// `resume` continues a run; steps found `running` are rerun (their old
// process group is killed first if it still exists).
// Errors: the store's (the run is then left `running` for `resume`);
// FailedPrecondition when the run is already final or another process
// claimed it first (RunStore::ClaimRun).
// Not thread-safe; installs SIGCHLD (and SIGINT/SIGTERM) handlers while it
// runs and restores the previous ones.
Result<RunState> ExecuteRun(RunStore& store, RunRecord& run, const PipelineSpec& spec,
                            const ExecutorOptions& options);

}  // namespace ferry::pipeline

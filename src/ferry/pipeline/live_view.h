#pragma once

#include <cstdio>
#include <memory>

#include "ferry/pipeline/executor.h"

namespace ferry::pipeline {

// What `ferry pipeline run` shows while a run goes on. On a terminal: a
// block with one line per step (state, attempts, duration, cache mark),
// redrawn in place on every change and tick. Otherwise: one plain line per
// step change, e.g. "step train: running (attempt 1)" or
// "step train: succeeded in 1.2s". Writes to `out`, which must outlive it.
std::unique_ptr<RunObserver> MakeLiveView(std::FILE* out, bool terminal);

}  // namespace ferry::pipeline

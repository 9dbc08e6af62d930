#pragma once

#include "ferry/serving/inference_service.h"

// The life cycle of a model version (VersionState in inference_service.h):
//
//   LOADING ──► READY ──► UNLOADING ──► UNLOADED ──► LOADING (load again)
//      │                                    ▲
//      └──► FAILED ──► LOADING (retry)      │
//   READY ──► READY (hot swap: a reload replaced the instance; never leaves READY)
//
// Any other move is refused.
namespace ferry::serving {

bool IsAllowedTransition(VersionState from, VersionState to);

}  // namespace ferry::serving

#pragma once

#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/pipeline/resolve.h"
#include "ferry/pipeline/run_store.h"
#include "ferry/pipeline/spec.h"

namespace ferry::pipeline {

// A step's cache key: sha256 over its components (sorted by name), each a
// digest of one part of the resolved definition or of one input file's
// CONTENTS — paths never enter the key, so a renamed but identical input
// still hits, and a changed file behind the same path misses:
//   uses / run        the text with each ${{ … }} replaced by its value, except
//                     that references resolving to an existing file and the
//                     step's own outputs stay as written
//   with.KEY, env.KEY the same for each value (nested values canonicalized)
//   outputs           the declared/used output names
//   input:REF         contents of the file a ${{ REF }} resolved to
//   input:with.KEY    contents of a file named literally by a with/env value
//   file:TOKEN        contents of a file named by a literal word of `run`
//                     (a script such as train.py), relative to the workdir
//   needs:STEP/NAME   contents of every output file of each needed step (run steps only)
struct CacheKey {
  std::string key;
  std::vector<CacheComponent> components;  // sorted by name
};

// Computes the key of `step` in a run whose needed steps have finished.
// Errors: an expression that does not resolve, an unreadable input file.
Result<CacheKey> ComputeCacheKey(const RunContext& ctx, const StepSpec& step,
                                 const std::vector<std::string>& needs);

// sha256 of the sorted components (what ComputeCacheKey puts in `key`).
std::string KeyOfComponents(const std::vector<CacheComponent>& components);

// Human lines saying how `now` differs from `before`, e.g.
//   "input params.data changed: sha256 1a2b3c4d… -> 9f8e7d6c… (data.csv)"
//   "definition field 'run' changed"
//   "definition field 'env.SEED' added"
// Empty when they are the same.
std::vector<std::string> DescribeCacheDifference(const std::vector<CacheComponent>& before,
                                                 const std::vector<CacheComponent>& now);

}  // namespace ferry::pipeline

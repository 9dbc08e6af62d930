#pragma once

#include <string>
#include <vector>

#include "ferry/pipeline/spec.h"

namespace ferry::pipeline {

// The steps' `needs` as a graph over step indices (positions in
// PipelineSpec::steps). Needs that name no step, or a step itself, are left
// out (validation reports them). Immutable after Build.
class Dag {
 public:
  static Dag Build(const PipelineSpec& spec);

  int size() const { return static_cast<int>(needs_.size()); }
  // Direct needs / direct dependents of step i, in file order, no duplicates.
  const std::vector<int>& needs(int i) const { return needs_[i]; }
  const std::vector<int>& dependents(int i) const { return dependents_[i]; }

  // Every distinct cycle, each as step indices starting at its step that
  // comes first in the file (the first step is not repeated at the end).
  std::vector<std::vector<int>> Cycles() const;

  // True when step `from` needs step `to` directly or through other steps.
  bool TransitivelyNeeds(int from, int to) const;

  // Every step that transitively needs step i.
  std::vector<int> Downstream(int i) const;

 private:
  std::vector<std::vector<int>> needs_;
  std::vector<std::vector<int>> dependents_;
};

}  // namespace ferry::pipeline

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/pipeline/spec.h"

namespace ferry::pipeline {

// The output names a step can have: its declared `outputs`, else the names
// it writes through ${{ outputs.NAME }} in its own definition; a built-in's
// fixed outputs (BuiltinInfo). nullopt for an unknown built-in.
std::optional<std::vector<std::string>> OutputsOf(const StepSpec& step);

// Semantic checks of a parsed pipeline, every problem found: duplicate step
// names, unknown or self needs, cycles ("cycle in needs: a -> b -> a"),
// malformed expressions, references to unknown params, steps or outputs, a
// step using ${{ steps.S.outputs.Y }} of a step it does not transitively
// need, unknown built-ins, bad `when` conditions, bad cron schedules.
std::vector<Diagnostic> CheckPipeline(const PipelineSpec& spec);

// ParsePipeline + CheckPipeline, problems sorted by position.
struct LoadedPipeline {
  PipelineSpec spec;
  std::vector<Diagnostic> problems;
  bool ok() const { return problems.empty(); }
};
LoadedPipeline LoadPipelineText(std::string_view text);

// Every problem as "FILE:LINE:COL: message" lines (no trailing newline).
std::string FormatProblems(std::string_view file, const std::vector<Diagnostic>& problems);

}  // namespace ferry::pipeline

#pragma once

// Scoring a bundle on a labelled table, and the evaluation gate of
// `ferry/evaluate`: the candidate's metrics, optionally a baseline's on the
// same data, and the rules that decide whether the candidate is blessed.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/bundle/bundle.h"
#include "ferry/train/data_table.h"
#include "ferry/train/metrics.h"

namespace ferry::train {

// A bundle's predictions for every row of a table.
struct Scores {
  Task task = Task::kRegression;
  int64_t num_classes = 0;     // multiclass only
  std::vector<double> values;  // as MetricInput::scores
};

// Scores `table` with the bundle's model through its backend (the same code
// `ferry predict` runs), picking the columns named by the signature's feature
// names, in that order. Missing cells are NaN. Errors: FailedPrecondition
// when the signature names no features; NotFound "<file>: no column '<c>'
// (the model's feature)"; InvalidArgument for a non-numeric cell
// (NumericColumn's message); the backend's load/run errors.
Result<Scores> ScoreTable(const bundle::Bundle& bundle, const DataTable& table);

// The labels of `column` as numbers. InvalidArgument "<file>:<line>: label
// column '<c>' is missing a value" for an empty cell; NotFound for an unknown
// column.
Result<std::vector<double>> LabelColumn(const DataTable& table, const std::string& column);

// The gate. Every metric named must be one of MetricNames(task).
struct GateRules {
  std::map<std::string, double> min;                // at least as good as the limit
  std::map<std::string, double> max_drop;           // worse than the baseline by at most
  std::map<std::string, double> max_relative_drop;  // … by at most this fraction of it
};

struct GateCheck {
  std::string metric;
  std::string rule;  // "min" | "max_drop" | "max_relative_drop"
  double value = 0;  // min: the candidate's metric; drops: the (relative) drop
  double limit = 0;
  bool passed = false;
};

// Checks the rules in order (min, max_drop, max_relative_drop; metrics by
// name). "At least as good": for higher-is-better metrics value >= limit, for
// loss-like ones (HigherIsBetter false) value <= limit. A drop is how much
// worse the candidate is than the baseline in the metric's better direction
// (negative when it improved); the relative drop divides it by |baseline|
// (a baseline of 0: a positive drop is infinite, else 0). A NaN metric fails its
// checks. Drop rules are skipped when `baseline` is null.
// InvalidArgument "<rule>: unknown metric '<m>' for <task>; available: …".
Result<std::vector<GateCheck>> ApplyGate(const GateRules& rules, Task task,
                                         const MetricValues& candidate,
                                         const MetricValues* baseline);

struct EvaluatedModel {
  std::string reference;  // baseline only: the resolved reference, e.g. "name:3"
  std::string digest;     // "sha256:…" bundle digest
  MetricValues metrics;
};

// The evaluation record (format ferry.evaluation/v1).
struct Evaluation {
  bool blessed = false;
  Task task = Task::kRegression;
  std::string data_sha256;  // hex, of the data file
  int64_t rows = 0;
  std::string label;  // the label column used
  std::string key;    // the key column, when one was given
  EvaluatedModel candidate;
  std::optional<EvaluatedModel> baseline;
  std::vector<GateCheck> checks;
  std::string note;  // human-readable summary; no timestamps
};

struct EvaluateOptions {
  // The label column; empty: the one column of the table that is neither a
  // feature of the candidate nor `key` (InvalidArgument unless exactly one).
  std::string label;
  std::string key;         // optional: column of row ids (must be unique, not a feature)
  double threshold = 0.5;  // binary classification cut
  GateRules rules;
  std::string baseline_reference;  // shown in the record; with a baseline bundle
  std::string no_baseline_note;    // why there is no baseline, when there is none
};

// Evaluates `candidate` (and `baseline`, when given, on the same rows) on
// `table` and applies the gate. InvalidArgument when the baseline's task or
// class count differs from the candidate's, the key column repeats a value or
// is a model feature, a label is missing or out of range for the task, or a
// rule names an unknown metric.
Result<Evaluation> Evaluate(const bundle::Bundle& candidate, const bundle::Bundle* baseline,
                            const DataTable& table, const EvaluateOptions& options);

// The JSON record, compact and deterministic:
// {"format":"ferry.evaluation/v1","blessed":…,"task":…,
//  "data":{"sha256":…,"rows":N,"label":…[,"key":…]},
//  "candidate":{"digest":…,"metrics":{…}},"baseline":{"reference":…,"digest":…,"metrics":{…}}|null,
//  "checks":[{"metric":…,"rule":…,"value":…,"limit":…,"passed":…}],"note":…}
std::string EvaluationToJson(const Evaluation& evaluation);

}  // namespace ferry::train

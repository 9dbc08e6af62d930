#pragma once

// The "prediction" part of baseline.json (baseline.h): a model's own predictions on the rows of
// the baseline CSV, profiled so that serving can measure drift of the prediction.

#include <optional>
#include <string_view>

#include "ferry/backends/backend.h"
#include "ferry/base/result.h"
#include "ferry/bundle/baseline.h"

namespace ferry::bundle {

// Scores every data record of the CSV at `csv_path` (see ferry::table::CsvReader: compression is
// detected) with `model` and profiles the value of its one output per row (ProfileNumbers).
//
// The features are read by the names of the model's one input (signature.inputs[0].features)
// from the header; other columns (the label, keys) are ignored. A missing, non-numeric or
// infinite cell is NaN, XGBoost's missing value. The scores are the same the model gives through
// its backend anywhere else (rows in blocks; FP32 input).
//
// Returns nullopt when the model has no single value per row: an output other than one tensor of
// shape [-1] (multiclass probabilities are [-1, classes]).
//
// Errors: those of CsvReader (open, parse) and of Session::Run; NotFound
// "<csv>: no column named '<feature>'" for a feature the header lacks; FailedPrecondition when the
// signature has not exactly one input or its input names no features.
Result<std::optional<PredictionProfile>> ProfilePredictions(const backends::Model& model,
                                                            std::string_view csv_path);

}  // namespace ferry::bundle

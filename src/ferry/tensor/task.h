#pragma once

#include <optional>
#include <string_view>

namespace ferry {

// What a model predicts; decides the meaning of its outputs.
enum class Task {
  kRegression,                // one value per row
  kBinaryClassification,      // probability of the positive class per row
  kMulticlassClassification,  // one probability per class per row
};

// "regression" | "binary_classification" | "multiclass_classification"
std::string_view TaskName(Task task);
std::optional<Task> ParseTask(std::string_view name);

}  // namespace ferry

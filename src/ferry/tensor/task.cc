#include "ferry/tensor/task.h"

namespace ferry {

std::string_view TaskName(Task task) {
  switch (task) {
    case Task::kRegression:
      return "regression";
    case Task::kBinaryClassification:
      return "binary_classification";
    case Task::kMulticlassClassification:
      return "multiclass_classification";
  }
  return "unknown";
}

std::optional<Task> ParseTask(std::string_view name) {
  if (name == "regression") return Task::kRegression;
  if (name == "binary_classification") return Task::kBinaryClassification;
  if (name == "multiclass_classification") return Task::kMulticlassClassification;
  return std::nullopt;
}

}  // namespace ferry

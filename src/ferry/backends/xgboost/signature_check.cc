#include "ferry/backends/xgboost/signature_check.h"

#include <string>

namespace ferry::backends::xgboost {

namespace {

std::string Quote(const std::string& name) { return "'" + name + "'"; }

Status CheckTask(Task task, const LearnerFacts& facts, const std::string& file) {
  if (IsClassIndexObjective(facts.objective)) {
    return InvalidArgument(file + " has objective " + facts.objective +
                           ", which predicts a class index; Ferry serves class probabilities: " +
                           "train with objective multi:softprob");
  }
  Task model_task = *TaskOfObjective(facts.objective);
  if (model_task != task) {
    return InvalidArgument("task " + std::string(TaskName(task)) + " does not match " + file +
                           ", whose objective " + facts.objective + " is a " +
                           std::string(TaskName(model_task)) + " objective");
  }
  if (task != Task::kMulticlassClassification && facts.num_target != 1) {
    return InvalidArgument(file + " predicts " + std::to_string(facts.num_target) +
                           " targets per row; Ferry serves single-target models");
  }
  if (task == Task::kMulticlassClassification && facts.num_class < 2) {
    return InvalidArgument(file + " has objective " + facts.objective + " but num_class " +
                           std::to_string(facts.num_class));
  }
  return Status::Ok();
}

Status CheckInput(const Signature& signature, int64_t num_features, const std::string& file) {
  if (signature.inputs.size() != 1) {
    return InvalidArgument("signature has " + std::to_string(signature.inputs.size()) +
                           " inputs; an XGBoost model takes exactly one, of shape [-1, " +
                           std::to_string(num_features) + "]");
  }
  const TensorSpec& in = signature.inputs[0];
  if (in.datatype != DataType::kFp32 && in.datatype != DataType::kFp64) {
    return InvalidArgument("signature input " + Quote(in.name) + " has datatype " +
                           std::string(DataTypeName(in.datatype)) + "; expected FP32 or FP64");
  }
  const Shape& shape = in.shape;
  if (shape.rank() != 2 || shape.dim(0) != Shape::kVariable) {
    return InvalidArgument("signature input " + Quote(in.name) + " has shape " + shape.ToString() +
                           "; expected [-1, " + std::to_string(num_features) + "] for " + file);
  }
  if (shape.dim(1) != num_features) {
    return InvalidArgument("signature input " + Quote(in.name) + " has " +
                           std::to_string(shape.dim(1)) + " features but " + file + " expects " +
                           std::to_string(num_features));
  }
  return Status::Ok();
}

Status CheckOutput(const Signature& signature, Task task, const LearnerFacts& facts,
                   const std::string& file) {
  if (signature.outputs.size() != 1) {
    return InvalidArgument("signature has " + std::to_string(signature.outputs.size()) +
                           " outputs; " + file + " produces exactly one");
  }
  const TensorSpec& out = signature.outputs[0];
  if (out.datatype != DataType::kFp32) {
    return InvalidArgument("signature output " + Quote(out.name) + " has datatype " +
                           std::string(DataTypeName(out.datatype)) + "; XGBoost produces FP32");
  }
  const Shape& shape = out.shape;
  if (task == Task::kMulticlassClassification) {
    Shape expected{Shape::kVariable, facts.num_class};
    if (shape != expected) {
      return InvalidArgument("signature output " + Quote(out.name) + " has shape " +
                             shape.ToString() + " but " + file + " has " +
                             std::to_string(facts.num_class) + " classes (expected " +
                             expected.ToString() + ")");
    }
    return Status::Ok();
  }
  if (shape != Shape{Shape::kVariable} && shape != Shape{Shape::kVariable, 1}) {
    return InvalidArgument("signature output " + Quote(out.name) + " has shape " +
                           shape.ToString() + "; expected [-1] or [-1, 1] for " +
                           std::string(TaskName(task)));
  }
  return Status::Ok();
}

}  // namespace

Status CheckSpecAgainstModel(const ModelSpec& spec, const ModelShape& model,
                             std::string_view file) {
  std::string name(file);
  FERRY_RETURN_IF_ERROR(CheckTask(spec.task, model.facts, name));
  FERRY_RETURN_IF_ERROR(CheckInput(spec.signature, model.num_features, name));
  return CheckOutput(spec.signature, spec.task, model.facts, name);
}

}  // namespace ferry::backends::xgboost

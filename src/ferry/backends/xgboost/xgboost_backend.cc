#include "ferry/backends/xgboost/xgboost_backend.h"

#include <utility>

#include "ferry/backends/xgboost/booster.h"
#include "ferry/backends/xgboost/learner_facts.h"
#include "ferry/backends/xgboost/predictor_choice.h"
#include "ferry/backends/xgboost/signature_check.h"
#include "ferry/backends/xgboost/xgboost_model.h"

namespace ferry::backends::xgboost {

Result<std::unique_ptr<Model>> XgboostBackend::Load(const ModelSpec& spec,
                                                    const LoadOptions& options) const {
  if (options.threads_per_session < 1) {
    return InvalidArgument("threads_per_session must be at least 1, got " +
                           std::to_string(options.threads_per_session));
  }
  if (options.load_threads < 0) {
    return InvalidArgument("load_threads must not be negative, got " +
                           std::to_string(options.load_threads));
  }
  FERRY_ASSIGN_OR_RETURN(Booster booster, Booster::LoadFile(spec.artifact, options.load_threads));
  FERRY_RETURN_IF_ERROR(booster.SetParam("nthread", std::to_string(options.threads_per_session)));
  ModelShape shape;
  FERRY_ASSIGN_OR_RETURN(shape.num_features, booster.NumFeatures());
  FERRY_ASSIGN_OR_RETURN(shape.facts, booster.Facts());
  const std::string file = spec.artifact.filename().string();
  FERRY_RETURN_IF_ERROR(CheckSpecAgainstModel(spec, shape, file));
  FERRY_ASSIGN_OR_RETURN(PredictorChoice predictor,
                         ChoosePredictor(booster, options, shape.num_features, file));
  FERRY_ASSIGN_OR_RETURN(
      std::unique_ptr<XgboostModel> model,
      XgboostModel::Create(spec, std::move(booster), shape, std::move(predictor)));
  return std::unique_ptr<Model>(std::move(model));
}

Result<ModelInfo> XgboostBackend::Inspect(const std::filesystem::path& artifact) const {
  FERRY_ASSIGN_OR_RETURN(Booster booster, Booster::LoadFile(artifact, /*load_threads=*/1));
  ModelInfo info;
  FERRY_ASSIGN_OR_RETURN(info.num_features, booster.NumFeatures());
  FERRY_ASSIGN_OR_RETURN(LearnerFacts facts, booster.Facts());
  info.task = TaskOfObjective(facts.objective);
  if (facts.objective.starts_with("multi:")) info.num_classes = facts.num_class;
  FERRY_ASSIGN_OR_RETURN(info.feature_names, booster.FeatureNames());
  info.objective = std::move(facts.objective);
  return info;
}

std::vector<std::string> XgboostBackend::artifact_extensions() const { return {".json", ".ubj"}; }

}  // namespace ferry::backends::xgboost

namespace {
using ferry::backends::xgboost::XgboostBackend;
}  // namespace
FERRY_REGISTER_BACKEND(XgboostBackend)

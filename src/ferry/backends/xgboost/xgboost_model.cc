#include "ferry/backends/xgboost/xgboost_model.h"

#include <cstring>
#include <limits>
#include <utility>

#include "ferry/backends/xgboost/array_interface.h"

namespace ferry::backends::xgboost {

namespace {

// Prediction config, the same for every call: transformed values (type 0),
// all trees, NaN marks a missing value. XGBoost 1.7 needs "cache_id":0.
constexpr char kPredictConfig[] =
    "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
    "\"strict_shape\":false,\"cache_id\":0,\"missing\":NaN}";

Shape OutputShape(const LoadedModel& model, int64_t rows) {
  if (model.output_has_width_dim) return Shape{rows, model.output_width};
  return Shape{rows};
}

std::string ExpectedInputShape(const LoadedModel& model) {
  return Shape{Shape::kVariable, model.num_features}.ToString();
}

}  // namespace

// --- XgboostModel -----------------------------------------------------------

XgboostModel::XgboostModel(const ModelSpec& spec, std::shared_ptr<const LoadedModel> loaded,
                           LearnerFacts facts)
    : signature_(spec.signature),
      task_(spec.task),
      facts_(std::move(facts)),
      loaded_(std::move(loaded)) {}

Result<std::unique_ptr<XgboostModel>> XgboostModel::Create(const ModelSpec& spec, Booster booster,
                                                           const ModelShape& shape,
                                                           PredictorChoice predictor) {
  auto loaded = std::make_shared<LoadedModel>(LoadedModel{
      .booster = std::move(booster),
      .file = spec.artifact.filename().string(),
      .input_name = spec.signature.inputs[0].name,
      .num_features = shape.num_features,
      .output_width = spec.task == Task::kMulticlassClassification ? shape.facts.num_class : 1,
      .output_has_width_dim = spec.signature.outputs[0].shape.rank() == 2,
      .forest = std::nullopt,
  });
  std::unique_ptr<XgboostModel> model(new XgboostModel(spec, loaded, shape.facts));
  model->fallback_reason_ = std::move(predictor.fallback_reason);

  // Warm-up: XGBoost configures the learner on its first prediction; do it
  // now, while this thread is the only user (and before the native
  // predictor, if any, takes over the sessions).
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<XgboostSession> session, XgboostSession::Create(loaded));
  std::vector<float> row(static_cast<size_t>(shape.num_features),
                         std::numeric_limits<float>::quiet_NaN());
  TensorView view(DataType::kFp32, Shape{1, shape.num_features}, row.data());
  Result<std::span<const Tensor>> warm = session->Run(std::span<const TensorView>(&view, 1));
  if (!warm.ok()) return InvalidArgument(warm.status().message());
  loaded->forest = std::move(predictor.forest);
  return model;
}

Result<std::unique_ptr<Session>> XgboostModel::NewSession() const {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<XgboostSession> session, XgboostSession::Create(loaded_));
  return std::unique_ptr<Session>(std::move(session));
}

// --- XgboostSession ---------------------------------------------------------

XgboostSession::XgboostSession(std::shared_ptr<const LoadedModel> model, ProxyDMatrix proxy)
    : model_(std::move(model)), proxy_(std::move(proxy)) {
  outputs_.emplace_back(DataType::kFp32, OutputShape(*model_, 0));
}

Result<std::unique_ptr<XgboostSession>> XgboostSession::Create(
    std::shared_ptr<const LoadedModel> model) {
  FERRY_ASSIGN_OR_RETURN(ProxyDMatrix proxy, ProxyDMatrix::Create());
  return std::unique_ptr<XgboostSession>(new XgboostSession(std::move(model), std::move(proxy)));
}

void XgboostSession::ResizeOutput(int64_t rows) {
  if (rows == output_rows_) return;
  outputs_[0].ResizeDim(0, rows);  // keeps the Shape: no allocation within capacity
  output_rows_ = rows;
}

Result<std::span<const Tensor>> XgboostSession::Run(std::span<const TensorView> inputs) {
  const LoadedModel& model = *model_;
  if (inputs.size() != 1) {
    return InvalidArgument("expected 1 input ('" + model.input_name + "'), got " +
                           std::to_string(inputs.size()));
  }
  const TensorView& input = inputs[0];
  std::string_view typestr;
  switch (input.type()) {
    case DataType::kFp32:
      typestr = "<f4";
      break;
    case DataType::kFp64:
      typestr = "<f8";
      break;
    default:
      return InvalidArgument("input '" + model.input_name +
                             "': expected datatype FP32 or FP64, got " +
                             std::string(DataTypeName(input.type())));
  }
  const Shape& shape = input.shape();
  if (shape.rank() != 2 || shape.dim(0) < 0 || shape.dim(1) != model.num_features) {
    return InvalidArgument("input '" + model.input_name + "': expected shape " +
                           ExpectedInputShape(model) + ", got " + shape.ToString());
  }
  const int64_t rows = shape.dim(0);
  ResizeOutput(rows);
  if (rows == 0) return std::span<const Tensor>(outputs_);
  if (input.data() == nullptr) {
    return InvalidArgument("input '" + model.input_name + "' has no data");
  }

  if (model.forest) return RunNative(*model.forest, input, rows);

  std::string_view array =
      FormatArrayInterface(array_interface_, input.data(), rows, model.num_features, typestr);
  if (array.empty()) {
    return Internal("array interface for input '" + model.input_name + "' does not fit");
  }

  const bst_ulong* out_shape = nullptr;
  bst_ulong out_dim = 0;
  const float* out = nullptr;
  if (XGBoosterPredictFromDense(model.booster.handle(), array.data(), kPredictConfig,
                                proxy_.handle(), &out_shape, &out_dim, &out) != 0) {
    return Internal("XGBoost prediction with " + model.file + " failed: " + LastXgboostError());
  }
  uint64_t produced = 1;
  for (bst_ulong d = 0; d < out_dim; ++d) produced *= out_shape[d];
  const uint64_t expected = static_cast<uint64_t>(rows) * static_cast<uint64_t>(model.output_width);
  if (produced != expected) {
    return Internal("XGBoost returned " + std::to_string(produced) + " values for " +
                    std::to_string(rows) + " rows of " + model.file + "; expected " +
                    std::to_string(expected));
  }
  std::memcpy(outputs_[0].mutable_data(), out, expected * sizeof(float));
  return std::span<const Tensor>(outputs_);
}

Result<std::span<const Tensor>> XgboostSession::RunNative(const Forest& forest,
                                                          const TensorView& input, int64_t rows) {
  float* out = static_cast<float*>(outputs_[0].mutable_data());
  if (input.type() == DataType::kFp32) {
    forest.Predict(static_cast<const float*>(input.data()), rows, out);
  } else {
    const size_t block = static_cast<size_t>(Forest::kBlockRows * model_->num_features);
    if (fp64_scratch_.size() < block) fp64_scratch_.resize(block);
    forest.Predict(static_cast<const double*>(input.data()), rows, out, fp64_scratch_);
  }
  return std::span<const Tensor>(outputs_);
}

}  // namespace ferry::backends::xgboost

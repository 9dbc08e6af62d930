#include "ferry/predict/predict_job.h"

#include "ferry/predict/prediction_writer.h"
#include "ferry/predict/row_source.h"

namespace ferry::predict {

namespace {

// Rows gathered for one model call, with what is echoed beside them.
struct Batch {
  Tensor features;
  std::vector<Cell> keys;
  std::vector<std::vector<Cell>> kept;
  int64_t rows = 0;
};

Status ScoreAndWrite(backends::Session& session, Batch& batch, int64_t num_features,
                     PredictionWriter& writer) {
  if (batch.rows == 0) return Status::Ok();
  TensorView view(DataType::kFp32, Shape{batch.rows, num_features}, batch.features.data());
  FERRY_ASSIGN_OR_RETURN(std::span<const Tensor> outputs, session.Run({&view, 1}));
  const Tensor& out = outputs[0];
  const int64_t width = out.NumElements() / batch.rows;
  std::span<const float> values = out.Data<float>();
  for (int64_t r = 0; r < batch.rows; ++r) {
    FERRY_RETURN_IF_ERROR(
        writer.Write(batch.keys[r], batch.kept[r],
                     values.subspan(static_cast<size_t>(r * width), static_cast<size_t>(width))));
  }
  batch.rows = 0;
  return Status::Ok();
}

}  // namespace

Result<PredictSummary> RunPredict(const bundle::Bundle& bundle, const PredictOptions& options,
                                  const std::function<void(const Status&)>& on_bad_row) {
  const Signature& sig = bundle.manifest.signature;
  if (sig.inputs.size() != 1 || sig.inputs[0].shape.rank() != 2 || sig.outputs.size() != 1) {
    return FailedPrecondition(
        "ferry predict scores tabular models: one input of shape [-1, F] and one output");
  }
  const TensorSpec& input = sig.inputs[0];
  const TensorSpec& output = sig.outputs[0];
  const int64_t num_features = input.shape.dim(1);
  if (options.batch_rows <= 0) return InvalidArgument("batch_rows must be positive");

  Format in_format;
  if (options.input_format) {
    in_format = *options.input_format;
  } else {
    FERRY_ASSIGN_OR_RETURN(in_format, FormatOfPath(options.input));
  }
  Format out_format = in_format;
  if (options.output_format) {
    out_format = *options.output_format;
  } else if (options.output != "-") {
    FERRY_ASSIGN_OR_RETURN(out_format, FormatOfPath(options.output));
  }

  RowLayout layout;
  layout.features = input.features;
  layout.num_features = num_features;
  layout.key_column = options.key_column;
  layout.keep = options.keep;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<RowSource> source,
                         OpenRowSource(options.input, in_format, layout));

  backends::LoadOptions load;
  load.threads_per_session = options.threads;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<backends::Model> model, bundle::LoadModel(bundle, load));
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<backends::Session> session, model->NewSession());

  OutputLayout out_layout;
  out_layout.key_column = options.key_column;
  out_layout.keep = options.keep;
  out_layout.output_name = output.name;
  out_layout.output_is_vector = output.shape.rank() > 1;
  out_layout.output_width = out_layout.output_is_vector ? output.shape.dim(1) : 1;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<PredictionWriter> writer,
                         PredictionWriter::Open(options.output, out_format, out_layout));

  Batch batch;
  batch.features = Tensor(DataType::kFp32, Shape{options.batch_rows, num_features});
  batch.keys.resize(static_cast<size_t>(options.batch_rows));
  batch.kept.resize(static_cast<size_t>(options.batch_rows));
  PredictSummary summary;
  float* base = batch.features.MutableData<float>().data();
  while (true) {
    std::span<float> row(base + batch.rows * num_features, static_cast<size_t>(num_features));
    Result<bool> more = source->Next(row, &batch.keys[batch.rows], &batch.kept[batch.rows]);
    if (!more.ok()) {
      if (more.status().code() != StatusCode::kInvalidArgument || !options.skip_bad_rows) {
        return more.status();
      }
      ++summary.rows_skipped;
      if (on_bad_row) on_bad_row(more.status());
      continue;
    }
    if (!*more) break;
    ++batch.rows;
    ++summary.rows_scored;
    if (batch.rows == options.batch_rows) {
      FERRY_RETURN_IF_ERROR(ScoreAndWrite(*session, batch, num_features, *writer));
    }
  }
  FERRY_RETURN_IF_ERROR(ScoreAndWrite(*session, batch, num_features, *writer));
  FERRY_RETURN_IF_ERROR(writer->Commit());
  return summary;
}

}  // namespace ferry::predict

#include "ferry/bundle/prediction_profile.h"

#include <cmath>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "ferry/table/csv_reader.h"
#include "ferry/table/number.h"

namespace ferry::bundle {
namespace {

constexpr int64_t kBlockRows = 1024;

// A cell as the model sees it: a finite number, else NaN.
float CellValue(std::string_view cell) {
  Result<double> x = table::ParseNumber(cell);
  if (!x.ok() || !std::isfinite(*x)) return std::numeric_limits<float>::quiet_NaN();
  return static_cast<float>(*x);
}

}  // namespace

Result<std::optional<PredictionProfile>> ProfilePredictions(const backends::Model& model,
                                                            std::string_view csv_path) {
  const Signature& sig = model.signature();
  if (sig.outputs.size() != 1 || sig.outputs[0].shape.rank() != 1) {
    return std::optional<PredictionProfile>();
  }
  if (sig.inputs.size() != 1 || sig.inputs[0].features.empty()) {
    return FailedPrecondition(
        "cannot profile the predictions: the model's signature does not name its features "
        "(one input with a feature list expected)");
  }
  const std::vector<std::string>& names = sig.inputs[0].features;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<table::CsvReader> reader,
                         table::CsvReader::Open(csv_path));
  std::vector<size_t> columns;
  columns.reserve(names.size());
  for (const std::string& name : names) {
    int64_t index = reader->ColumnIndex(name);
    if (index < 0) return NotFound(reader->name() + ": no column named '" + name + "'");
    columns.push_back(static_cast<size_t>(index));
  }
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<backends::Session> session, model.NewSession());

  const auto width = static_cast<int64_t>(columns.size());
  std::vector<float> block;
  block.reserve(static_cast<size_t>(kBlockRows * width));
  std::vector<double> predictions;
  auto score = [&]() -> Status {
    if (block.empty()) return Status::Ok();
    const int64_t rows = static_cast<int64_t>(block.size()) / width;
    TensorView input(DataType::kFp32, Shape{rows, width}, block.data());
    FERRY_ASSIGN_OR_RETURN(std::span<const Tensor> outputs,
                           session->Run(std::span<const TensorView>(&input, 1)));
    if (outputs.size() != 1 || outputs[0].NumElements() != rows) {
      return Internal("the model gave " +
                      std::to_string(outputs.empty() ? 0 : outputs[0].NumElements()) +
                      " values for " + std::to_string(rows) + " rows");
    }
    if (outputs[0].type() == DataType::kFp64) {
      for (double v : outputs[0].Data<double>()) predictions.push_back(v);
    } else if (outputs[0].type() == DataType::kFp32) {
      for (float v : outputs[0].Data<float>()) predictions.push_back(v);
    } else {
      return Internal("the model's output is not FP32 or FP64");
    }
    block.clear();
    return Status::Ok();
  };

  std::vector<std::string_view> fields;
  while (true) {
    FERRY_ASSIGN_OR_RETURN(bool more, reader->Next(&fields));
    if (!more) break;
    for (size_t c : columns) block.push_back(CellValue(fields[c]));
    if (static_cast<int64_t>(block.size()) == kBlockRows * width) FERRY_RETURN_IF_ERROR(score());
  }
  FERRY_RETURN_IF_ERROR(score());

  PredictionProfile profile;
  profile.output = sig.outputs[0].name;
  profile.stats = ProfileNumbers(std::move(predictions));
  return std::optional<PredictionProfile>(std::move(profile));
}

}  // namespace ferry::bundle

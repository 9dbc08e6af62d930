#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/serving/inference_service.h"

// JSON bodies of the v2 (Open Inference Protocol) responses, written with
// ferry::JsonWriter. Pure functions; thread-safe.
namespace ferry::protocol {

// {"model_name", "model_version", "id"?, "parameters": {"key"}?, "outputs":
// [{"name", "datatype", "shape", "data"}...]}; row keys come back as a BYTES
// output named "keys" (first), one per row.
std::string EncodeInferResponse(const serving::InferResponse& response);

// GET /v2: {"name", "version", "extensions"}.
std::string EncodeServerMetadata(std::string_view name, std::string_view version,
                                 const std::vector<std::string>& extensions);

// GET /v2/models/{m}[/versions/{v}]: {"name", "versions", "platform",
// "inputs", "outputs"} plus Ferry's "task" and "version_states"
// ([{"version", "state", "reason"?}]).
std::string EncodeModelMetadata(const serving::ModelMetadata& metadata);

// GET /v2/models/{m}/stats: Triton's statistics extension,
// {"model_stats": [{"name", "version", "state", "last_inference",
// "inference_count", "execution_count", "inference_stats": {...},
// "batch_stats": []}]}.
std::string EncodeModelStats(const std::vector<serving::ModelStats>& stats);

// POST /v2/repository/index: [{"name", "version", "state", "reason"}].
std::string EncodeRepositoryIndex(const std::vector<serving::RepositoryEntry>& entries);

}  // namespace ferry::protocol

#pragma once

#include <cstdint>
#include <string>

#include "ferry/base/status.h"
#include "ferry/serving/inference_service.h"
#include "ferry/tensor/signature.h"

// Decodes the JSON body of a v2 (Open Inference Protocol) infer request
// with simdjson, writing the numbers straight into the request's input
// Tensor. Error messages are part of the HTTP contract (golden tests pin
// them).
namespace ferry::protocol {

struct DecodeLimits {
  int64_t max_rows_per_request = 65536;  // more: OutOfRange (413)
  int max_json_depth = 32;               // deeper nesting: InvalidArgument (400)
};

// Reads `body` (a JSON object {id?, parameters?, inputs, outputs?}) into
// `out`, checking it against `signature`:
// - the signature's first input, by name, with the signature's datatype (FP32)
//   or FP64 (converted; values past FP32's range are refused), a shape the
//   signature accepts, and exactly shape-product values in `data`, flat or
//   nested; JSON null is a missing value (NaN);
// - optionally an input "keys" of datatype BYTES and shape [rows]: one key
//   per row, echoed in the response;
// - `outputs` names only signature outputs; parameters.key (string),
//   parameters.timeout_us and parameters.priority (non-negative integers).
// Sets out->id, key, row_keys, input_name, input, requested_outputs,
// priority, timeout_us; leaves model, version, received and cancelled alone.
// `body` may gain capacity (simdjson's padding) but keeps its contents.
// Thread-safe (one parser per thread).
Status DecodeInferRequest(std::string& body, const Signature& signature, const DecodeLimits& limits,
                          serving::InferRequest* out);

// Reads the optional body of POST /v2/repository/index: empty, or
// {"ready": bool}. Sets *ready_only.
Status DecodeRepositoryIndexRequest(std::string& body, const DecodeLimits& limits,
                                    bool* ready_only);

}  // namespace ferry::protocol

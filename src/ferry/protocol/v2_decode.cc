#include "ferry/protocol/v2_decode.h"

#include <simdjson.h>

#include <cfloat>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>
#include <vector>

namespace ferry::protocol {
namespace {

namespace dom = simdjson::dom;
using serving::InferRequest;

constexpr std::string_view kKeysInput = "keys";

// One parser per thread, reused: it keeps its buffers between requests.
Result<dom::element> Parse(std::string& body, const DecodeLimits& limits) {
  thread_local dom::parser parser;
  const auto depth = static_cast<size_t>(limits.max_json_depth);
  if (parser.max_depth() != depth || parser.capacity() < body.size()) {
    if (parser.allocate(std::max(body.size(), parser.capacity()), depth) != simdjson::SUCCESS) {
      return Internal("cannot allocate the JSON parser");
    }
  }
  if (body.capacity() - body.size() < simdjson::SIMDJSON_PADDING) {
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  }
  dom::element root;
  auto error = parser.parse(body.data(), body.size(), false).get(root);
  if (error == simdjson::DEPTH_ERROR) {
    return InvalidArgument("request body nests JSON deeper than the limit of " +
                           std::to_string(limits.max_json_depth) + " levels");
  }
  if (error) {
    return InvalidArgument(std::string("request body is not valid JSON: ") +
                           simdjson::error_message(error));
  }
  return root;
}

std::string ShapeText(const std::vector<int64_t>& dims) { return Shape(dims).ToString(); }

std::string JoinNames(const std::vector<TensorSpec>& specs) {
  std::string s;
  for (const TensorSpec& spec : specs) {
    if (!s.empty()) s += ", ";
    s += spec.name;
  }
  return s;
}

// A non-negative integer that fits int64.
bool GetCount(dom::element e, int64_t* v) {
  int64_t i = 0;
  if (e.get_int64().get(i) != simdjson::SUCCESS || i < 0) return false;
  *v = i;
  return true;
}

std::string NumberText(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "?";
}

// Writes the numbers of `e` (a number, null, or arrays of them, nested to
// any depth the parser allowed) into out[*count...], stopping at `capacity`.
class NumberSink {
 public:
  NumberSink(float* out, int64_t capacity, const std::string& input)
      : out_(out), capacity_(capacity), input_(input) {}

  Status Add(dom::element e) {
    switch (e.type()) {
      case dom::element_type::ARRAY:
        for (dom::element child : dom::array(e)) {
          FERRY_RETURN_IF_ERROR(Add(child));
        }
        return Status::Ok();
      case dom::element_type::DOUBLE:
        return Put(double(e));
      case dom::element_type::INT64:
        return Put(static_cast<double>(int64_t(e)));
      case dom::element_type::UINT64:
        return Put(static_cast<double>(uint64_t(e)));
      case dom::element_type::NULL_VALUE:
        return Put(std::numeric_limits<double>::quiet_NaN());
      case dom::element_type::STRING:
        return InvalidArgument("input '" + input_ + "': value #" + std::to_string(count_) +
                               " is a string; data must be JSON numbers (NaN and Infinity "
                               "cannot be sent; null means a missing value)");
      default:
        return InvalidArgument("input '" + input_ + "': value #" + std::to_string(count_) +
                               " is not a number");
    }
  }

  int64_t count() const { return count_; }

 private:
  Status Put(double v) {
    if (std::isfinite(v) && std::fabs(v) > FLT_MAX) {
      return InvalidArgument("input '" + input_ + "': value #" + std::to_string(count_) + " (" +
                             NumberText(v) + ") is out of range for FP32");
    }
    if (count_ < capacity_) out_[count_] = static_cast<float>(v);
    ++count_;  // counted past capacity so the error can say how many there are
    return Status::Ok();
  }

  float* out_;
  int64_t capacity_;
  const std::string& input_;
  int64_t count_ = 0;
};

Status ReadShape(dom::element e, const std::string& input, std::vector<int64_t>* dims) {
  dom::array a;
  Status bad =
      InvalidArgument("input '" + input + "': 'shape' must be an array of non-negative integers");
  if (e.get_array().get(a) != simdjson::SUCCESS) return bad;
  for (dom::element d : a) {
    int64_t v = 0;
    if (!GetCount(d, &v)) return bad;
    dims->push_back(v);
  }
  return Status::Ok();
}

struct RawInput {
  std::string name;
  std::vector<int64_t> shape;
  std::string datatype;
  dom::element data;
};

Status ReadInput(dom::element e, size_t index, RawInput* in) {
  dom::object obj;
  std::string where = "input #" + std::to_string(index);
  if (e.get_object().get(obj) != simdjson::SUCCESS) {
    return InvalidArgument(where + " must be an object");
  }
  std::string_view name;
  if (obj["name"].get_string().get(name) != simdjson::SUCCESS) {
    return InvalidArgument(where + ": 'name' must be a string");
  }
  in->name = std::string(name);
  dom::element shape;
  if (obj["shape"].get(shape) != simdjson::SUCCESS) {
    return InvalidArgument("input '" + in->name + "': 'shape' is missing");
  }
  FERRY_RETURN_IF_ERROR(ReadShape(shape, in->name, &in->shape));
  std::string_view datatype;
  if (obj["datatype"].get_string().get(datatype) != simdjson::SUCCESS) {
    return InvalidArgument("input '" + in->name + "': 'datatype' must be a string");
  }
  in->datatype = std::string(datatype);
  if (obj["data"].get(in->data) != simdjson::SUCCESS) {
    return InvalidArgument("input '" + in->name + "': 'data' is missing");
  }
  return Status::Ok();
}

Status CheckRows(int64_t rows, const DecodeLimits& limits) {
  if (rows > limits.max_rows_per_request) {
    return OutOfRange("request has " + std::to_string(rows) + " rows; the limit is " +
                      std::to_string(limits.max_rows_per_request) + " rows per request");
  }
  return Status::Ok();
}

Status DecodeFeatures(const RawInput& in, const TensorSpec& spec, const DecodeLimits& limits,
                      InferRequest* out) {
  auto type = ParseDataType(in.datatype);
  if (!type)
    return InvalidArgument("input '" + in.name + "': unknown datatype '" + in.datatype + "'");
  if (*type != spec.datatype && *type != DataType::kFp64) {
    return InvalidArgument("input '" + in.name + "': datatype " + in.datatype +
                           " is not accepted; the model expects " +
                           std::string(DataTypeName(spec.datatype)));
  }
  Shape shape(in.shape);
  if (!spec.shape.Accepts(shape)) {
    return InvalidArgument("input '" + in.name + "': shape " + ShapeText(in.shape) +
                           " does not match the model's input shape " + spec.shape.ToString());
  }
  const int64_t rows = in.shape.empty() ? 1 : in.shape[0];
  if (rows < 1) return InvalidArgument("input '" + in.name + "': the request has no rows");
  FERRY_RETURN_IF_ERROR(CheckRows(rows, limits));
  const int64_t expected = shape.NumElements();
  out->input = Tensor(DataType::kFp32, shape);
  NumberSink sink(out->input.MutableData<float>().data(), expected, in.name);
  FERRY_RETURN_IF_ERROR(sink.Add(in.data));
  if (sink.count() != expected) {
    return InvalidArgument("input '" + in.name + "': shape " + ShapeText(in.shape) + " needs " +
                           std::to_string(expected) + " values, but 'data' holds " +
                           std::to_string(sink.count()));
  }
  out->input_name = in.name;
  return Status::Ok();
}

Status AddKeys(dom::element e, std::vector<std::string>* keys) {
  if (e.is_array()) {
    for (dom::element child : dom::array(e)) FERRY_RETURN_IF_ERROR(AddKeys(child, keys));
    return Status::Ok();
  }
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) {
    return InvalidArgument("input 'keys': every key must be a string");
  }
  keys->emplace_back(s);
  return Status::Ok();
}

Status DecodeKeys(const RawInput& in, InferRequest* out) {
  if (in.datatype != "BYTES" || in.shape.size() != 1) {
    return InvalidArgument(
        "input 'keys' must have datatype BYTES and shape [rows] (one key per row)");
  }
  FERRY_RETURN_IF_ERROR(AddKeys(in.data, &out->row_keys));
  if (static_cast<int64_t>(out->row_keys.size()) != in.shape[0]) {
    return InvalidArgument("input 'keys': shape " + ShapeText(in.shape) + " needs " +
                           std::to_string(in.shape[0]) + " keys, but 'data' holds " +
                           std::to_string(out->row_keys.size()));
  }
  return Status::Ok();
}

Status DecodeParameters(dom::element e, InferRequest* out) {
  dom::object params;
  if (e.get_object().get(params) != simdjson::SUCCESS) {
    return InvalidArgument("'parameters' must be an object");
  }
  for (auto [name, value] : params) {
    if (name == "key") {
      std::string_view key;
      if (value.get_string().get(key) != simdjson::SUCCESS) {
        return InvalidArgument("parameters.key must be a string");
      }
      out->key = std::string(key);
    } else if (name == "timeout_us") {
      int64_t v = 0;
      if (!GetCount(value, &v)) {
        return InvalidArgument("parameters.timeout_us must be a non-negative integer");
      }
      out->timeout_us = v;
    } else if (name == "priority") {
      int64_t v = 0;
      if (!GetCount(value, &v) || v > std::numeric_limits<int>::max()) {
        return InvalidArgument("parameters.priority must be a non-negative integer");
      }
      out->priority = static_cast<int>(v);
    }
    // Other parameters are the protocol's or the client's own; they are ignored.
  }
  return Status::Ok();
}

Status DecodeOutputs(dom::element e, const Signature& signature, InferRequest* out) {
  dom::array outputs;
  if (e.get_array().get(outputs) != simdjson::SUCCESS) {
    return InvalidArgument("'outputs' must be an array of objects with a 'name'");
  }
  for (dom::element o : outputs) {
    std::string_view name;
    if (o["name"].get_string().get(name) != simdjson::SUCCESS) {
      return InvalidArgument("'outputs' must be an array of objects with a 'name'");
    }
    if (signature.FindOutput(std::string(name)) == nullptr) {
      return InvalidArgument("unknown output '" + std::string(name) +
                             "'; the model's outputs are: " + JoinNames(signature.outputs));
    }
    out->requested_outputs.emplace_back(name);
  }
  return Status::Ok();
}

}  // namespace

Status DecodeInferRequest(std::string& body, const Signature& signature, const DecodeLimits& limits,
                          InferRequest* out) {
  if (signature.inputs.empty()) return Internal("the model's signature has no inputs");
  FERRY_ASSIGN_OR_RETURN(dom::element root, Parse(body, limits));
  dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return InvalidArgument("request body must be a JSON object");
  }
  dom::element inputs_element;
  bool have_inputs = false;
  for (auto [name, value] : obj) {
    if (name == "id") {
      std::string_view id;
      if (value.get_string().get(id) != simdjson::SUCCESS) {
        return InvalidArgument("'id' must be a string");
      }
      out->id = std::string(id);
    } else if (name == "parameters") {
      FERRY_RETURN_IF_ERROR(DecodeParameters(value, out));
    } else if (name == "inputs") {
      inputs_element = value;
      have_inputs = true;
    } else if (name == "outputs") {
      FERRY_RETURN_IF_ERROR(DecodeOutputs(value, signature, out));
    }
  }
  dom::array inputs;
  if (!have_inputs || inputs_element.get_array().get(inputs) != simdjson::SUCCESS ||
      inputs.size() == 0) {
    return InvalidArgument("'inputs' must be a non-empty array");
  }
  const TensorSpec& spec = signature.inputs[0];
  bool have_features = false, have_keys = false;
  size_t index = 0;
  for (dom::element e : inputs) {
    RawInput in;
    FERRY_RETURN_IF_ERROR(ReadInput(e, index++, &in));
    if (in.name == spec.name) {
      if (have_features) return InvalidArgument("input '" + in.name + "' is given twice");
      have_features = true;
      FERRY_RETURN_IF_ERROR(DecodeFeatures(in, spec, limits, out));
    } else if (in.name == kKeysInput) {
      if (have_keys) return InvalidArgument("input 'keys' is given twice");
      have_keys = true;
      FERRY_RETURN_IF_ERROR(DecodeKeys(in, out));
    } else {
      return InvalidArgument("unknown input '" + in.name + "'; the model's inputs are: " +
                             JoinNames(signature.inputs) + " (and optionally 'keys')");
    }
  }
  if (!have_features) return InvalidArgument("missing input '" + spec.name + "'");
  const int64_t rows = out->input.shape().dim(0);
  if (have_keys && static_cast<int64_t>(out->row_keys.size()) != rows) {
    return InvalidArgument("input 'keys' holds " + std::to_string(out->row_keys.size()) +
                           " keys, but the request has " + std::to_string(rows) + " rows");
  }
  return Status::Ok();
}

Status DecodeRepositoryIndexRequest(std::string& body, const DecodeLimits& limits,
                                    bool* ready_only) {
  *ready_only = false;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return Status::Ok();
  FERRY_ASSIGN_OR_RETURN(dom::element root, Parse(body, limits));
  dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return InvalidArgument("request body must be a JSON object");
  }
  dom::element ready;
  if (obj["ready"].get(ready) == simdjson::SUCCESS) {
    bool v = false;
    if (ready.get_bool().get(v) != simdjson::SUCCESS) {
      return InvalidArgument("'ready' must be true or false");
    }
    *ready_only = v;
  }
  return Status::Ok();
}

}  // namespace ferry::protocol

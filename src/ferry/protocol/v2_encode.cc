#include "ferry/protocol/v2_encode.h"

#include "ferry/base/json_writer.h"

namespace ferry::protocol {
namespace {

template <typename T, typename Write>
void WriteElements(const Tensor& t, JsonWriter& w, Write write) {
  for (T v : t.Data<T>()) write(w, v);
}

void WriteData(const Tensor& t, JsonWriter& w) {
  w.BeginArray();
  switch (t.type()) {
    case DataType::kFp32:
      WriteElements<float>(t, w, [](JsonWriter& j, float v) { j.Float(v); });
      break;
    case DataType::kFp64:
      WriteElements<double>(t, w, [](JsonWriter& j, double v) { j.Double(v); });
      break;
    case DataType::kInt32:
      WriteElements<int32_t>(t, w, [](JsonWriter& j, int32_t v) { j.Int(v); });
      break;
    case DataType::kInt64:
      WriteElements<int64_t>(t, w, [](JsonWriter& j, int64_t v) { j.Int(v); });
      break;
    case DataType::kUint32:
      WriteElements<uint32_t>(t, w, [](JsonWriter& j, uint32_t v) { j.Uint(v); });
      break;
    case DataType::kUint64:
      WriteElements<uint64_t>(t, w, [](JsonWriter& j, uint64_t v) { j.Uint(v); });
      break;
    case DataType::kBool:
      WriteElements<uint8_t>(t, w, [](JsonWriter& j, uint8_t v) { j.Bool(v != 0); });
      break;
    default:  // the backends produce none of the others
      break;
  }
  w.EndArray();
}

void WriteShape(const Shape& shape, JsonWriter& w) {
  w.BeginArray();
  for (int64_t d : shape.dims()) w.Int(d);
  w.EndArray();
}

void WriteSpecs(const std::vector<TensorSpec>& specs, JsonWriter& w) {
  w.BeginArray();
  for (const TensorSpec& s : specs) {
    w.BeginObject().Key("name").String(s.name).Key("datatype").String(DataTypeName(s.datatype));
    w.Key("shape");
    WriteShape(s.shape, w);
    w.EndObject();
  }
  w.EndArray();
}

void WriteDuration(JsonWriter& w, std::string_view name, uint64_t count, uint64_t ns) {
  w.Key(name).BeginObject().Key("count").Uint(count).Key("ns").Uint(ns).EndObject();
}

}  // namespace

std::string EncodeInferResponse(const serving::InferResponse& r) {
  std::string out;
  out.reserve(128 + 16 * r.row_keys.size());
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("model_name").String(r.model);
  w.Key("model_version").String(std::to_string(r.version));
  if (!r.id.empty()) w.Key("id").String(r.id);
  if (!r.key.empty()) w.Key("parameters").BeginObject().Key("key").String(r.key).EndObject();
  w.Key("outputs").BeginArray();
  if (!r.row_keys.empty()) {
    w.BeginObject().Key("name").String("keys").Key("datatype").String("BYTES");
    w.Key("shape").BeginArray().Int(static_cast<int64_t>(r.row_keys.size())).EndArray();
    w.Key("data").BeginArray();
    for (const std::string& k : r.row_keys) w.String(k);
    w.EndArray().EndObject();
  }
  for (const serving::NamedTensor& o : r.outputs) {
    w.BeginObject().Key("name").String(o.name);
    w.Key("datatype").String(DataTypeName(o.tensor.type()));
    w.Key("shape");
    WriteShape(o.tensor.shape(), w);
    w.Key("data");
    WriteData(o.tensor, w);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

std::string EncodeServerMetadata(std::string_view name, std::string_view version,
                                 const std::vector<std::string>& extensions) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("name").String(name).Key("version").String(version);
  w.Key("extensions").BeginArray();
  for (const std::string& e : extensions) w.String(e);
  w.EndArray().EndObject();
  return out;
}

std::string EncodeModelMetadata(const serving::ModelMetadata& m) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("name").String(m.name);
  w.Key("versions").BeginArray();
  for (const serving::VersionInfo& v : m.versions) w.String(std::to_string(v.version));
  w.EndArray();
  w.Key("platform").String(m.platform);
  w.Key("inputs");
  WriteSpecs(m.signature.inputs, w);
  w.Key("outputs");
  WriteSpecs(m.signature.outputs, w);
  w.Key("task").String(TaskName(m.task));
  w.Key("version_states").BeginArray();
  for (const serving::VersionInfo& v : m.versions) {
    w.BeginObject().Key("version").String(std::to_string(v.version));
    w.Key("state").String(serving::VersionStateName(v.state));
    if (!v.reason.empty()) w.Key("reason").String(v.reason);
    w.EndObject();
  }
  w.EndArray();
  if (!m.parameters.empty()) {
    w.Key("parameters").BeginObject();
    for (const auto& [key, value] : m.parameters) w.Key(key).String(value);
    w.EndObject();
  }
  w.EndObject();
  return out;
}

std::string EncodeModelStats(const std::vector<serving::ModelStats>& stats) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("model_stats").BeginArray();
  for (const serving::ModelStats& m : stats) {
    const serving::InferStats& s = m.stats;
    w.BeginObject().Key("name").String(m.name);
    w.Key("version").String(std::to_string(m.version));
    w.Key("state").String(serving::VersionStateName(m.state));
    w.Key("last_inference").Int(s.last_inference_ms);
    w.Key("inference_count").Uint(s.inference_count);
    w.Key("execution_count").Uint(s.execution_count);
    w.Key("inference_stats").BeginObject();
    WriteDuration(w, "success", s.success_count, s.success_ns);
    WriteDuration(w, "fail", s.fail_count, s.fail_ns);
    WriteDuration(w, "queue", s.queue_count, s.queue_ns);
    WriteDuration(w, "compute_input", 0, 0);
    WriteDuration(w, "compute_infer", s.compute_count, s.compute_ns);
    WriteDuration(w, "compute_output", 0, 0);
    w.EndObject();
    w.Key("batch_stats").BeginArray().EndArray();
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

std::string EncodeRepositoryIndex(const std::vector<serving::RepositoryEntry>& entries) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  for (const serving::RepositoryEntry& e : entries) {
    w.BeginObject().Key("name").String(e.name).Key("version").String(std::to_string(e.version));
    w.Key("state").String(e.state).Key("reason").String(e.reason);
    w.EndObject();
  }
  w.EndArray();
  return out;
}

}  // namespace ferry::protocol

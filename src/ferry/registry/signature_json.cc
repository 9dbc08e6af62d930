#include "ferry/registry/signature_json.h"

#include <simdjson.h>

#include "ferry/base/json_writer.h"

namespace ferry::registry {
namespace {

void WriteSpecs(JsonWriter& j, const std::vector<TensorSpec>& specs) {
  j.BeginArray();
  for (const auto& s : specs) {
    j.BeginObject();
    j.Key("name").String(s.name);
    j.Key("datatype").String(DataTypeName(s.datatype));
    j.Key("shape").BeginArray();
    for (int64_t d : s.shape.dims()) j.Int(d);
    j.EndArray();
    if (!s.features.empty()) {
      j.Key("features").BeginArray();
      for (const auto& f : s.features) j.String(f);
      j.EndArray();
    }
    j.EndObject();
  }
  j.EndArray();
}

}  // namespace

std::string SignatureJson(const Signature& signature) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  j.Key("inputs");
  WriteSpecs(j, signature.inputs);
  j.Key("outputs");
  WriteSpecs(j, signature.outputs);
  j.EndObject();
  return out;
}

Status CheckJsonObject(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element doc;
  auto error = parser.parse(padded).get(doc);
  if (error)
    return InvalidArgument(std::string("not valid JSON: ") + simdjson::error_message(error));
  if (!doc.is_object()) return InvalidArgument("expected a JSON object");
  return Status::Ok();
}

}  // namespace ferry::registry

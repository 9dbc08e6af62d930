#include "ferry/pipeline/value_json.h"

#include <yaml-cpp/yaml.h>

#include "ferry/base/json_writer.h"

namespace ferry::pipeline {
namespace {

void Write(const Value& v, JsonWriter& w) {
  switch (v.kind) {
    case Value::Kind::kScalar:
      w.String(v.scalar);
      return;
    case Value::Kind::kList:
      w.BeginArray();
      for (const ValueEntry& e : v.entries) Write(e.second, w);
      w.EndArray();
      return;
    case Value::Kind::kMap:
      w.BeginObject();
      for (const ValueEntry& e : v.entries) {
        w.Key(e.first);
        Write(e.second, w);
      }
      w.EndObject();
      return;
  }
}

Value Read(const YAML::Node& node) {
  Value v;
  if (node.IsSequence()) {
    v.kind = Value::Kind::kList;
    for (const YAML::Node& item : node) v.entries.push_back({"", Read(item)});
  } else if (node.IsMap()) {
    v.kind = Value::Kind::kMap;
    for (const auto& kv : node) v.entries.push_back({kv.first.Scalar(), Read(kv.second)});
  } else if (node.IsScalar()) {
    v.scalar = node.Scalar();
  }
  return v;
}

}  // namespace

std::string ValueToJson(const Value& value) {
  std::string out;
  JsonWriter w(&out);
  Write(value, w);
  return out;
}

Result<Value> ValueFromJson(std::string_view json) {
  try {
    // JSON is YAML (1.2); yaml-cpp reads it and keeps map order.
    return Read(YAML::Load(std::string(json)));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("not valid JSON: ") + e.what());
  }
}

}  // namespace ferry::pipeline

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ferry {

// Appends compact JSON to a string. Commas and nesting are tracked; keys must
// be given (Key) before each value inside an object. Not thread-safe.
// Non-finite doubles are written as null (JSON has no NaN).
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // Shortest text that reads back as the same double.
  JsonWriter& Double(double value);
  // Shortest text that reads back as the same float.
  JsonWriter& Float(float value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Inserts already-encoded JSON as one value.
  JsonWriter& Raw(std::string_view json);

 private:
  void BeforeValue();

  std::string* out_;
  // One entry per open container: true when it already holds an element.
  std::vector<bool> has_elements_;
  bool after_key_ = false;
};

// Appends `s` as a quoted JSON string, escaping as RFC 8259 requires.
void AppendJsonString(std::string* out, std::string_view s);
// Appends `v` as the shortest text that reads back as the same float; null
// when it is not finite.
void AppendJsonFloat(std::string* out, float v);

}  // namespace ferry

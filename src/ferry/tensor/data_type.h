#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace ferry {

// Element types, named as in the Open Inference Protocol (v2).
enum class DataType {
  kBool,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFp16,
  kFp32,
  kFp64,
  kBytes,  // variable-length byte strings; no fixed element size
};

// The v2 name, e.g. "FP32".
std::string_view DataTypeName(DataType type);
// Parses a v2 name (exact, upper case). nullopt if unknown.
std::optional<DataType> ParseDataType(std::string_view name);
// Bytes per element; 0 for kBytes.
size_t DataTypeSize(DataType type);

}  // namespace ferry

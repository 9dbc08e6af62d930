#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ferry/base/status.h"
#include "ferry/tensor/data_type.h"
#include "ferry/tensor/shape.h"

namespace ferry {

// One named input or output of a model.
struct TensorSpec {
  std::string name;
  DataType datatype = DataType::kFp32;
  Shape shape;                        // -1 marks the batch dimension
  std::vector<std::string> features;  // optional column names, one per element of the last dim
};

// The named inputs and outputs a model accepts and produces.
struct Signature {
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;

  // nullptr when there is no such input/output.
  const TensorSpec* FindInput(const std::string& name) const;
  const TensorSpec* FindOutput(const std::string& name) const;

  // Checks internal consistency: at least one input and one output, unique
  // non-empty names, feature lists that match the last dimension and hold
  // unique non-empty names. The error names the offending spec.
  Status Validate() const;
};

}  // namespace ferry

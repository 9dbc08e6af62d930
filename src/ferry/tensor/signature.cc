#include "ferry/tensor/signature.h"

#include <set>

namespace ferry {

namespace {
const TensorSpec* FindIn(const std::vector<TensorSpec>& specs, const std::string& name) {
  for (const auto& s : specs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Status ValidateList(const std::vector<TensorSpec>& specs, const std::string& what) {
  if (specs.empty()) return InvalidArgument(what + ": expected at least one entry");
  std::set<std::string> names;
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorSpec& s = specs[i];
    std::string where = what + "[" + std::to_string(i) + "]";
    if (s.name.empty()) return InvalidArgument(where + ".name: expected a non-empty name");
    if (!names.insert(s.name).second) {
      return InvalidArgument(where + ".name: duplicate name '" + s.name + "'");
    }
    if (s.shape.rank() == 0)
      return InvalidArgument(where + ".shape: expected at least one dimension");
    for (int64_t d : s.shape.dims()) {
      if (d < -1 || d == 0) {
        return InvalidArgument(where + ".shape: expected positive dimensions or -1, got " +
                               s.shape.ToString());
      }
    }
    if (!s.features.empty()) {
      int64_t last = s.shape.dim(s.shape.rank() - 1);
      if (last != static_cast<int64_t>(s.features.size())) {
        return InvalidArgument(where + ".features: " + std::to_string(s.features.size()) +
                               " names for a last dimension of " + std::to_string(last));
      }
      std::set<std::string> feats;
      for (const auto& f : s.features) {
        if (f.empty()) return InvalidArgument(where + ".features: empty feature name");
        if (!feats.insert(f).second) {
          return InvalidArgument(where + ".features: duplicate feature '" + f + "'");
        }
      }
    }
  }
  return Status::Ok();
}
}  // namespace

const TensorSpec* Signature::FindInput(const std::string& name) const {
  return FindIn(inputs, name);
}
const TensorSpec* Signature::FindOutput(const std::string& name) const {
  return FindIn(outputs, name);
}

Status Signature::Validate() const {
  FERRY_RETURN_IF_ERROR(ValidateList(inputs, "signature.inputs"));
  return ValidateList(outputs, "signature.outputs");
}

}  // namespace ferry

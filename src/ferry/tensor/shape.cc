#include "ferry/tensor/shape.h"

namespace ferry {

bool Shape::IsConcrete() const {
  for (int64_t d : dims_) {
    if (d < 0) return false;
  }
  return true;
}

int64_t Shape::NumElements() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

bool Shape::Accepts(const Shape& concrete) const {
  if (concrete.rank() != rank()) return false;
  for (size_t i = 0; i < rank(); ++i) {
    if (dims_[i] != kVariable && dims_[i] != concrete.dims_[i]) return false;
  }
  return true;
}

std::string Shape::ToString() const {
  std::string s = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(dims_[i]);
  }
  s += "]";
  return s;
}

}  // namespace ferry

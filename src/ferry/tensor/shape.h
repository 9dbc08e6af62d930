#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace ferry {

// Dimensions of a tensor. In a signature, -1 marks a variable dimension
// (usually the batch); a concrete tensor's shape has no -1.
class Shape {
 public:
  static constexpr int64_t kVariable = -1;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  size_t rank() const { return dims_.size(); }
  int64_t dim(size_t i) const { return dims_[i]; }
  void set_dim(size_t i, int64_t value) { dims_[i] = value; }
  const std::vector<int64_t>& dims() const { return dims_; }

  // True when no dimension is -1.
  bool IsConcrete() const;
  // Product of dimensions; 1 for rank 0. Only meaningful when concrete.
  int64_t NumElements() const;
  // True when `concrete` has the same rank and equal dims wherever this
  // shape is not -1.
  bool Accepts(const Shape& concrete) const;

  // "[-1, 30]"
  std::string ToString() const;

  friend bool operator==(const Shape&, const Shape&) = default;

 private:
  std::vector<int64_t> dims_;
};

}  // namespace ferry

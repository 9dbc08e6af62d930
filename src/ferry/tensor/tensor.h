#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ferry/base/result.h"
#include "ferry/tensor/data_type.h"
#include "ferry/tensor/shape.h"

namespace ferry {

// A non-owning view of a dense, row-major tensor of fixed-size elements.
// The viewed memory must outlive the view. Cheap to copy.
class TensorView {
 public:
  TensorView() = default;
  TensorView(DataType type, Shape shape, const void* data)
      : type_(type), shape_(std::move(shape)), data_(data) {}

  DataType type() const { return type_; }
  const Shape& shape() const { return shape_; }
  const void* data() const { return data_; }
  int64_t NumElements() const { return shape_.NumElements(); }
  size_t ByteSize() const { return static_cast<size_t>(NumElements()) * DataTypeSize(type_); }

  // Typed access; T must match type() (asserted in debug builds).
  template <typename T>
  std::span<const T> Data() const {
    return {static_cast<const T*>(data_), static_cast<size_t>(NumElements())};
  }

 private:
  DataType type_ = DataType::kFp32;
  Shape shape_;
  const void* data_ = nullptr;
};

// An owning dense tensor of fixed-size elements (not BYTES). Its buffer is
// reused across Resize calls: shrinking or regrowing within the capacity
// never allocates. Not thread-safe.
class Tensor {
 public:
  Tensor() = default;
  Tensor(DataType type, Shape shape);

  // Makes a tensor of `type` and concrete `shape`, zero-filled. Rejects
  // BYTES and non-concrete shapes.
  static Result<Tensor> Make(DataType type, Shape shape);

  DataType type() const { return type_; }
  const Shape& shape() const { return shape_; }
  int64_t NumElements() const { return shape_.NumElements(); }
  size_t ByteSize() const { return static_cast<size_t>(NumElements()) * DataTypeSize(type_); }

  // Changes the shape, keeping the type. Contents past the old size are
  // unspecified.
  void Resize(const Shape& shape);

  // Changes only dimension `i` (e.g. the batch size); never allocates when
  // the new size fits the capacity.
  void ResizeDim(size_t i, int64_t value);

  void* mutable_data() { return storage_.data(); }
  const void* data() const { return storage_.data(); }

  template <typename T>
  std::span<T> MutableData() {
    return {reinterpret_cast<T*>(storage_.data()), static_cast<size_t>(NumElements())};
  }
  template <typename T>
  std::span<const T> Data() const {
    return {reinterpret_cast<const T*>(storage_.data()), static_cast<size_t>(NumElements())};
  }

  TensorView View() const { return TensorView(type_, shape_, storage_.data()); }

 private:
  void Reserve();

  DataType type_ = DataType::kFp32;
  Shape shape_;
  // 8-byte units keep every element type aligned. Its size is the capacity;
  // copies and moves of the Tensor stay independent and valid.
  std::vector<uint64_t> storage_;
};

}  // namespace ferry

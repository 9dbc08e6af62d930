#include "ferry/tensor/tensor.h"

namespace ferry {

Tensor::Tensor(DataType type, Shape shape) : type_(type) { Resize(shape); }

Result<Tensor> Tensor::Make(DataType type, Shape shape) {
  if (type == DataType::kBytes) return InvalidArgument("BYTES tensors are not dense");
  if (!shape.IsConcrete()) {
    return InvalidArgument("tensor shape " + shape.ToString() + " has a variable dimension");
  }
  Tensor t(type, std::move(shape));
  std::fill(t.storage_.begin(), t.storage_.end(), 0);
  return t;
}

void Tensor::Resize(const Shape& shape) {
  shape_ = shape;
  Reserve();
}

void Tensor::ResizeDim(size_t i, int64_t value) {
  shape_.set_dim(i, value);
  Reserve();
}

void Tensor::Reserve() {
  size_t words = (ByteSize() + 7) / 8;
  if (words > storage_.size()) storage_.resize(words);
}

}  // namespace ferry

#include "ferry/tensor/tensor.h"

#include <gtest/gtest.h>

#include "ferry/tensor/data_type.h"
#include "ferry/tensor/signature.h"

namespace ferry {
namespace {

TEST(DataTypeTest, NamesRoundTrip) {
  for (auto t :
       {DataType::kBool, DataType::kUint8, DataType::kUint64, DataType::kInt8, DataType::kInt64,
        DataType::kFp16, DataType::kFp32, DataType::kFp64, DataType::kBytes}) {
    EXPECT_EQ(ParseDataType(DataTypeName(t)), t);
  }
  EXPECT_EQ(ParseDataType("fp32"), std::nullopt);
  EXPECT_EQ(DataTypeSize(DataType::kFp16), 2u);
  EXPECT_EQ(DataTypeSize(DataType::kBytes), 0u);
}

TEST(ShapeTest, VariableDimensionsAccept) {
  Shape sig{-1, 30};
  EXPECT_FALSE(sig.IsConcrete());
  EXPECT_TRUE(sig.Accepts(Shape{7, 30}));
  EXPECT_FALSE(sig.Accepts(Shape{7, 29}));
  EXPECT_FALSE(sig.Accepts(Shape{30}));
  EXPECT_EQ(sig.ToString(), "[-1, 30]");
  EXPECT_EQ((Shape{4, 5}).NumElements(), 20);
}

TEST(TensorTest, MakeRefusesBytesAndVariableShapes) {
  EXPECT_FALSE(Tensor::Make(DataType::kBytes, Shape{2}).ok());
  EXPECT_FALSE(Tensor::Make(DataType::kFp32, Shape{-1, 2}).ok());
  Result<Tensor> t = Tensor::Make(DataType::kFp64, Shape{2, 3});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->ByteSize(), 48u);
  for (double v : t->Data<double>()) EXPECT_EQ(v, 0.0);
}

TEST(TensorTest, ResizeWithinCapacityKeepsTheBuffer) {
  Tensor t(DataType::kFp32, Shape{8, 4});
  const void* before = t.data();
  t.ResizeDim(0, 2);
  EXPECT_EQ(t.shape(), (Shape{2, 4}));
  EXPECT_EQ(t.data(), before);
  t.Resize(Shape{8, 4});
  EXPECT_EQ(t.data(), before);
}

TEST(TensorTest, CopiesAreIndependent) {
  Tensor a(DataType::kFp32, Shape{3});
  a.MutableData<float>()[0] = 1.5f;
  Tensor b = a;
  b.MutableData<float>()[0] = 2.5f;
  EXPECT_EQ(a.Data<float>()[0], 1.5f);
  EXPECT_NE(a.data(), b.data());
  Tensor c = std::move(b);
  EXPECT_EQ(c.Data<float>()[0], 2.5f);
  TensorView v = c.View();
  EXPECT_EQ(v.Data<float>()[0], 2.5f);
  EXPECT_EQ(v.ByteSize(), 12u);
}

TEST(SignatureTest, ValidateNamesTheProblem) {
  Signature s;
  EXPECT_EQ(s.Validate().message(), "signature.inputs: expected at least one entry");
  s.inputs.push_back({"x", DataType::kFp32, Shape{-1, 2}, {"a", "a"}});
  s.outputs.push_back({"y", DataType::kFp32, Shape{-1}, {}});
  EXPECT_EQ(s.Validate().message(), "signature.inputs[0].features: duplicate feature 'a'");
  s.inputs[0].features = {"a", "b"};
  EXPECT_TRUE(s.Validate().ok());
  EXPECT_NE(s.FindInput("x"), nullptr);
  EXPECT_EQ(s.FindOutput("x"), nullptr);
  s.outputs.push_back({"y", DataType::kFp32, Shape{-1}, {}});
  EXPECT_EQ(s.Validate().message(), "signature.outputs[1].name: duplicate name 'y'");
}

}  // namespace
}  // namespace ferry

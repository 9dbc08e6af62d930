#include <gtest/gtest.h>

#include <cmath>

#include "ferry/protocol/error_reply.h"
#include "ferry/protocol/v2_decode.h"
#include "ferry/protocol/v2_encode.h"

namespace ferry::protocol {
namespace {

using serving::InferRequest;

Signature TwoFeatureSignature() {
  Signature s;
  s.inputs.push_back({"x", DataType::kFp32, Shape{-1, 2}, {}});
  s.outputs.push_back({"score", DataType::kFp32, Shape{-1}, {}});
  s.outputs.push_back({"margin", DataType::kFp32, Shape{-1}, {}});
  return s;
}

Status Decode(std::string body, InferRequest* out, DecodeLimits limits = {}) {
  return DecodeInferRequest(body, TwoFeatureSignature(), limits, out);
}

TEST(V2DecodeTest, WritesFlatAndNestedDataIntoTheInputTensor) {
  for (const char* data : {"[1, 2.5, -3, 4e2]", "[[1, 2.5], [-3, 4e2]]"}) {
    InferRequest r;
    ASSERT_TRUE(
        Decode(std::string(R"({"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":)") +
                   data + "}]}",
               &r)
            .ok())
        << data;
    EXPECT_EQ(r.input_name, "x");
    EXPECT_EQ(r.input.type(), DataType::kFp32);
    EXPECT_EQ(r.input.shape(), (Shape{2, 2}));
    auto v = r.input.Data<float>();
    EXPECT_EQ(std::vector<float>(v.begin(), v.end()), (std::vector<float>{1, 2.5f, -3, 400}));
  }
}

TEST(V2DecodeTest, ReadsIdParametersKeysAndOutputs) {
  InferRequest r;
  Status s = Decode(
      R"({"id":"r1","parameters":{"key":"k","timeout_us":250,"priority":2,"other":[1]},
          "outputs":[{"name":"margin"}],
          "inputs":[{"name":"keys","shape":[2],"datatype":"BYTES","data":["a","b"]},
                    {"name":"x","shape":[2,2],"datatype":"FP64","data":[1,null,3,4]}]})",
      &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.id, "r1");
  EXPECT_EQ(r.key, "k");
  EXPECT_EQ(r.timeout_us, 250);
  EXPECT_EQ(r.priority, 2);
  EXPECT_EQ(r.row_keys, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.requested_outputs, (std::vector<std::string>{"margin"}));
  EXPECT_TRUE(std::isnan(r.input.Data<float>()[1]));  // null: missing
}

TEST(V2DecodeTest, TimeoutAbsentStaysEmpty) {
  InferRequest r;
  ASSERT_TRUE(
      Decode(R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]})", &r).ok());
  EXPECT_FALSE(r.timeout_us.has_value());
  EXPECT_EQ(r.priority, 0);
}

TEST(V2DecodeTest, RefusesWithClearMessages) {
  struct Case {
    const char* body;
    StatusCode code;
    const char* message;
  };
  const Case cases[] = {
      {R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1]}]})",
       StatusCode::kInvalidArgument, "input 'x': shape [1, 2] needs 2 values, but 'data' holds 1"},
      {R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2,3]}]})",
       StatusCode::kInvalidArgument, "input 'x': shape [1, 2] needs 2 values, but 'data' holds 3"},
      {R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,-4e38]}]})",
       StatusCode::kInvalidArgument, "input 'x': value #1 (-4e+38) is out of range for FP32"},
      {R"({"inputs":[{"name":"x","shape":[3,2],"datatype":"FP32","data":[1,2,3,4,5,6]}]})",
       StatusCode::kOutOfRange, "request has 3 rows; the limit is 2 rows per request"},
      {R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}],"outputs":[{"name":"p"}]})",
       StatusCode::kInvalidArgument, "unknown output 'p'; the model's outputs are: score, margin"},
      {R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[[[[[1]]]],2]}]})",
       StatusCode::kInvalidArgument, "request body nests JSON deeper than the limit of 6 levels"},
  };
  DecodeLimits limits;
  limits.max_rows_per_request = 2;
  limits.max_json_depth = 6;
  for (const Case& c : cases) {
    InferRequest r;
    Status s = Decode(c.body, &r, limits);
    EXPECT_EQ(s.code(), c.code) << c.body;
    EXPECT_EQ(s.message(), c.message) << c.body;
  }
}

TEST(V2DecodeTest, KeepsTheBodyIntact) {
  std::string body = R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]})";
  const std::string copy = body;
  InferRequest r;
  ASSERT_TRUE(DecodeInferRequest(body, TwoFeatureSignature(), {}, &r).ok());
  EXPECT_EQ(body, copy);
}

TEST(V2EncodeTest, InferResponseEchoesIdKeyAndRowKeys) {
  serving::InferResponse r;
  r.model = "m";
  r.version = 3;
  r.id = "i\"d";
  r.key = "k";
  r.row_keys = {"a", "b"};
  Tensor t(DataType::kFp32, Shape{2});
  t.MutableData<float>()[0] = 0.25f;
  t.MutableData<float>()[1] = 1.0f;
  r.outputs.push_back({"score", t});
  EXPECT_EQ(EncodeInferResponse(r),
            R"({"model_name":"m","model_version":"3","id":"i\"d","parameters":{"key":"k"},)"
            R"("outputs":[{"name":"keys","datatype":"BYTES","shape":[2],"data":["a","b"]},)"
            R"({"name":"score","datatype":"FP32","shape":[2],"data":[0.25,1]}]})");
}

TEST(V2EncodeTest, RepositoryIndex) {
  EXPECT_EQ(EncodeRepositoryIndex({{"m", 2, "READY", ""}, {"m", 3, "UNAVAILABLE", "bad file"}}),
            R"([{"name":"m","version":"2","state":"READY","reason":""},)"
            R"({"name":"m","version":"3","state":"UNAVAILABLE","reason":"bad file"}])");
}

TEST(ErrorReplyTest, OneMappingWithRetryAfterWhenShedding) {
  HttpResponse r = ErrorReply(ResourceExhausted("queue of model 'm' is full"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.retry_after_s, kRetryAfterSeconds);
  EXPECT_EQ(r.body, R"({"error":"queue of model 'm' is full"})");
  EXPECT_EQ(ErrorReply(Unavailable("x")).status, 503);
  EXPECT_EQ(ErrorReply(Unavailable("x")).retry_after_s, kRetryAfterSeconds);
  EXPECT_EQ(ErrorReply(DeadlineExceeded("x")).status, 504);
  EXPECT_EQ(ErrorReply(DeadlineExceeded("x")).retry_after_s, 0);
  EXPECT_EQ(ErrorReply(OutOfRange("x")).status, 413);
  EXPECT_EQ(ErrorReply(NotFound("x")).status, 404);
  EXPECT_EQ(ErrorReply(Internal("x")).status, 500);
}

}  // namespace
}  // namespace ferry::protocol

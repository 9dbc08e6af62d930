#include "ferry/protocol/http_target.h"

#include <gtest/gtest.h>

namespace ferry::protocol {
namespace {

TEST(HttpTargetTest, SplitsThePathWithoutTheQuery) {
  EXPECT_EQ(PathSegments("/v2/models/m/infer"),
            (std::vector<std::string_view>{"v2", "models", "m", "infer"}));
  EXPECT_EQ(PathSegments("/a//b/?q=/c"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_TRUE(PathSegments("/").empty());
  EXPECT_TRUE(PathSegments("").empty());
}

TEST(HttpTargetTest, ReadsQueryParameters) {
  auto q = QueryParams("/x?limit=5&force&reason=a=b&limit=7&&");
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q["limit"], "7");
  EXPECT_EQ(q["force"], "");
  EXPECT_EQ(q["reason"], "a=b");
  EXPECT_TRUE(QueryParams("/x").empty());
}

}  // namespace
}  // namespace ferry::protocol

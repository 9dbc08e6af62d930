#include "ferry/batch/shard.h"

#include <gtest/gtest.h>

namespace ferry::batch {
namespace {

TEST(ShardTest, ParsesIndexOverCount) {
  Result<ShardSpec> s = ParseShard("2/4");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->count, 4);
  for (const char* bad : {"4/4", "-1/4", "1", "/4", "1/", "a/4", "1/0", "1/4x"}) {
    Result<ShardSpec> r = ParseShard(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("expected i/N"), std::string::npos);
  }
  EXPECT_TRUE(ParseShardBy("key").ok());
  EXPECT_FALSE(ParseShardBy("rows").ok());
}

TEST(ShardTest, ByteRangesTileTheData) {
  for (int64_t n : {1, 3, 4, 7}) {
    uint64_t at = 10;
    for (int64_t i = 0; i < n; ++i) {
      ByteRange r = ShardByteRange(10, 1010, i, n);
      EXPECT_EQ(r.begin, at);
      EXPECT_GE(r.end, r.begin);
      at = r.end;
    }
    EXPECT_EQ(at, 1010u);
  }
}

TEST(ShardTest, KeyShardIsFnv1aModuloCount) {
  // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c: the value is part of the sharding contract.
  EXPECT_EQ(KeyShard("a", 1000), static_cast<int64_t>(0xaf63dc4c8601ec8cULL % 1000));
  EXPECT_EQ(KeyShard("a", 1), 0);
}

}  // namespace
}  // namespace ferry::batch

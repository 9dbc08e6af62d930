#include "ferry/registry/reference.h"

#include <gtest/gtest.h>

namespace ferry::registry {
namespace {

TEST(ReferenceTest, ParsesTheThreeForms) {
  Result<ModelRef> plain = ParseReference("churn");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->is_plain());
  EXPECT_EQ(plain->name, "churn");

  Result<ModelRef> version = ParseReference("churn:7");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version->version, 7);
  EXPECT_EQ(version->ToString(), "churn:7");

  Result<ModelRef> alias = ParseReference("churn.v2@champion");
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ(alias->name, "churn.v2");
  EXPECT_EQ(alias->alias, "champion");
  EXPECT_EQ(alias->ToString(), "churn.v2@champion");
}

TEST(ReferenceTest, RefusesBadReferencesWithClearMessages) {
  EXPECT_EQ(ParseReference("churn:0").status().message(),
            "model reference 'churn:0': version must be a positive integer");
  EXPECT_EQ(ParseReference("churn:07").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReference("churn:-1").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReference("churn:1x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReference("churn:99999999999999999999").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReference("../etc@x").status().message(),
            "model reference '../etc@x': model name must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  EXPECT_EQ(ParseReference("a/b").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReference("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReference("churn@").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReference("churn@1x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReference("churn:1@x").status().message(),
            "model reference 'churn:1@x': use either name:version or name@alias, not both");
  EXPECT_EQ(ParseReference(std::string(129, 'a')).status().code(), StatusCode::kInvalidArgument);
}

TEST(ReferenceTest, ReservedAliases) {
  EXPECT_TRUE(IsReservedAlias("latest"));
  EXPECT_TRUE(IsReservedAlias("v1"));
  EXPECT_TRUE(IsReservedAlias("v123"));
  EXPECT_FALSE(IsReservedAlias("v"));
  EXPECT_FALSE(IsReservedAlias("v1a"));
  EXPECT_FALSE(IsReservedAlias("champion"));
  EXPECT_TRUE(IsValidAliasName("challenger-2"));
  EXPECT_FALSE(IsValidAliasName("2nd"));
  EXPECT_FALSE(IsValidAliasName(std::string(65, 'a')));
}

}  // namespace
}  // namespace ferry::registry

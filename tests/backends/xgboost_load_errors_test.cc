// Bad model files through the XGBoost backend: wrong extensions, missing,
// truncated, garbage and deeply nested files all fail Load with a clean error
// that names the file, never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>

#include "backends/xgboost_test_models.h"
#include "ferry/backends/xgboost/xgboost_backend.h"
#include "ferry/base/files.h"
#include "testing/test_util.h"

namespace ferry::backends::xgboost {
namespace {

using test_models::BinarySpec;
using test_models::LoadStatus;
using test_models::ModelDir;
using test_models::Xgb;

TEST(XgboostBackendTest, RefusesBadOrMissingFiles) {
  EXPECT_EQ(LoadStatus(BinarySpec("binary.bin")).ToString(),
            "INVALID_ARGUMENT: model file 'binary.bin' has extension '.bin'; the xgboost "
            "backend reads .json or .ubj");
  EXPECT_EQ(Xgb().Inspect(ModelDir() / "model").status().code(), StatusCode::kInvalidArgument);
  Status missing = LoadStatus(BinarySpec("absent.ubj"));
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("absent.ubj"), std::string::npos) << missing.message();
}

// Writes `bytes` to a fresh file `name` and returns the Load status.
Status LoadBytes(const testing::TempDir& dir, const std::string& name, std::string_view bytes) {
  testing::WriteTextFile(dir / name, bytes);
  ModelSpec spec = BinarySpec();
  spec.artifact = dir / name;
  return LoadStatus(spec);
}

void ExpectCleanLoadError(const Status& status, const std::string& name, const std::string& what) {
  EXPECT_TRUE(status.code() == StatusCode::kDataLoss) << what << ": " << status.ToString();
  EXPECT_NE(status.message().find(name), std::string::npos) << what << ": " << status.message();
}

// XGBoost 1.7 itself segfaults on about 1 in 60 of these prefixes.
TEST(XgboostBackendTest, EveryTruncatedUbjIsACleanError) {
  auto bytes = ReadFile(ModelDir() / "binary.ubj");
  ASSERT_TRUE(bytes.ok());
  testing::TempDir dir;
  for (size_t cut = 0; cut < bytes->size(); ++cut) {
    ExpectCleanLoadError(LoadBytes(dir, "cut.ubj", std::string_view(*bytes).substr(0, cut)),
                         "cut.ubj", "cut at " + std::to_string(cut));
  }
  EXPECT_EQ(LoadBytes(dir, "short.ubj", std::string_view(*bytes).substr(0, 700)).message(),
            "short.ubj is corrupt or truncated: length 12 at byte 684 does not fit in the 8 bytes "
            "left");
}

TEST(XgboostBackendTest, TruncatedJsonIsACleanError) {
  auto bytes = ReadFile(ModelDir() / "multi.json");
  ASSERT_TRUE(bytes.ok());
  testing::TempDir dir;
  for (size_t cut = 0; cut < bytes->size(); cut += cut < 64 ? 1 : 13) {
    ExpectCleanLoadError(LoadBytes(dir, "cut.json", std::string_view(*bytes).substr(0, cut)),
                         "cut.json", "cut at " + std::to_string(cut));
  }
  Status half = LoadBytes(dir, "half.json", std::string_view(*bytes).substr(0, 500));
  EXPECT_EQ(half.ToString(),
            "DATA_LOSS: XGBoost cannot load half.json: Expecting: \",\", got: \"EOF\", around "
            "character position: 500");
}

TEST(XgboostBackendTest, GarbageIsACleanError) {
  testing::TempDir dir;
  std::mt19937 gen(42);
  for (int trial = 0; trial < 200; ++trial) {
    std::string bytes(static_cast<size_t>(1 + gen() % 4096), '\0');
    for (char& c : bytes) c = static_cast<char>(gen());
    // Past the first checks: an object whose first key looks plausible.
    if (trial % 2 == 1) bytes.replace(0, std::min<size_t>(bytes.size(), 2), "{L");
    ExpectCleanLoadError(LoadBytes(dir, "garbage.ubj", bytes), "garbage.ubj",
                         "trial " + std::to_string(trial));
    if (trial % 2 == 1) bytes.replace(0, 2, "{\"");
    ExpectCleanLoadError(LoadBytes(dir, "garbage.json", bytes), "garbage.json",
                         "trial " + std::to_string(trial));
  }
  ExpectCleanLoadError(LoadBytes(dir, "empty.json", ""), "empty.json", "empty");
  EXPECT_EQ(LoadBytes(dir, "other.json", "{\"a\": 1}").message(),
            "XGBoost cannot load other.json: Invalid cast, from Null to Object");
}

TEST(XgboostBackendTest, DeepNestingIsACleanError) {
  // Each of these overflows XGBoost 1.7's recursive parsers.
  testing::TempDir dir;
  std::string json = "{\"learner\":" + std::string(100000, '[');
  EXPECT_EQ(LoadBytes(dir, "deep.json", json).message(),
            "deep.json is corrupt or truncated: nesting deeper than 64 at byte 74");
  std::string ubj = std::string("{L\0\0\0\0\0\0\0\1a", 11) + std::string(100000, '[');
  EXPECT_EQ(LoadBytes(dir, "deep.ubj", ubj).message(),
            "deep.ubj is corrupt or truncated: nesting deeper than 64 at byte 74");
}

TEST(XgboostBackendTest, ContentMustMatchTheExtension) {
  testing::TempDir dir;
  auto ubj = ReadFile(ModelDir() / "binary.ubj");
  auto json = ReadFile(ModelDir() / "binary.json");
  ASSERT_TRUE(ubj.ok() && json.ok());
  EXPECT_EQ(LoadBytes(dir, "m.json", *ubj).message(),
            "m.json is corrupt or truncated: expected '\"' at byte 1, got 'L' (not a JSON model; "
            "UBJ models need the .ubj extension)");
  EXPECT_EQ(LoadBytes(dir, "m.ubj", *json).message(),
            "m.ubj is corrupt or truncated: expected 'L' at byte 1, got '\"'");
}

}  // namespace
}  // namespace ferry::backends::xgboost

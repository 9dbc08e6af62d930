// Ferry's checks of model bytes before XGBoost parses them, and the array
// interface text it hands to XGBoost.
#include <gtest/gtest.h>
#include <xgboost/c_api.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>

#include "ferry/backends/xgboost/array_interface.h"
#include "ferry/backends/xgboost/model_bytes_check.h"
#include "ferry/base/files.h"
#include "testing/test_util.h"

namespace ferry::backends::xgboost {
namespace {

TEST(ArrayInterfaceTest, FormatsWhatXgboostReadsIntoAFixedBuffer) {
  char buf[192];
  const void* data = reinterpret_cast<const void*>(uintptr_t{140737488355328});
  EXPECT_EQ(FormatArrayInterface(buf, data, 4096, 30, "<f8"),
            "{\"data\":[140737488355328,true],\"shape\":[4096,30],\"typestr\":\"<f8\","
            "\"version\":3}");
  EXPECT_EQ(std::strlen(buf), 77u);  // NUL-terminated
  char exact[78], small[77];         // the text and its NUL; one byte short
  EXPECT_EQ(FormatArrayInterface(exact, data, 4096, 30, "<f8").size(), 77u);
  EXPECT_EQ(FormatArrayInterface(small, data, 4096, 30, "<f8"), "");
}

TEST(ModelBytesCheckTest, AcceptsXgboostFilesAndRejectsLyingLengths) {
  testing::TempDir dir;
  const std::filesystem::path json_path =
      testing::SourceDir() / "examples" / "breast-cancer" / "model.json";
  BoosterHandle booster = nullptr;
  ASSERT_EQ(XGBoosterCreate(nullptr, 0, &booster), 0);
  ASSERT_EQ(XGBoosterLoadModel(booster, json_path.c_str()), 0);
  ASSERT_EQ(XGBoosterSaveModel(booster, (dir / "model.ubj").c_str()), 0);
  XGBoosterFree(booster);
  auto ubj = ReadFile(dir / "model.ubj");
  auto json = ReadFile(json_path);
  ASSERT_TRUE(ubj.ok() && json.ok());
  EXPECT_TRUE(CheckUbjModel(*ubj).ok());
  EXPECT_TRUE(CheckJsonModel(*json).ok());
  // A key whose length runs past the end, and a typed array that does.
  EXPECT_EQ(CheckUbjModel(std::string("{L\0\0\0\0\0\0\1\0a}", 12)).message(),
            "length 256 at byte 2 does not fit in the 2 bytes left");
  EXPECT_EQ(CheckUbjModel(std::string("{L\0\0\0\0\0\0\0\1a[$d#L\0\0\0\0\0\0\0\3", 24) +
                          std::string(8, '\0') + "}")
                .message(),
            "length 3 at byte 16 does not fit in the 9 bytes left");
  EXPECT_EQ(CheckUbjModel(std::string("{L\0\0\0\0\0\0\0\1aD", 12)).message(),
            "unexpected UBJ marker 'D' at byte 11");
}

}  // namespace
}  // namespace ferry::backends::xgboost

#include "ferry/base/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "ferry/base/json_writer.h"
#include "ferry/base/sha256.h"
#include "testing/test_util.h"

namespace ferry {
namespace {

TEST(FilesTest, WriteFileAtomicReplacesAndLeavesNoTemporaries) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir / "a.txt", "one").ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "a.txt", "two").ok());
  EXPECT_EQ(*ReadFile(dir / "a.txt"), "two");
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++n;
  EXPECT_EQ(n, 1);
}

TEST(FilesTest, WriteFileAtomicWritesIntoAFifoInsteadOfReplacingIt) {
  // As for /dev/null or /dev/stdout: the pipe stays a pipe and gets the bytes.
  testing::TempDir dir;
  const std::filesystem::path fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] {
    Result<std::string> r = ReadFile(fifo);
    if (r.ok()) got = *r;
  });
  EXPECT_TRUE(WriteFileAtomic(fifo, "{\"a\": 1}\n").ok());
  reader.join();
  EXPECT_EQ(got, "{\"a\": 1}\n");
  EXPECT_TRUE(std::filesystem::is_fifo(fifo));
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++n;
  EXPECT_EQ(n, 1);  // no temporary left behind
}

TEST(FilesTest, ReadFileLimitsAndMissing) {
  testing::TempDir dir;
  testing::WriteTextFile(dir / "big", std::string(100, 'x'));
  EXPECT_EQ(ReadFile(dir / "big", 10).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(ReadFile(dir / "nope").status().code(), StatusCode::kNotFound);
}

TEST(FilesTest, SafeRelativePathRefusesEscapes) {
  EXPECT_EQ(SafeRelativePath("a/./b", "p")->string(), "a/b");
  EXPECT_EQ(SafeRelativePath("../x", "artifact").status().message(),
            "artifact '../x' escapes its folder ('..')");
  EXPECT_EQ(SafeRelativePath("a/../../x", "p").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SafeRelativePath("/etc/passwd", "p").status().message(),
            "p '/etc/passwd' is absolute; expected a path inside the bundle");
  EXPECT_FALSE(SafeRelativePath("", "p").ok());
  EXPECT_FALSE(SafeRelativePath(".", "p").ok());
  EXPECT_FALSE(SafeRelativePath(std::string_view("a\0b", 3), "p").ok());
}

TEST(FilesTest, IsWithinFollowsSymlinks) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "root");
  testing::WriteTextFile(dir / "outside.txt", "x");
  std::filesystem::create_symlink(dir / "outside.txt", dir / "root" / "link");
  EXPECT_TRUE(IsWithin(dir / "root", dir / "root" / "file"));
  EXPECT_FALSE(IsWithin(dir / "root", dir / "root" / "link"));
  EXPECT_FALSE(IsWithin(dir / "root", dir / "root" / ".." / "outside.txt"));
}

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  testing::TempDir dir;
  testing::WriteTextFile(dir / "abc", "abc");
  EXPECT_EQ(*Sha256File(dir / "abc"), Sha256Hex("abc"));
}

TEST(Sha256Test, IncrementalUpdatesMatchOneShot) {
  // FIPS 180-2's long vector: a million 'a's, fed in uneven pieces.
  const std::string million(1000000, 'a');
  const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  EXPECT_EQ(Sha256Hex(million), expected);
  Sha256 pieces;
  for (size_t at = 0, step = 1; at < million.size(); at += step, step = step * 3 % 4099 + 1) {
    pieces.Update(million.data() + at, std::min(step, million.size() - at));
  }
  pieces.Update(nullptr, 0);  // an empty update changes nothing
  Sha256 moved = std::move(pieces);
  EXPECT_EQ(moved.HexDigest(), expected);
}

TEST(JsonWriterTest, WritesCompactEscapedJson) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject().Key("s").String("a\"b\n\x01").Key("n").Int(-3).Key("f").Float(0.1f);
  j.Key("nan").Double(std::nan("")).Key("a").BeginArray().Bool(true).Null().EndArray().EndObject();
  EXPECT_EQ(out, R"({"s":"a\"b\n\u0001","n":-3,"f":0.1,"nan":null,"a":[true,null]})");
}

}  // namespace
}  // namespace ferry

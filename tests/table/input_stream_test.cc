#include "ferry/table/input_stream.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "ferry/base/files.h"
#include "ferry/base/sha256.h"
#include "testing/test_util.h"

namespace ferry::table {
namespace {

using ::ferry::testing::TempDir;
using ::ferry::testing::WriteTextFile;

// Reads the whole stream in chunks of `chunk` bytes.
Result<std::string> ReadAll(InputStream& in, size_t chunk = 4096) {
  std::string out;
  std::string buf(chunk, '\0');
  while (true) {
    FERRY_ASSIGN_OR_RETURN(size_t n, in.Read(buf.data(), buf.size()));
    if (n == 0) return out;
    out.append(buf.data(), n);
  }
}

// Some text that compresses, with every byte value in it.
std::string SampleData(size_t size) {
  std::mt19937 rng(42);
  std::string s;
  while (s.size() < size) {
    s += "row " + std::to_string(s.size()) + ",value," + std::to_string(rng() % 1000) + "\n";
    s.push_back(static_cast<char>(rng() % 256));
  }
  s.resize(size);
  return s;
}

// Compresses `plain` with a system command ("gzip", "zstd -q", "xz", "bzip2") into `out`.
void Compress(const std::string& command, const std::filesystem::path& plain,
              const std::filesystem::path& out) {
  std::string line = command + " -c '" + plain.string() + "' > '" + out.string() + "'";
  ASSERT_EQ(std::system(line.c_str()), 0) << line;
}

TEST(InputStreamTest, ReadsPlainFileInPieces) {
  TempDir dir;
  const std::string data = SampleData(300000);
  WriteTextFile(dir / "plain.bin", data);
  auto in = InputStream::Open((dir / "plain.bin").string());
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_FALSE((*in)->compressed());
  EXPECT_EQ((*in)->name(), (dir / "plain.bin").string());
  auto got = ReadAll(**in, 1000);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, data);
  EXPECT_EQ((*in)->bytes_read(), data.size());
  // EOF is sticky.
  char c;
  EXPECT_EQ(*(*in)->Read(&c, 1), 0u);
}

TEST(InputStreamTest, EmptyFileIsImmediatelyAtEnd) {
  TempDir dir;
  WriteTextFile(dir / "empty", "");
  auto in = InputStream::Open((dir / "empty").string());
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(*ReadAll(**in), "");
  EXPECT_EQ((*in)->bytes_read(), 0u);
}

TEST(InputStreamTest, MissingFileIsNotFoundWithPath) {
  TempDir dir;
  std::string path = (dir / "nope.csv").string();
  auto in = InputStream::Open(path);
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(in.status().message(), path + ": no such file or directory");
}

TEST(InputStreamTest, FolderIsInvalidArgument) {
  TempDir dir;
  auto in = InputStream::Open(dir.path().string());
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(in.status().message(), dir.path().string() + ": is a folder, not a file");
}

class CompressedInputTest : public ::testing::TestWithParam<const char*> {};

TEST_P(CompressedInputTest, DecodesToTheOriginalBytes) {
  TempDir dir;
  const std::string data = SampleData(500000);
  WriteTextFile(dir / "plain.bin", data);
  Compress(GetParam(), dir / "plain.bin", dir / "packed");
  auto packed = ReadFile(dir / "packed");
  ASSERT_TRUE(packed.ok());

  InputStreamOptions options;
  options.sha256 = true;
  auto in = InputStream::Open((dir / "packed").string(), options);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_TRUE((*in)->compressed());
  auto got = ReadAll(**in, 777);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->size(), data.size());
  EXPECT_EQ(*got, data);
  EXPECT_EQ((*in)->bytes_read(), packed->size());
  // The digest is of the bytes as stored.
  EXPECT_EQ(*(*in)->RawSha256Hex(), Sha256Hex(*packed));
}

TEST_P(CompressedInputTest, CompressedEmptyFileIsEmpty) {
  TempDir dir;
  WriteTextFile(dir / "empty", "");
  Compress(GetParam(), dir / "empty", dir / "packed");
  auto in = InputStream::Open((dir / "packed").string());
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(*ReadAll(**in), "");
}

TEST_P(CompressedInputTest, TruncatedDataIsDataLoss) {
  TempDir dir;
  WriteTextFile(dir / "plain.bin", SampleData(200000));
  Compress(GetParam(), dir / "plain.bin", dir / "packed");
  auto packed = ReadFile(dir / "packed");
  ASSERT_TRUE(packed.ok());
  WriteTextFile(dir / "cut", packed->substr(0, packed->size() / 2));
  auto in = InputStream::Open((dir / "cut").string());
  Status status = in.ok() ? ReadAll(**in).status() : in.status();
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status.ToString();
  EXPECT_EQ(status.message().rfind((dir / "cut").string() + ": corrupt compressed data: ", 0), 0u)
      << status.message();
}

INSTANTIATE_TEST_SUITE_P(Formats, CompressedInputTest,
                         ::testing::Values("gzip", "zstd -q", "xz", "bzip2"), [](const auto& info) {
                           std::string name = info.param;
                           return name.substr(0, name.find(' '));
                         });

TEST(InputStreamTest, CorruptGzipBodyIsDataLoss) {
  TempDir dir;
  WriteTextFile(dir / "plain.bin", SampleData(200000));
  Compress("gzip", dir / "plain.bin", dir / "packed.gz");
  std::string packed = *ReadFile(dir / "packed.gz");
  for (size_t i = 100; i < 200; ++i) packed[i] = static_cast<char>(packed[i] ^ 0x5a);
  auto in = InputStream::FromMemory(packed, "mem.gz");
  Status status = in.ok() ? ReadAll(**in).status() : in.status();
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status.ToString();
}

TEST(InputStreamTest, DataThatOnlyLooksCompressedPassesThrough) {
  // Starts with the gzip magic but is not gzip: libarchive declines, the bytes come through.
  std::string data = "\x1f\x8bnot really gzip, just text\n";
  auto in = InputStream::FromMemory(data, "mem");
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(*ReadAll(**in), data);
}

TEST(InputStreamTest, FromMemoryPlainAndGzip) {
  TempDir dir;
  const std::string data = SampleData(100000);
  WriteTextFile(dir / "plain.bin", data);
  Compress("gzip", dir / "plain.bin", dir / "packed.gz");
  for (const std::string& source : {data, *ReadFile(dir / "packed.gz")}) {
    InputStreamOptions options;
    options.sha256 = true;
    auto in = InputStream::FromMemory(source, "mem", options);
    ASSERT_TRUE(in.ok()) << in.status().ToString();
    EXPECT_EQ(*ReadAll(**in, 5000), data);
    EXPECT_EQ((*in)->bytes_read(), source.size());
    EXPECT_EQ(*(*in)->RawSha256Hex(), Sha256Hex(source));
  }
}

TEST(InputStreamTest, Sha256NeedsTheOptionAndTheEnd) {
  auto plain = InputStream::FromMemory("abc", "mem");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->RawSha256Hex().status().message(), "mem: opened without options.sha256");

  InputStreamOptions options;
  options.sha256 = true;
  auto in = InputStream::FromMemory("abcdef", "mem", options);
  ASSERT_TRUE(in.ok());
  char buf[2];
  ASSERT_EQ(*(*in)->Read(buf, 2), 2u);
  Result<std::string> early = (*in)->RawSha256Hex();
  EXPECT_EQ(early.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*ReadAll(**in), "cdef");
  EXPECT_EQ(*(*in)->RawSha256Hex(), Sha256Hex("abcdef"));
  EXPECT_EQ(*(*in)->RawSha256Hex(), Sha256Hex("abcdef"));  // cached
}

TEST(InputStreamTest, DashReadsStdin) {
  TempDir dir;
  const std::string data = SampleData(70000);
  WriteTextFile(dir / "plain.bin", data);
  Compress("gzip", dir / "plain.bin", dir / "packed.gz");
  // Point fd 0 at the gzip file for the duration of the test.
  int saved = ::dup(STDIN_FILENO);
  ASSERT_GE(saved, 0);
  int fd = ::open((dir / "packed.gz").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, STDIN_FILENO), STDIN_FILENO);
  ::close(fd);
  {
    auto in = InputStream::Open("-");
    ASSERT_TRUE(in.ok()) << in.status().ToString();
    EXPECT_EQ((*in)->name(), "<stdin>");
    EXPECT_TRUE((*in)->compressed());
    EXPECT_EQ(*ReadAll(**in), data);
  }
  // stdin is not closed by the stream.
  EXPECT_NE(::fcntl(STDIN_FILENO, F_GETFD), -1);
  ASSERT_EQ(::dup2(saved, STDIN_FILENO), STDIN_FILENO);
  ::close(saved);
}

}  // namespace
}  // namespace ferry::table

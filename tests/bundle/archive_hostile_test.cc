// Hostile archives: oversize declarations, path escapes, links, special files and limits —
// each refused with nothing left behind.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bundle/test_archive_writer.h"
#include "ferry/base/files.h"
#include "ferry/bundle/archive.h"
#include "testing/test_util.h"

namespace ferry::bundle {
namespace {

namespace fs = std::filesystem;
using ::ferry::testing::TempDir;
using namespace ::ferry::bundle::archive_testing;  // test archive helpers

// Compresses `data` with zstd (libarchive's "raw" format writes bytes through a filter unchanged).
std::string ZstdCompress(const std::string& data) {
  std::string out;
  struct archive* a = archive_write_new();
  EXPECT_EQ(archive_write_set_format_raw(a), ARCHIVE_OK);
  EXPECT_EQ(archive_write_add_filter_zstd(a), ARCHIVE_OK);
  EXPECT_EQ(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
  auto append = [](struct archive*, void* client, const void* buf, size_t n) -> la_ssize_t {
    static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  };
  EXPECT_EQ(archive_write_open(a, &out, nullptr, append, nullptr), ARCHIVE_OK);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "raw");
  archive_entry_set_filetype(e, AE_IFREG);
  EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK);
  EXPECT_EQ(archive_write_data(a, data.data(), data.size()), static_cast<la_ssize_t>(data.size()));
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK) << archive_error_string(a);
  archive_entry_free(e);
  archive_write_free(a);
  return out;
}

// A GNU tar header for a regular file whose size field uses base-256 encoding, so it can declare
// sizes past the 8 GiB octal limit, with a correct checksum.
std::string GnuHeaderDeclaring(const std::string& name, uint64_t size) {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);  // name
  h.replace(100, 7, "0000644");     // mode
  h.replace(108, 7, "0000000");     // uid
  h.replace(116, 7, "0000000");     // gid
  h[124] = static_cast<char>(
      0x80);  // size: base-256 marker, then 11 bytes big-endian (the top 3 stay 0)
  for (int i = 0; i < 8; ++i) h[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
  h.replace(136, 11, "00000000000");               // mtime
  h.replace(148, 8, "        ");                   // checksum, counted as spaces
  h[156] = '0';                                    // typeflag: regular file
  h.replace(257, 8, std::string("ustar  \0", 8));  // GNU magic + version
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  char field[8];
  std::snprintf(field, sizeof(field), "%06o", sum);
  h.replace(148, 7, std::string(field, 6) + '\0');  // "NNNNNN\0 "
  return h;
}

// A header claiming 10 GiB, followed by only 1 KiB of data: refused from the header alone, with
// the default limits, before anything is written.
TEST(ArchiveTest, HugeDeclaredSizeIsRefusedFromTheHeader) {
  TempDir tmp;
  fs::create_directories(tmp / "work");
  const std::string tar = GnuHeaderDeclaring("huge.bin", 10ull << 30) + std::string(1024, 'x');
  ASSERT_TRUE(WriteFileAtomic(tmp / "huge.tar", tar).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp / "huge.tar.zst", ZstdCompress(tar)).ok());
  for (const char* name : {"huge.tar", "huge.tar.zst"}) {
    SCOPED_TRACE(name);
    const auto start = std::chrono::steady_clock::now();
    Status s = UnpackArchive(tmp / name, tmp / "work/out");
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.ToString();
    EXPECT_EQ(s.message(),
              "archive entry 'huge.bin' declares 10737418240 bytes; the limit per file is "
              "4294967296 bytes");
    EXPECT_LT(elapsed, std::chrono::seconds(5));
    EXPECT_TRUE(Listing(tmp / "work").empty());
  }
}

// The hand-made header is well formed: with generous limits the reader accepts it and fails only
// when the data runs out.
TEST(ArchiveTest, HugeDeclaredSizeHeaderIsValidTar) {
  TempDir tmp;
  fs::create_directories(tmp / "work");
  const std::string tar = GnuHeaderDeclaring("huge.bin", 10ull << 30) + std::string(1024, 'x');
  ASSERT_TRUE(WriteFileAtomic(tmp / "huge.tar", tar).ok());
  UnpackOptions big;
  big.max_entry_bytes = 11ull << 30;
  Status s = UnpackArchive(tmp / "huge.tar", tmp / "work/out", big);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_TRUE(Listing(tmp / "work").empty());
}

// --- Hostile archives --------------------------------------------------------------------------

struct HostileCase {
  std::string name;
  std::vector<Entry> entries;
  UnpackOptions options;
  StatusCode code;
  std::string message;  // a fragment of the expected message
};

UnpackOptions WithMaxEntries(uint64_t n) {
  UnpackOptions o;
  o.max_entries = n;
  return o;
}
UnpackOptions WithMaxEntryBytes(uint64_t n) {
  UnpackOptions o;
  o.max_entry_bytes = n;
  return o;
}
UnpackOptions WithMaxTotalBytes(uint64_t n) {
  UnpackOptions o;
  o.max_total_bytes = n;
  return o;
}

constexpr StatusCode kInvalid = StatusCode::kInvalidArgument;
constexpr StatusCode kRange = StatusCode::kOutOfRange;

std::vector<HostileCase> HostileCases() {
  return {
      {"ParentDir",
       {File("../evil", "x")},
       {},
       kInvalid,
       "archive entry '../evil' escapes its folder ('..')"},
      {"InnerParentDir",
       {File("a/../../evil", "x")},
       {},
       kInvalid,
       "archive entry 'a/../../evil' escapes its folder ('..')"},
      {"AbsolutePath",
       {File("/tmp/evil", "x")},
       {},
       kInvalid,
       "archive entry '/tmp/evil' is absolute"},
      {"SymlinkAbsolute",
       {Symlink("link", "/etc/passwd")},
       {},
       kInvalid,
       "archive entry 'link' is a symlink (to '/etc/passwd'); bundles hold only regular files and "
       "folders, never symlinks"},
      {"SymlinkRelativeOut",
       {Symlink("link", "../../x")},
       {},
       kInvalid,
       "archive entry 'link' is a symlink (to '../../x')"},
      {"SymlinkInside",
       {File("a", "x"), Symlink("b", "a")},
       {},
       kInvalid,
       "archive entry 'b' is a symlink (to 'a')"},
      {"WriteThroughSymlink",
       {Symlink("link", "../outside"), File("link/evil", "x")},
       {},
       kInvalid,
       "archive entry 'link' is a symlink (to '../outside')"},
      {"HardLinkOut",
       {HardLink("passwd", "/etc/passwd")},
       {},
       kInvalid,
       "archive entry 'passwd' is a hard link (to '/etc/passwd'); bundles hold only regular files "
       "and folders"},
      {"HardLinkInside",
       {File("a", "x"), HardLink("b", "a")},
       {},
       kInvalid,
       "archive entry 'b' is a hard link (to 'a')"},
      {"CharDevice",
       {Special("null", AE_IFCHR)},
       {},
       kInvalid,
       "archive entry 'null' is a character device"},
      {"BlockDevice",
       {Special("sda", AE_IFBLK)},
       {},
       kInvalid,
       "archive entry 'sda' is a block device"},
      {"Fifo", {Special("fifo", AE_IFIFO)}, {}, kInvalid, "archive entry 'fifo' is a FIFO"},
      {"DuplicateFile",
       {File("a.txt", "1"), File("a.txt", "2")},
       {},
       kInvalid,
       "archive entry 'a.txt' appears more than once"},
      {"DuplicateFolderSpelledTwoWays",
       {Dir("d"), Dir("./d/")},
       {},
       kInvalid,
       "archive entry './d/' appears more than once"},
      {"FileOverImplicitFolder",
       {File("a/b", "x"), File("a", "y")},
       {},
       kInvalid,
       "archive entry 'a' clashes with a folder of that name"},
      {"EntryUnderAFile",
       {File("a", "x"), File("a/b", "y")},
       {},
       kInvalid,
       "archive entry 'a/b' lies under 'a', which is not a folder"},
      {"TooManyEntries",
       {File("1", ""), File("2", ""), File("3", ""), File("4", ""), File("5", "")},
       WithMaxEntries(3),
       kRange,
       "has more than 3 entries"},
      {"EntryTooBig",
       {File("big", std::string(100, 'b'))},
       WithMaxEntryBytes(10),
       kRange,
       "archive entry 'big' declares 100 bytes; the limit per file is 10 bytes"},
      {"TotalTooBig",
       {File("a", std::string(40, 'a')), File("b", std::string(40, 'b')),
        File("c", std::string(40, 'c'))},
       WithMaxTotalBytes(100),
       kRange,
       "archive entry 'c' brings the unpacked size past the limit of 100 bytes"},
  };
}

class ArchiveHostileTest : public ::testing::TestWithParam<HostileCase> {};

TEST_P(ArchiveHostileTest, IsRefusedAndLeavesNothing) {
  const HostileCase& c = GetParam();
  TempDir tmp;
  fs::create_directories(tmp / "work");
  fs::create_directories(tmp / "outside");
  ASSERT_NO_FATAL_FAILURE(WriteTestArchive(tmp / "evil.tar", c.entries));

  Status s = UnpackArchive(tmp / "evil.tar", tmp / "work/out", c.options);
  EXPECT_EQ(s.code(), c.code) << s.ToString();
  EXPECT_NE(s.message().find(c.message), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(tmp / "work/out"));
  EXPECT_TRUE(Listing(tmp / "work").empty());
  EXPECT_TRUE(Listing(tmp / "outside").empty());
  EXPECT_EQ(Listing(tmp.path()), (std::vector<std::string>{"evil.tar", "outside", "work"}));
}

INSTANTIATE_TEST_SUITE_P(Archive, ArchiveHostileTest, ::testing::ValuesIn(HostileCases()),
                         [](const ::testing::TestParamInfo<HostileCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace ferry::bundle

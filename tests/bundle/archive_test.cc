#include "ferry/bundle/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "bundle/test_archive_writer.h"
#include "ferry/base/files.h"
#include "testing/test_util.h"

namespace ferry::bundle {
namespace {

namespace fs = std::filesystem;
using ::ferry::testing::TempDir;
using ::ferry::testing::WriteTextFile;
using namespace ::ferry::bundle::archive_testing;  // test archive helpers

std::string Slurp(const fs::path& path) {
  Result<std::string> data = ReadFile(path);
  EXPECT_TRUE(data.ok()) << data.status().ToString();
  return data.ok() ? *data : std::string();
}

// Every file and folder under `root`: relative path -> contents ("<dir>" for folders).
std::map<std::string, std::string> TreeOf(const fs::path& root) {
  std::map<std::string, std::string> tree;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string rel = entry.path().lexically_relative(root).generic_string();
    tree[rel] = entry.is_directory() ? "<dir>" : Slurp(entry.path());
  }
  return tree;
}

mode_t ModeOf(const fs::path& path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Runs a shell command; true if it exited with 0.
bool RunShell(const std::string& command) {
  int rc = std::system(command.c_str());
  return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

std::string RandomBytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(gen() & 0xff);
  return out;
}

// A model-bundle-like folder with nested files, an empty folder and an empty file.
void MakeSampleTree(const fs::path& root) {
  WriteTextFile(root / "model.bin", RandomBytes(100000, 7));
  WriteTextFile(root / "config/params.yaml", "max_depth: 6\n");
  WriteTextFile(root / "config/nested/deep.txt", "deep\n");
  WriteTextFile(root / "zero", "");
  fs::create_directories(root / "empty");
}

// --- Hand-made archives ------------------------------------------------------------------------

// --- Round trips -------------------------------------------------------------------------------

TEST(ArchiveTest, RoundTripRestoresTheTree) {
  TempDir tmp;
  MakeSampleTree(tmp / "src");
  ASSERT_TRUE(PackDirectory(tmp / "src", tmp / "b.tar.zst").ok());

  Status s = UnpackArchive(tmp / "b.tar.zst", tmp / "out");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(TreeOf(tmp / "out"), TreeOf(tmp / "src"));
  EXPECT_EQ(TreeOf(tmp / "out").size(), 7u);
  EXPECT_EQ(ModeOf(tmp / "out"), 0755u);
  EXPECT_EQ(ModeOf(tmp / "out/config/nested"), 0755u);
  EXPECT_EQ(ModeOf(tmp / "out/model.bin"), 0644u);
  EXPECT_EQ(Listing(tmp.path()), (std::vector<std::string>{"b.tar.zst", "out", "src"}));
}

TEST(ArchiveTest, PackingIsReproducible) {
  TempDir tmp;
  MakeSampleTree(tmp / "one");
  ASSERT_TRUE(PackDirectory(tmp / "one", tmp / "a.tar.zst").ok());
  ASSERT_TRUE(PackDirectory(tmp / "one", tmp / "b.tar.zst").ok());
  EXPECT_EQ(Slurp(tmp / "a.tar.zst"), Slurp(tmp / "b.tar.zst"));

  // The same contents elsewhere, with other times and modes, give the same bytes.
  MakeSampleTree(tmp / "two");
  fs::permissions(tmp / "two/model.bin", fs::perms::owner_all);
  fs::permissions(tmp / "two/config", fs::perms::owner_all | fs::perms::group_read);
  fs::last_write_time(tmp / "two/zero", fs::file_time_type::clock::now() - std::chrono::hours(900));
  ASSERT_TRUE(PackDirectory(tmp / "two", tmp / "c.tar.zst").ok());
  EXPECT_EQ(Slurp(tmp / "a.tar.zst"), Slurp(tmp / "c.tar.zst"));

  // Names past ustar's 100 bytes go into pax extended headers, which are reproducible too.
  const std::string long_name =
      "weights/" + std::string(120, 'w') + "/shard-" + std::string(90, 's');
  WriteTextFile(tmp / "one" / long_name, "shard");
  WriteTextFile(tmp / "two" / long_name, "shard");
  ASSERT_TRUE(PackDirectory(tmp / "one", tmp / "a.tar.zst").ok());
  ASSERT_TRUE(PackDirectory(tmp / "two", tmp / "c.tar.zst").ok());
  EXPECT_EQ(Slurp(tmp / "a.tar.zst"), Slurp(tmp / "c.tar.zst"));
  ASSERT_TRUE(UnpackArchive(tmp / "c.tar.zst", tmp / "out").ok());
  EXPECT_EQ(TreeOf(tmp / "out"), TreeOf(tmp / "one"));
}

TEST(ArchiveTest, SystemTarListsTheArchiveInSortedOrder) {
  TempDir tmp;
  MakeSampleTree(tmp / "src");
  ASSERT_TRUE(PackDirectory(tmp / "src", tmp / "b.tar.zst").ok());
  const fs::path list = tmp / "list.txt";
  ASSERT_TRUE(
      RunShell("tar --zstd -tf '" + (tmp / "b.tar.zst").string() + "' > '" + list.string() + "'"));
  EXPECT_EQ(Slurp(list),
            "config/\nconfig/nested/\nconfig/nested/deep.txt\nconfig/params.yaml\nempty/\n"
            "model.bin\nzero\n");
  ASSERT_TRUE(RunShell("tar --zstd --numeric-owner --utc -tvf '" + (tmp / "b.tar.zst").string() +
                       "' > '" + list.string() + "'"));
  EXPECT_EQ(Slurp(list),
            "drwxr-xr-x 0/0               0 1970-01-01 00:00 config/\n"
            "drwxr-xr-x 0/0               0 1970-01-01 00:00 config/nested/\n"
            "-rw-r--r-- 0/0               5 1970-01-01 00:00 config/nested/deep.txt\n"
            "-rw-r--r-- 0/0              13 1970-01-01 00:00 config/params.yaml\n"
            "drwxr-xr-x 0/0               0 1970-01-01 00:00 empty/\n"
            "-rw-r--r-- 0/0          100000 1970-01-01 00:00 model.bin\n"
            "-rw-r--r-- 0/0               0 1970-01-01 00:00 zero\n");
}

TEST(ArchiveTest, UnpacksArchivesMadeBySystemTar) {
  TempDir tmp;
  MakeSampleTree(tmp / "src");
  // Entries "./", "./model.bin", ...: the leading "./" folder is the root itself.
  ASSERT_TRUE(RunShell("tar --zstd -C '" + (tmp / "src").string() + "' -cf '" +
                       (tmp / "sys.tar.zst").string() + "' ."));
  Status s = UnpackArchive(tmp / "sys.tar.zst", tmp / "out");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(TreeOf(tmp / "out"), TreeOf(tmp / "src"));
}

TEST(ArchiveTest, UnpacksOtherCompressionsAndTarFlavours) {
  TempDir tmp;
  const std::vector<Entry> entries = {Dir("d"), File("d/a.txt", "alpha"), File("b.txt", "beta")};
  const std::map<std::string, std::string> expected = {
      {"d", "<dir>"}, {"d/a.txt", "alpha"}, {"b.txt", "beta"}};
  const std::vector<std::pair<int, int>> kinds = {
      {ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, ARCHIVE_FILTER_GZIP},
      {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_XZ},
      {ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_BZIP2},
      {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_NONE},
  };
  int i = 0;
  for (const auto& [format, filter] : kinds) {
    SCOPED_TRACE("format " + std::to_string(format) + ", filter " + std::to_string(filter));
    const fs::path archive = tmp / ("t" + std::to_string(i) + ".tar");
    const fs::path out = tmp / ("out" + std::to_string(i++));
    ASSERT_NO_FATAL_FAILURE(WriteTestArchive(archive, entries, format, filter));
    Status s = UnpackArchive(archive, out);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(TreeOf(out), expected);
  }
}

TEST(ArchiveTest, ValidateSeesTheCompleteTreeBeforeTheRename) {
  TempDir tmp;
  MakeSampleTree(tmp / "src");
  ASSERT_TRUE(PackDirectory(tmp / "src", tmp / "b.tar.zst").ok());
  fs::create_directories(tmp / "work");
  int calls = 0;
  Status s = UnpackArchive(tmp / "b.tar.zst", tmp / "work/out", {}, [&](const fs::path& dir) {
    ++calls;
    EXPECT_EQ(dir.parent_path(), tmp / "work");
    EXPECT_NE(dir, tmp / "work/out");
    EXPECT_FALSE(fs::exists(tmp / "work/out"));
    EXPECT_EQ(TreeOf(dir), TreeOf(tmp / "src"));
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Listing(tmp / "work"), std::vector<std::string>{"out"});
}

// --- Failures that must leave nothing behind ---------------------------------------------------

TEST(ArchiveTest, ValidateErrorIsReturnedAndNothingIsLeft) {
  TempDir tmp;
  MakeSampleTree(tmp / "src");
  ASSERT_TRUE(PackDirectory(tmp / "src", tmp / "b.tar.zst").ok());
  fs::create_directories(tmp / "work");
  Status s = UnpackArchive(tmp / "b.tar.zst", tmp / "work/out", {}, [](const fs::path&) {
    return FailedPrecondition("bundle has no manifest.yaml");
  });
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "bundle has no manifest.yaml");
  EXPECT_FALSE(fs::exists(tmp / "work/out"));
  EXPECT_TRUE(Listing(tmp / "work").empty());
}

TEST(ArchiveTest, TruncatedArchiveIsDataLoss) {
  TempDir tmp;
  WriteTextFile(tmp / "src/a.bin", RandomBytes(300000, 1));
  WriteTextFile(tmp / "src/b.bin", RandomBytes(300000, 2));
  ASSERT_TRUE(PackDirectory(tmp / "src", tmp / "b.tar.zst").ok());
  const std::string whole = Slurp(tmp / "b.tar.zst");
  ASSERT_TRUE(WriteFileAtomic(tmp / "cut.tar.zst", whole.substr(0, whole.size() / 2)).ok());
  fs::create_directories(tmp / "work");

  Status s = UnpackArchive(tmp / "cut.tar.zst", tmp / "work/out");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("cut.tar.zst: corrupt or truncated archive: "), std::string::npos)
      << s.message();
  EXPECT_FALSE(fs::exists(tmp / "work/out"));
  EXPECT_TRUE(Listing(tmp / "work").empty());
}

// An uncompressed tar cut exactly between two entries still parses; the missing end-of-archive
// marker gives it away.
TEST(ArchiveTest, TarCutAtAnEntryBoundaryIsDataLoss) {
  TempDir tmp;
  ASSERT_NO_FATAL_FAILURE(WriteTestArchive(tmp / "whole.tar",
                                           {File("a", std::string(512, 'a')), File("b", "beta")},
                                           ARCHIVE_FORMAT_TAR_USTAR));
  const std::string whole = Slurp(tmp / "whole.tar");
  ASSERT_TRUE(WriteFileAtomic(tmp / "cut.tar", whole.substr(0, 1024)).ok());  // header + data of a
  fs::create_directories(tmp / "work");

  Status s = UnpackArchive(tmp / "cut.tar", tmp / "work/out");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("cut.tar: corrupt or truncated archive: it ends without the "
                             "end-of-archive marker"),
            std::string::npos)
      << s.message();
  EXPECT_TRUE(Listing(tmp / "work").empty());

  ASSERT_TRUE(UnpackArchive(tmp / "whole.tar", tmp / "work/out").ok());
  EXPECT_EQ(TreeOf(tmp / "work/out"),
            (std::map<std::string, std::string>{{"a", std::string(512, 'a')}, {"b", "beta"}}));
}

TEST(ArchiveTest, NonTarInputIsDataLoss) {
  TempDir tmp;
  fs::create_directories(tmp / "work");
  ASSERT_NO_FATAL_FAILURE(
      WriteTestArchive(tmp / "b.zip", {File("a.txt", "alpha")}, ARCHIVE_FORMAT_ZIP));
  WriteTextFile(tmp / "garbage", RandomBytes(5000, 3));
  WriteTextFile(tmp / "empty", "");
  for (const char* name : {"b.zip", "garbage", "empty"}) {
    SCOPED_TRACE(name);
    Status s = UnpackArchive(tmp / name, tmp / "work/out");
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
    EXPECT_NE(s.message().find("corrupt or truncated archive"), std::string::npos) << s.message();
    EXPECT_TRUE(Listing(tmp / "work").empty());
  }
}

TEST(ArchiveTest, ExistingDestIsLeftUntouched) {
  TempDir tmp;
  MakeSampleTree(tmp / "src");
  ASSERT_TRUE(PackDirectory(tmp / "src", tmp / "b.tar.zst").ok());
  WriteTextFile(tmp / "work/out/keep.txt", "precious");
  Status s = UnpackArchive(tmp / "b.tar.zst", tmp / "work/out");
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("already exists"), std::string::npos) << s.message();
  EXPECT_EQ(TreeOf(tmp / "work/out"),
            (std::map<std::string, std::string>{{"keep.txt", "precious"}}));
  EXPECT_EQ(Listing(tmp / "work"), std::vector<std::string>{"out"});
}

TEST(ArchiveTest, MissingInputsAreNotFound) {
  TempDir tmp;
  EXPECT_EQ(UnpackArchive(tmp / "nope.tar.zst", tmp / "out").code(), StatusCode::kNotFound);
  EXPECT_EQ(PackDirectory(tmp / "nope", tmp / "b.tar.zst").code(), StatusCode::kNotFound);
  EXPECT_TRUE(Listing(tmp.path()).empty());
}

TEST(ArchiveTest, PackRefusesSymlinks) {
  TempDir tmp;
  WriteTextFile(tmp / "src/a.txt", "alpha");
  fs::create_directories(tmp / "src/sub");
  fs::create_symlink("../a.txt", tmp / "src/sub/link");
  fs::create_directories(tmp / "work");
  Status s = PackDirectory(tmp / "src", tmp / "work/b.tar.zst");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(
      s.message().find("'sub/link' is a symlink; bundles hold only regular files and folders"),
      std::string::npos)
      << s.message();
  EXPECT_TRUE(Listing(tmp / "work").empty());
}

TEST(ArchiveTest, PackRefusesFifos) {
  TempDir tmp;
  WriteTextFile(tmp / "src/a.txt", "alpha");
  ASSERT_EQ(::mkfifo((tmp / "src/pipe").c_str(), 0644), 0);
  Status s = PackDirectory(tmp / "src", tmp / "b.tar.zst");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'pipe' is a FIFO"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(tmp / "b.tar.zst"));
}

TEST(ArchiveTest, PackRefusesAnArchiveInsideTheFolder) {
  TempDir tmp;
  WriteTextFile(tmp / "src/a.txt", "alpha");
  Status s = PackDirectory(tmp / "src", tmp / "src/b.tar.zst");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("which lies inside it"), std::string::npos) << s.message();
  EXPECT_EQ(Listing(tmp / "src"), std::vector<std::string>{"a.txt"});
}

TEST(ArchiveTest, PackReplacesAnOlderArchiveAtomically) {
  TempDir tmp;
  WriteTextFile(tmp / "src/a.txt", "alpha");
  WriteTextFile(tmp / "work/b.tar.zst", "old");
  ASSERT_TRUE(PackDirectory(tmp / "src", tmp / "work/b.tar.zst").ok());
  EXPECT_EQ(Listing(tmp / "work"), std::vector<std::string>{"b.tar.zst"});
  ASSERT_TRUE(UnpackArchive(tmp / "work/b.tar.zst", tmp / "out").ok());
  EXPECT_EQ(TreeOf(tmp / "out"), (std::map<std::string, std::string>{{"a.txt", "alpha"}}));
}

}  // namespace
}  // namespace ferry::bundle

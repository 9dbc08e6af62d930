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

#include "ferry/base/files.h"
#include "testing/test_util.h"

namespace ferry::bundle {
namespace {

namespace fs = std::filesystem;
using ::ferry::testing::TempDir;
using ::ferry::testing::WriteTextFile;

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

// Names in `dir`, hidden ones included (a leftover temporary folder starts with '.').
std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
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

// One entry of a test archive written with libarchive's writer.
struct Entry {
  std::string path;
  unsigned type = AE_IFREG;
  std::string data;
  std::string symlink;   // target, for AE_IFLNK
  std::string hardlink;  // target; makes this a hard-link entry
};

Entry MakeEntry(std::string path, unsigned type) {
  Entry e;
  e.path = std::move(path);
  e.type = type;
  return e;
}
Entry File(std::string path, std::string data) {
  Entry e = MakeEntry(std::move(path), AE_IFREG);
  e.data = std::move(data);
  return e;
}
Entry Dir(std::string path) { return MakeEntry(std::move(path), AE_IFDIR); }
Entry Symlink(std::string path, std::string target) {
  Entry e = MakeEntry(std::move(path), AE_IFLNK);
  e.symlink = std::move(target);
  return e;
}
Entry HardLink(std::string path, std::string target) {
  Entry e = MakeEntry(std::move(path), AE_IFREG);
  e.hardlink = std::move(target);
  return e;
}
Entry Special(std::string path, unsigned type) { return MakeEntry(std::move(path), type); }

void WriteTestArchive(const fs::path& path, const std::vector<Entry>& entries,
                      int format = ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE,
                      int filter = ARCHIVE_FILTER_NONE) {
  struct archive* a = archive_write_new();
  ASSERT_EQ(archive_write_set_format(a, format), ARCHIVE_OK) << archive_error_string(a);
  ASSERT_EQ(archive_write_add_filter(a, filter), ARCHIVE_OK) << archive_error_string(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK) << archive_error_string(a);
  for (const Entry& spec : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, spec.path.c_str());
    archive_entry_set_filetype(e, spec.type);
    archive_entry_set_perm(e, spec.type == AE_IFDIR ? 0755 : 0644);
    if (!spec.symlink.empty()) archive_entry_set_symlink(e, spec.symlink.c_str());
    if (!spec.hardlink.empty()) archive_entry_set_hardlink(e, spec.hardlink.c_str());
    if (spec.type == AE_IFCHR || spec.type == AE_IFBLK) {
      archive_entry_set_rdevmajor(e, 1);
      archive_entry_set_rdevminor(e, 3);
    }
    if (spec.type == AE_IFREG) archive_entry_set_size(e, static_cast<la_int64_t>(spec.data.size()));
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK)
        << spec.path << ": " << archive_error_string(a);
    if (!spec.data.empty()) {
      ASSERT_EQ(archive_write_data(a, spec.data.data(), spec.data.size()),
                static_cast<la_ssize_t>(spec.data.size()));
    }
    archive_entry_free(e);
  }
  ASSERT_EQ(archive_write_close(a), ARCHIVE_OK) << archive_error_string(a);
  archive_write_free(a);
}

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

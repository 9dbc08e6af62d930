#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

// Helpers shared by the archive tests: listing a folder and writing test archives (also
// hostile ones) with libarchive's writer.
namespace ferry::bundle::archive_testing {
// Names in `dir`, hidden ones included (a leftover temporary folder starts with '.').
inline std::vector<std::string> Listing(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// One entry of a test archive written with libarchive's writer.
struct Entry {
  std::string path;
  unsigned type = AE_IFREG;
  std::string data;
  std::string symlink;   // target, for AE_IFLNK
  std::string hardlink;  // target; makes this a hard-link entry
};

inline Entry MakeEntry(std::string path, unsigned type) {
  Entry e;
  e.path = std::move(path);
  e.type = type;
  return e;
}
inline Entry File(std::string path, std::string data) {
  Entry e = MakeEntry(std::move(path), AE_IFREG);
  e.data = std::move(data);
  return e;
}
inline Entry Dir(std::string path) { return MakeEntry(std::move(path), AE_IFDIR); }
inline Entry Symlink(std::string path, std::string target) {
  Entry e = MakeEntry(std::move(path), AE_IFLNK);
  e.symlink = std::move(target);
  return e;
}
inline Entry HardLink(std::string path, std::string target) {
  Entry e = MakeEntry(std::move(path), AE_IFREG);
  e.hardlink = std::move(target);
  return e;
}
inline Entry Special(std::string path, unsigned type) { return MakeEntry(std::move(path), type); }

inline void WriteTestArchive(const std::filesystem::path& path, const std::vector<Entry>& entries,
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

}  // namespace ferry::bundle::archive_testing

#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ferry::testing {

// A fresh temporary folder, removed (recursively) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `content` to `path`, creating parent folders. Aborts the test
// binary on failure (test set-up only).
void WriteTextFile(const std::filesystem::path& path, std::string_view content);

// The project's source folder (for examples/ and test data).
std::filesystem::path SourceDir();

}  // namespace ferry::testing

#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "ferry/base/result.h"
#include "ferry/bundle/bundle.h"

namespace ferry::bundle {

// A bundle given on the command line as a folder or a packed archive. An
// archive is unpacked into a private temporary folder that is removed when
// this object dies.
class BundleSource {
 public:
  ~BundleSource();
  static Result<std::unique_ptr<BundleSource>> Open(const std::string& path);

  // The folder holding the bundle (the given one, or the unpacked copy).
  const std::filesystem::path& dir() const { return dir_; }
  bool from_archive() const { return !tmp_root_.empty(); }

 private:
  std::filesystem::path dir_;
  std::filesystem::path tmp_root_;
};

bool LooksLikeArchive(const std::string& path);

}  // namespace ferry::bundle

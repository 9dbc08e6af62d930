#include "ferry/bundle/bundle_source.h"

#include <stdlib.h>

#include "ferry/bundle/archive.h"

namespace fs = std::filesystem;

namespace ferry::bundle {

bool LooksLikeArchive(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

BundleSource::~BundleSource() {
  if (!tmp_root_.empty()) {
    std::error_code ec;
    fs::remove_all(tmp_root_, ec);
  }
}

Result<std::unique_ptr<BundleSource>> BundleSource::Open(const std::string& path) {
  auto src = std::unique_ptr<BundleSource>(new BundleSource());
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + " does not exist");
  if (!LooksLikeArchive(path)) {
    src->dir_ = path;
    return src;
  }
  std::string tmpl = (fs::temp_directory_path() / "ferry-bundle-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return Internal("cannot create a temporary folder");
  src->tmp_root_ = tmpl;
  src->dir_ = src->tmp_root_ / "bundle";
  FERRY_RETURN_IF_ERROR(UnpackArchive(path, src->dir_).WithContext(path));
  return src;
}

}  // namespace ferry::bundle

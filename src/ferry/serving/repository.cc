#include "ferry/serving/repository.h"

#include <charconv>

namespace ferry::serving {
namespace {

bool ParseVersion(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 18 || s[0] == '0') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && *out > 0;
}

bool IsModelName(const std::string& s) {
  if (s.empty() || s[0] == '.') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<RepositoryListing> ScanRepository(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return NotFound("model repository " + dir.string() + " is not a folder");
  }
  RepositoryListing out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!it->is_directory(ec) || !IsModelName(name)) continue;
    auto& versions = out[name];
    std::error_code ec2;
    for (fs::directory_iterator v(it->path(), ec2), vend; !ec2 && v != vend; v.increment(ec2)) {
      int64_t version = 0;
      if (v->is_directory(ec2) && ParseVersion(v->path().filename().string(), &version)) {
        versions[version] = fs::absolute(v->path(), ec2);
      }
    }
  }
  if (ec) return Internal("cannot list model repository " + dir.string() + ": " + ec.message());
  return out;
}

}  // namespace ferry::serving

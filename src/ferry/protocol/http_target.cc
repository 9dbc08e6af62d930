#include "ferry/protocol/http_target.h"

namespace ferry::protocol {

std::vector<std::string_view> PathSegments(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < target.size()) {
    size_t j = target.find('/', i);
    if (j == std::string_view::npos) j = target.size();
    if (j > i) parts.push_back(target.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

std::map<std::string, std::string> QueryParams(std::string_view target) {
  std::map<std::string, std::string> out;
  size_t q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  size_t i = 0;
  while (i < query.size()) {
    size_t j = query.find('&', i);
    if (j == std::string_view::npos) j = query.size();
    std::string_view kv = query.substr(i, j - i);
    size_t eq = kv.find('=');
    if (!kv.empty()) {
      out[std::string(kv.substr(0, eq))] =
          eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1));
    }
    i = j + 1;
  }
  return out;
}

}  // namespace ferry::protocol

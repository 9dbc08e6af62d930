#include "ferry/table/csv_simd.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace ferry::table {

bool CsvSimdAllowed() {
  static const bool allowed = [] {
    const char* value = std::getenv(kCsvSimdEnv);
    if (value == nullptr) return true;
    const std::string_view v(value);
    if (v == "off") return false;
    if (!v.empty() && v != "auto") {
      std::fprintf(stderr, "warning: %s is '%s'; expected off or auto (taking auto)\n", kCsvSimdEnv,
                   value);
    }
    return true;
  }();
  return allowed;
}

}  // namespace ferry::table

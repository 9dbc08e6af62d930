#include "ferry/table/number.h"

#include <locale.h>
#include <stdlib.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace ferry::table {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Status NotANumber(std::string_view text) {
  constexpr size_t kMaxShown = 64;
  std::string shown(text.substr(0, kMaxShown));
  if (text.size() > kMaxShown) shown += "...";
  return InvalidArgument("'" + shown + "' is not a number");
}

}  // namespace

bool IsMissingValue(std::string_view text) {
  std::string_view s = Trim(text);
  return s.empty() || s == "NA" || s == "nan" || s == "NaN" || s == "NAN";
}

Result<double> ParseNumber(std::string_view text) {
  std::string_view s = Trim(text);
  if (s.empty() || s == "NA") return std::numeric_limits<double>::quiet_NaN();
  std::string_view digits = s;
  if (digits.front() == '+') {
    digits.remove_prefix(1);
    // "+-1" and "++1" are not numbers; from_chars would accept the '-'.
    if (digits.empty() || digits.front() == '-' || digits.front() == '+') return NotANumber(text);
  }
  double value = 0;
  const char* first = digits.data();
  const char* last = first + digits.size();
  auto [ptr, ec] = std::from_chars(first, last, value, std::chars_format::general);
  if (ptr != last) return NotANumber(text);
  if (ec == std::errc::result_out_of_range) {
    // The grammar matched but the magnitude does not fit: let strtod (in the "C" locale, so
    // '.' is the decimal point whatever the process locale) pick +-inf, +-0 or a subnormal.
    static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
    std::string copy(digits);
    value = strtod_l(copy.c_str(), nullptr, c_locale);
  } else if (ec != std::errc()) {
    return NotANumber(text);
  }
  if (std::isnan(value)) return std::numeric_limits<double>::quiet_NaN();
  return value;
}

}  // namespace ferry::table

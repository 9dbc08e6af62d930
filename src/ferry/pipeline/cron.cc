#include "ferry/pipeline/cron.h"

#include <array>
#include <cctype>
#include <string>
#include <vector>

namespace ferry::pipeline {
namespace {

struct Field {
  const char* name;
  int lo, hi;
  const char* const* names;  // nullptr or 12/7 names starting at `lo` (dow: at 0)
};

constexpr const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t i = s.find(sep, start);
    out.emplace_back(s.substr(start, i == std::string_view::npos ? s.npos : i - start));
    if (i == std::string_view::npos) return out;
    start = i + 1;
  }
}

Result<int> ParseValue(const Field& f, const std::string& text) {
  if (f.names != nullptr && text.size() == 3 && std::isalpha(static_cast<unsigned char>(text[0]))) {
    std::string up;
    for (char c : text) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    int count = f.lo == 1 ? 12 : 7;
    for (int i = 0; i < count; ++i) {
      if (up == f.names[i]) return f.lo == 1 ? i + 1 : i;
    }
  }
  if (text.empty() || text.size() > 4) {
    return InvalidArgument(std::string(f.name) + ": '" + text + "' is not a number");
  }
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return InvalidArgument(std::string(f.name) + ": '" + text + "' is not a number");
    }
  }
  int v = std::stoi(text);
  if (v < f.lo || v > f.hi) {
    return InvalidArgument(std::string(f.name) + ": " + text + " is out of range " +
                           std::to_string(f.lo) + "-" + std::to_string(f.hi));
  }
  return v;
}

// Sets the bits of one field into `bits` (indexed by value).
Status ParseField(const Field& f, const std::string& text, std::vector<bool>& bits) {
  for (const std::string& item : Split(text, ',')) {
    if (item.empty()) return InvalidArgument(std::string(f.name) + ": empty list item");
    std::string range = item;
    int step = 1;
    size_t slash = item.find('/');
    if (slash != std::string::npos) {
      range = item.substr(0, slash);
      std::string s = item.substr(slash + 1);
      bool digits = !s.empty() && s.size() <= 4;
      for (char c : s) digits = digits && std::isdigit(static_cast<unsigned char>(c));
      if (!digits || std::stoi(s) == 0) {
        return InvalidArgument(std::string(f.name) + ": step '" + s +
                               "' must be a positive number");
      }
      step = std::stoi(s);
    }
    int lo = f.lo, hi = f.hi;
    if (range != "*") {
      size_t dash = range.find('-');
      FERRY_ASSIGN_OR_RETURN(lo, ParseValue(f, range.substr(0, dash)));
      if (dash != std::string::npos) {
        FERRY_ASSIGN_OR_RETURN(hi, ParseValue(f, range.substr(dash + 1)));
        if (hi < lo) {
          return InvalidArgument(std::string(f.name) + ": range " + range + " runs backwards");
        }
      } else if (slash == std::string::npos) {
        hi = lo;
      }
    }
    for (int v = lo; v <= hi; v += step) bits[v] = true;
  }
  return Status::Ok();
}

}  // namespace

Result<CronSchedule> ParseCron(std::string_view text) {
  std::vector<std::string> fields;
  std::string cur;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      if (!cur.empty()) fields.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) fields.push_back(cur);
  if (fields.size() != 5) {
    return InvalidArgument("expected 5 fields (minute hour day-of-month month day-of-week), got " +
                           std::to_string(fields.size()));
  }
  static const std::array<Field, 5> kFields = {{{"minute", 0, 59, nullptr},
                                                {"hour", 0, 23, nullptr},
                                                {"day-of-month", 1, 31, nullptr},
                                                {"month", 1, 12, kMonths},
                                                {"day-of-week", 0, 7, kDays}}};
  std::array<std::vector<bool>, 5> bits;
  for (size_t i = 0; i < 5; ++i) {
    bits[i].assign(kFields[i].hi + 1, false);
    FERRY_RETURN_IF_ERROR(ParseField(kFields[i], fields[i], bits[i]));
  }
  CronSchedule s;
  for (int v = 0; v < 60; ++v) s.minutes[v] = bits[0][v];
  for (int v = 0; v < 24; ++v) s.hours[v] = bits[1][v];
  for (int v = 1; v < 32; ++v) s.days_of_month[v] = bits[2][v];
  for (int v = 1; v < 13; ++v) s.months[v] = bits[3][v];
  for (int v = 0; v < 7; ++v) s.days_of_week[v] = bits[4][v];
  if (bits[4][7]) s.days_of_week[0] = true;
  return s;
}

}  // namespace ferry::pipeline

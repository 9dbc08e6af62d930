#pragma once

#include <bitset>
#include <string_view>

#include "ferry/base/result.h"

namespace ferry::pipeline {

// A standard 5-field cron expression: minute hour day-of-month month
// day-of-week. Each field is '*' or a comma list of items; an item is N,
// N-M, '*' or either with '/STEP'. Months take JAN…DEC and days SUN…SAT
// (any case); day-of-week 7 is Sunday like 0.
struct CronSchedule {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // bit 0 unused
  std::bitset<13> months;         // bit 0 unused
  std::bitset<7> days_of_week;    // 0 = Sunday
};

// InvalidArgument naming the field and the problem, e.g.
// "expected 5 fields (minute hour day-of-month month day-of-week), got 4" or
// "hour: 24 is out of range 0-23".
Result<CronSchedule> ParseCron(std::string_view text);

}  // namespace ferry::pipeline

#include "ferry/pipeline/schedule.h"

#include <gtest/gtest.h>

#include <ctime>

namespace ferry::pipeline {
namespace {

// Unix seconds of a UTC time.
int64_t At(int year, int month, int day, int hour, int minute, int second = 0) {
  std::tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm));
}

CronSchedule Cron(const char* text) {
  Result<CronSchedule> c = ParseCron(text);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return *c;
}

TEST(ScheduleTest, NextIsStrictlyAfterAndLatestIsAtOrBefore) {
  CronSchedule every5 = Cron("*/5 * * * *");
  EXPECT_EQ(NextCronTime(every5, At(2026, 11, 27, 18, 15)), At(2026, 11, 27, 18, 20));
  EXPECT_EQ(NextCronTime(every5, At(2026, 11, 27, 18, 14, 59)), At(2026, 11, 27, 18, 15));
  EXPECT_EQ(LatestCronTime(every5, At(2026, 11, 27, 18, 17, 30)), At(2026, 11, 27, 18, 15));
  EXPECT_EQ(LatestCronTime(every5, At(2026, 11, 27, 18, 15)), At(2026, 11, 27, 18, 15));
}

TEST(ScheduleTest, WeeklyAcrossDaysAndMonths) {
  CronSchedule mondays = Cron("0 3 * * 1");  // 2026-11-27 is a Friday
  EXPECT_EQ(NextCronTime(mondays, At(2026, 11, 27, 18, 15)), At(2026, 11, 30, 3, 0));
  EXPECT_EQ(LatestCronTime(mondays, At(2026, 11, 27, 18, 15)), At(2026, 11, 23, 3, 0));
  CronSchedule new_year = Cron("30 0 1 JAN *");
  EXPECT_EQ(NextCronTime(new_year, At(2026, 11, 27, 0, 0)), At(2027, 1, 1, 0, 30));
  EXPECT_EQ(LatestCronTime(new_year, At(2026, 11, 27, 0, 0)), At(2026, 1, 1, 0, 30));
}

TEST(ScheduleTest, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
  CronSchedule c = Cron("0 0 13 * 5");  // the 13th, or any Friday
  EXPECT_EQ(NextCronTime(c, At(2026, 11, 27, 0, 0)), At(2026, 12, 4, 0, 0));   // a Friday
  EXPECT_EQ(NextCronTime(c, At(2026, 12, 11, 1, 0)), At(2026, 12, 13, 0, 0));  // a Sunday 13th
  CronSchedule fridays_only = Cron("0 0 * * 5");
  EXPECT_EQ(NextCronTime(fridays_only, At(2026, 12, 11, 1, 0)), At(2026, 12, 18, 0, 0));
}

TEST(ScheduleTest, ImpossibleDatesHaveNoTime) {
  CronSchedule never = Cron("0 0 31 2 *");
  EXPECT_FALSE(NextCronTime(never, At(2026, 11, 27, 0, 0)).has_value());
  EXPECT_FALSE(LatestCronTime(never, At(2026, 11, 27, 0, 0)).has_value());
}

TEST(ScheduleTest, FirstSightRecordsWithoutRunning) {
  ScheduleDecision d =
      DecideSchedule(Cron("*/5 * * * *"), std::nullopt, At(2026, 11, 27, 18, 17), 3600);
  EXPECT_EQ(d.record, At(2026, 11, 27, 18, 15));
  EXPECT_FALSE(d.start);
  EXPECT_EQ(d.missed, 0);
}

TEST(ScheduleTest, ADueSlotStartsOnceAndThenNothingUntilTheNext) {
  CronSchedule c = Cron("*/5 * * * *");
  int64_t last = At(2026, 11, 27, 18, 15);
  ScheduleDecision same = DecideSchedule(c, last, At(2026, 11, 27, 18, 19, 59), 3600);
  EXPECT_FALSE(same.record.has_value());
  ScheduleDecision due = DecideSchedule(c, last, At(2026, 11, 27, 18, 20, 1), 3600);
  EXPECT_EQ(due.record, At(2026, 11, 27, 18, 20));
  EXPECT_TRUE(due.start);
  EXPECT_EQ(due.missed, 0);
}

TEST(ScheduleTest, AfterAnOutageTheLatestSlotRunsOnceWithinTheDeadline) {
  CronSchedule c = Cron("*/5 * * * *");
  int64_t last = At(2026, 11, 27, 18, 0);
  ScheduleDecision d = DecideSchedule(c, last, At(2026, 11, 27, 19, 2), 3600);
  EXPECT_EQ(d.record, At(2026, 11, 27, 19, 0));
  EXPECT_TRUE(d.start);
  EXPECT_EQ(d.missed, 11);  // 18:05 … 18:55
  ScheduleDecision late = DecideSchedule(c, last, At(2026, 11, 27, 19, 2), 60);
  EXPECT_EQ(late.record, At(2026, 11, 27, 19, 0));
  EXPECT_FALSE(late.start);
  EXPECT_EQ(late.missed, 12);  // and 19:00 itself, two minutes past a one-minute deadline
}

}  // namespace
}  // namespace ferry::pipeline

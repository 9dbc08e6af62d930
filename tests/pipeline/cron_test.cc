#include "ferry/pipeline/cron.h"

#include <gtest/gtest.h>

namespace ferry::pipeline {
namespace {

TEST(CronTest, ParsesFieldsRangesStepsAndLists) {
  Result<CronSchedule> s = ParseCron("*/15 3 1-7,15 JAN-mar,12 mon-fri");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->minutes.count(), 4u);
  EXPECT_TRUE(s->minutes[0] && s->minutes[15] && s->minutes[30] && s->minutes[45]);
  EXPECT_EQ(s->hours.count(), 1u);
  EXPECT_TRUE(s->hours[3]);
  EXPECT_EQ(s->days_of_month.count(), 8u);
  EXPECT_TRUE(s->days_of_month[15]);
  EXPECT_EQ(s->months.count(), 4u);
  EXPECT_TRUE(s->months[1] && s->months[3] && s->months[12]);
  EXPECT_EQ(s->days_of_week.count(), 5u);
  EXPECT_FALSE(s->days_of_week[0]);
}

TEST(CronTest, SundayIsZeroOrSeven) {
  Result<CronSchedule> s = ParseCron("0 0 * * 7");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->days_of_week[0]);
  EXPECT_EQ(ParseCron("0 3 * * 1").ok(), true);
  EXPECT_EQ(ParseCron("5/10 * * * *")->minutes.count(), 6u);
}

TEST(CronTest, ReportsTheFieldAndTheProblem) {
  EXPECT_EQ(ParseCron("* * * *").status().message(),
            "expected 5 fields (minute hour day-of-month month day-of-week), got 4");
  EXPECT_EQ(ParseCron("60 * * * *").status().message(), "minute: 60 is out of range 0-59");
  EXPECT_EQ(ParseCron("* 24 * * *").status().message(), "hour: 24 is out of range 0-23");
  EXPECT_EQ(ParseCron("* * 0 * *").status().message(), "day-of-month: 0 is out of range 1-31");
  EXPECT_EQ(ParseCron("* * * 13 *").status().message(), "month: 13 is out of range 1-12");
  EXPECT_EQ(ParseCron("* * * * 8").status().message(), "day-of-week: 8 is out of range 0-7");
  EXPECT_EQ(ParseCron("*/0 * * * *").status().message(),
            "minute: step '0' must be a positive number");
  EXPECT_EQ(ParseCron("5-1 * * * *").status().message(), "minute: range 5-1 runs backwards");
  EXPECT_EQ(ParseCron("a * * * *").status().message(), "minute: 'a' is not a number");
  EXPECT_EQ(ParseCron("1,,2 * * * *").status().message(), "minute: empty list item");
  EXPECT_EQ(ParseCron("* * * FOO *").status().message(), "month: 'FOO' is not a number");
}

}  // namespace
}  // namespace ferry::pipeline

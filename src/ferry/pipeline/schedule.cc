#include "ferry/pipeline/schedule.h"

#include <ctime>

namespace ferry::pipeline {
namespace {

constexpr int64_t kMinute = 60;
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;
constexpr int64_t kSearchSeconds = 5 * 366 * kDay;

bool DayMatches(const CronSchedule& c, const std::tm& tm) {
  bool every_dom = true;
  for (int d = 1; d <= 31; ++d) every_dom = every_dom && c.days_of_month[d];
  bool every_dow = c.days_of_week.all();
  bool dom = c.days_of_month[tm.tm_mday];
  bool dow = c.days_of_week[tm.tm_wday];
  if (!every_dom && !every_dow) return dom || dow;
  return dom && dow;
}

std::tm Utc(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm = {};
  gmtime_r(&tt, &tm);
  return tm;
}

int64_t FloorTo(int64_t t, int64_t unit) {
  int64_t r = t % unit;
  return r < 0 ? t - r - unit : t - r;
}

// Walks from `t` (a whole minute) in direction `dir` (+1/-1) to the first
// matching minute, skipping whole days and hours that cannot match.
std::optional<int64_t> Walk(const CronSchedule& c, int64_t t, int dir) {
  const int64_t limit = t + dir * kSearchSeconds;
  while (dir > 0 ? t <= limit : t >= limit) {
    std::tm tm = Utc(t);
    if (!c.months[tm.tm_mon + 1] || !DayMatches(c, tm)) {
      t = dir > 0 ? FloorTo(t, kDay) + kDay : FloorTo(t, kDay) - kMinute;
      continue;
    }
    if (!c.hours[tm.tm_hour]) {
      t = dir > 0 ? FloorTo(t, kHour) + kHour : FloorTo(t, kHour) - kMinute;
      continue;
    }
    if (!c.minutes[tm.tm_min]) {
      t += dir * kMinute;
      continue;
    }
    return t;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> NextCronTime(const CronSchedule& cron, int64_t after) {
  return Walk(cron, FloorTo(after, kMinute) + kMinute, +1);
}

std::optional<int64_t> LatestCronTime(const CronSchedule& cron, int64_t at) {
  return Walk(cron, FloorTo(at, kMinute), -1);
}

ScheduleDecision DecideSchedule(const CronSchedule& cron, std::optional<int64_t> last_slot,
                                int64_t now, int64_t starting_deadline_s) {
  ScheduleDecision d;
  std::optional<int64_t> latest = LatestCronTime(cron, now);
  if (!latest) return d;
  if (!last_slot) {
    d.record = latest;
    return d;
  }
  if (*latest <= *last_slot) return d;
  d.record = latest;
  // Slots strictly between the recorded one and the latest were passed over.
  for (std::optional<int64_t> t = NextCronTime(cron, *last_slot); t && *t < *latest;
       t = NextCronTime(cron, *t)) {
    ++d.missed;
    if (d.missed > 100000) break;
  }
  if (now - *latest <= starting_deadline_s) {
    d.start = true;
  } else {
    ++d.missed;
  }
  return d;
}

}  // namespace ferry::pipeline

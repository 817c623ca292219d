#include "access/local_time.h"

#include <chrono>
#include <string>

#include <date/tz.h>

namespace quartet::access {

StatusOr<LocalTime> ToLocalTime(int64_t unix_seconds, std::string_view time_zone) {
  if (unix_seconds < kEarliestTime || unix_seconds > kLatestTime)
    return InvalidArgumentError("the time " + std::to_string(unix_seconds) + " is out of range");
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(std::string(time_zone));
  } catch (const std::exception&) {
    return InvalidArgumentError("unknown time zone '" + std::string(time_zone) + "'");
  }
  const date::sys_seconds moment{std::chrono::seconds(unix_seconds)};
  const auto local = zone->to_local(moment);
  const auto day = date::floor<date::days>(local);
  const date::weekday weekday{day};
  const auto since_midnight = std::chrono::duration_cast<std::chrono::minutes>(local - day);
  // date::weekday counts from Sunday = 0; policies count from Monday = 0.
  return LocalTime{static_cast<int>((weekday.c_encoding() + 6) % 7),
                   static_cast<int>(since_midnight.count())};
}

}  // namespace quartet::access

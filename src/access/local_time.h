// The client's wall clock: where a moment falls in the client's own time zone (IANA names, from
// the system's tz database), for policy rules about business hours.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace quartet::access {

struct LocalTime {
  int weekday = 0;  // 0 = Monday
  int minute_of_day = 0;
};

// InvalidArgument for an unknown time zone. Thread-safe.
StatusOr<LocalTime> ToLocalTime(int64_t unix_seconds, std::string_view time_zone);

}  // namespace quartet::access

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

// The moments a grant may name, in Unix seconds: from 1970 to the end of the year 9999. Requests
// outside are refused, so that adding a grant's durations to them can never overflow.
inline constexpr int64_t kEarliestTime = 0;
inline constexpr int64_t kLatestTime = 253402300799;  // 9999-12-31 23:59:59 UTC

// InvalidArgument for an unknown time zone or a moment outside [kEarliestTime, kLatestTime].
// Thread-safe.
StatusOr<LocalTime> ToLocalTime(int64_t unix_seconds, std::string_view time_zone);

}  // namespace quartet::access

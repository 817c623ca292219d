// One canonical log event (docs/events.md): `fields` plus kind, client and at, written by the one
// canonical writer (base/json.h).
#pragma once

#include <string>
#include <string_view>

#include "base/json.h"

namespace quartet::governance {

inline std::string Event(std::string_view kind, const std::string& client, int64_t at,
                         Json fields) {
  fields["kind"] = std::string(kind);
  fields["client"] = client;
  fields["at"] = at;
  return CanonicalJsonOf(fields);
}

}  // namespace quartet::governance

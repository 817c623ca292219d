// One canonical log event (docs/events.md): `fields` plus kind, client and at.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace quartet::governance {

inline std::string Event(std::string_view kind, const std::string& client, int64_t at,
                         nlohmann::json fields) {
  fields["kind"] = std::string(kind);
  fields["client"] = client;
  fields["at"] = at;
  return fields.dump();
}

}  // namespace quartet::governance

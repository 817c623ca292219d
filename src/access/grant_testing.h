// For tests and fuzz harnesses: a routine SSH login request by technician "tom" for client "acme",
// made on a Monday at 10:00 UTC, inside business hours.
#pragma once

#include <string>

#include "access/grant.h"

namespace quartet::access {

inline constexpr int64_t kTestMondayTen = 1795428000;  // 2026-11-23 10:00 UTC

inline GrantRequest TestRequest(std::string id, std::string resource, LabelSet labels) {
  GrantRequest r;
  r.id = std::move(id);
  r.client = "acme";
  r.technician = "tom";
  r.resource = std::move(resource);
  r.labels = labels;
  r.login = "root";
  r.reason = "patching";
  r.ticket = "T-1";
  r.duration_seconds = 3600;
  r.requested_at = kTestMondayTen;
  return r;
}

}  // namespace quartet::access

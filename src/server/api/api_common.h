// What the routes under /api/v1 share: JSON replies and errors, and the path and query helpers.
// Bodies are read with base/json.h (JsonObject), like all JSON from outside.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "access/policy.h"
#include "base/json.h"
#include "base/status.h"
#include "identity/rate_limit.h"
#include "server/http.h"

namespace quartet::server::api {

constexpr size_t kMaxApiBody = 64 * 1024;

inline HttpResponse JsonResponse(int status, const Json& body) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::make_shared<const std::string>(CanonicalJsonOf(body) + "\n");
  return response;
}

// What costs a client, limited (identity/rate_limit.h): a technician's access requests to one
// client (20 at once, then one a minute), all requests to one client (100, then one each 10 s), a
// member of staff's policy proposals to one client (5, then one an hour).
inline constexpr identity::RateLimiter::Rule kRequestsPerTechnician{20, std::chrono::seconds(60)};
inline constexpr identity::RateLimiter::Rule kRequestsPerClient{100, std::chrono::seconds(10)};
inline constexpr identity::RateLimiter::Rule kProposalsPerStaff{5, std::chrono::seconds(3600)};

// 429 with Retry-After (at least 1 s): a limit that comes back by itself.
inline HttpResponse TooManyRequests(const std::string& message, int64_t retry_after_seconds) {
  HttpResponse response = JsonResponse(429, {{"error", message}});
  response.headers["Retry-After"] =
      std::to_string(retry_after_seconds < 1 ? 1 : retry_after_seconds);
  return response;
}

inline HttpResponse Error(const Status& status) {
  return JsonResponse(HttpStatusFor(status.code()), {{"error", status.message()}});
}

// A resource's sensitivity labels by name ("email", "financial", ...).
inline Json LabelsJson(access::LabelSet labels) {
  Json out = Json::array();
  for (uint32_t bit = 1; bit != 0 && bit <= labels; bit <<= 1) {
    if (labels & bit)
      out.push_back(std::string(access::LabelName(static_cast<access::Label>(bit))));
  }
  return out;
}

// Decodes %XX escapes and '+' (a space) in a query-string value. InvalidArgument for a broken
// escape.
inline StatusOr<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else {
      if (i + 2 >= text.size()) return InvalidArgumentError("broken %-escape in the query");
      const int high = hex(text[i + 1]);
      const int low = hex(text[i + 2]);
      if (high < 0 || low < 0) return InvalidArgumentError("broken %-escape in the query");
      out += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return out;
}

inline std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

// Calls `visit(key, value)` for each parameter of the query string of `target`, in order, until
// it returns an error. Values are plain tokens (no escapes are decoded).
template <typename Visit>
Status ForEachQueryParameter(std::string_view target, Visit&& visit) {
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return Status::Ok();
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t equals = pair.find('=');
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    RETURN_IF_ERROR(visit(pair.substr(0, equals), value));
  }
  return Status::Ok();
}

// The value of `key` in the query string of `target` ("" when absent).
// The longest a long poll waits (agents for work, technicians for their agent's answer).
inline constexpr int64_t kMaxWaitSeconds = 25;
// A `wait` query parameter in seconds (none: 0), capped at kMaxWaitSeconds.
inline StatusOr<std::chrono::milliseconds> WaitParameter(std::string_view text) {
  if (text.empty()) return std::chrono::milliseconds(0);
  ASSIGN_OR_RETURN(uint64_t seconds, ParseDecimal(text));
  return std::chrono::milliseconds(std::min<uint64_t>(seconds, kMaxWaitSeconds) * 1000);
}

inline std::string_view QueryParameter(std::string_view target, std::string_view key) {
  std::string_view found;
  (void)ForEachQueryParameter(target, [&](std::string_view name, std::string_view value) {
    if (name == key && found.empty()) found = value;
    return Status::Ok();
  });
  return found;
}

}  // namespace quartet::server::api

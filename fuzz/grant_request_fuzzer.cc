// libFuzzer harness for the canonical grant request parser (access/grant.h): the text owners sign,
// read back from the store and from log entries the agent replays. Whatever parses must be the
// canonical text of what it parsed to, and a grant opened from it must write canonical events.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "access/grant.h"
#include "ledger/entry.h"

namespace {

namespace access = quartet::access;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto request = access::ParseCanonicalRequest(input);
  if (!request.ok()) return 0;
  Check(access::CanonicalRequest(*request) == input);
  static const access::Policy* policy = new access::Policy(access::Policy::SafeDefault("UTC"));
  std::vector<std::string> events;
  const auto grant = access::Grant::Open(*request, *policy, access::LocalTime{2, 600}, events);
  if (!grant.ok()) {
    Check(events.empty());
    return 0;
  }
  Check(!events.empty() && grant->canonical_request() == input);
  for (const std::string& event : events) {
    const auto canonical = quartet::ledger::CanonicalEntry(event);
    Check(canonical.ok() && *canonical == event);
  }
  return 0;
}

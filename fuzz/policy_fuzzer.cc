// libFuzzer harness for the policy parser (access/policy.h): policies come from owners' browsers,
// the CLI and the log the agent replays. Besides not crashing, whatever parses must be valid, write
// itself back canonically (parsing that again gives the same text), and decide and describe itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "access/policy.h"

namespace {

namespace access = quartet::access;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto policy = access::PolicyFromJson(input);
  if (!policy.ok()) return 0;
  Check(policy->Validate().ok());
  const std::string canonical = access::ToJson(*policy);
  const auto again = access::PolicyFromJson(canonical);
  Check(again.ok() && access::ToJson(*again) == canonical);
  (void)policy->Describe();
  access::AccessContext request;
  for (int64_t duration : {int64_t{-1}, int64_t{1}, int64_t{3600}, int64_t{1} << 40}) {
    for (int weekday : {0, 5, 7}) {
      request.duration_seconds = duration;
      request.weekday = weekday;
      request.minute_of_day = static_cast<int>(size % 1441);
      request.labels = size > 0 ? data[0] : 0;
      const access::Verdict verdict = access::Decide(*policy, request);
      Check(verdict.effect != access::Effect::kAskOwners || verdict.approvals_required >= 1);
    }
  }
  return 0;
}

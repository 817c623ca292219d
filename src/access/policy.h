// A client's access policy: which requests for access are approved at once, which wait for the
// client's owners, and which are refused. Rules are checked in order and the first that matches
// decides; if none matches, the fallback does. Every grant is time-limited: nothing is standing.
//
// A policy is a value: it is evaluated in process (Decide, well under 2 µs), stored and logged as
// canonical JSON (ToJson / PolicyFromJson), and described in plain words for owners (Describe).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "access/role.h"
#include "base/status.h"

namespace quartet::access {

// What a resource holds. A resource may carry several labels.
enum class Label : uint32_t {
  kEmail = 1u << 0,
  kFinancial = 1u << 1,
  kHr = 1u << 2,
  kPersonal = 1u << 3,
  kHealth = 1u << 4,
  kLegal = 1u << 5,
  kCredentials = 1u << 6,
  kBackups = 1u << 7,
};
using LabelSet = uint32_t;
inline constexpr LabelSet kAllLabels = 0xff;
inline constexpr LabelSet kSensitiveByDefault =
    static_cast<LabelSet>(Label::kEmail) | static_cast<LabelSet>(Label::kFinancial) |
    static_cast<LabelSet>(Label::kHr) | static_cast<LabelSet>(Label::kPersonal);

enum class ResourceKind : uint8_t {
  kSshHost,
  kMailbox,
  kFileShare,
  kFinanceSystem,
  kNetworkDevice,
  kSaasConsole,
  kBackup,
};

enum class Action : uint8_t {
  kLogin,             // log in as a given account
  kRevealCredential,  // reveal a stored credential
  kOpenMailbox,
  kReadFiles,
  kChangeFiles,
  kAdminister,  // change configuration
  kRestoreBackup,
};

// Sets of kinds, actions and roles as bit masks (bit = 1 << enum value); 0 means "any". A rule's
// roles are provider roles.
using KindSet = uint32_t;
using ActionSet = uint32_t;
using RoleSet = uint32_t;
template <typename Enum>
constexpr uint32_t Bit(Enum value) {
  return 1u << static_cast<uint32_t>(value);
}

enum class Effect : uint8_t { kApprove, kAskOwners, kDeny };
enum class TicketCondition : uint8_t { kAny, kPresent, kAbsent };
enum class HoursCondition : uint8_t { kAny, kInsideBusinessHours, kOutsideBusinessHours };

struct BusinessHours {
  uint8_t days = 0b0011111;  // bit 0 = Monday ... bit 6 = Sunday
  uint16_t start_minute = 8 * 60;
  uint16_t end_minute = 18 * 60;  // exclusive
  bool Contains(int weekday, int minute_of_day) const;
};

struct Rule {
  std::string name;  // shown to owners; unique within a policy
  // Conditions: a rule matches when every one holds.
  LabelSet labels_any = 0;  // the resource carries one of these (0: any resource)
  KindSet kinds = 0;
  ActionSet actions = 0;
  RoleSet roles = 0;
  TicketCondition ticket = TicketCondition::kAny;
  HoursCondition hours = HoursCondition::kAny;
  int64_t max_duration_seconds = 0;  // the rule matches only requests this short (0: any)
  // What happens.
  Effect effect = Effect::kAskOwners;
  int approvals = 1;  // with kAskOwners: how many distinct owners must approve
};

// When a technician may take access at once in an emergency, without approval (break-glass);
// the owners review every use afterwards. "Never" is a valid answer.
struct BreakglassTerms {
  bool allowed = true;
  RoleSet roles = 0;                 // provider roles who may (0: any)
  KindSet kinds = 0;                 // on these kinds of resource (0: any)
  LabelSet labels_never = 0;         // never on a resource carrying one of these labels
  int64_t max_duration_seconds = 0;  // at most this long (0: the policy's longest grant)
  bool operator==(const BreakglassTerms&) const = default;
};

struct Policy {
  std::vector<Rule> rules;
  Effect fallback = Effect::kAskOwners;
  int fallback_approvals = 1;
  int64_t max_duration_seconds = 8 * 3600;  // no grant is longer, whatever the rules say
  BusinessHours business_hours;
  std::string time_zone = "UTC";  // IANA name; the client's own
  BreakglassTerms breakglass;     // by default: any provider role, any resource

  // Nothing standing; email, financial, HR and personal data always need an owner; routine work
  // with a ticket in business hours, up to two hours, is approved at once; the rest asks an owner.
  static Policy SafeDefault(std::string time_zone);

  // InvalidArgument unless names are unique and non-empty, approvals >= 1, durations positive.
  Status Validate() const;
  // Plain-language lines for owners, one per rule and one for the fallback.
  std::vector<std::string> Describe() const;
};

// A request as the policy sees it. Local time is in the client's time zone (see local_time.h).
struct AccessContext {
  ResourceKind kind = ResourceKind::kSshHost;
  LabelSet labels = 0;
  Action action = Action::kLogin;
  Role role = Role::kTechnician;
  bool has_ticket = false;
  int64_t duration_seconds = 0;
  int weekday = 0;  // 0 = Monday
  int minute_of_day = 0;
};

struct Verdict {
  Effect effect = Effect::kDeny;
  int approvals_required = 0;  // with kAskOwners
  int rule_index = -1;         // the rule that decided; -1 for the fallback or a policy limit
  std::string_view reason;     // points into the policy or a static string; valid while both live
};

// Pure and thread-safe.
Verdict Decide(const Policy& policy, const AccessContext& request);

// Whether the policy lets `request` (its role, resource kind, labels and duration) break the glass.
// PermissionDenied with the reason, in words for the technician, otherwise.
Status CheckBreakglass(const Policy& policy, const AccessContext& request);

// Canonical JSON (sorted keys, no white space) and back. PolicyFromJson parses untrusted input
// without exceptions and validates; InvalidArgument with the reason otherwise.
std::string ToJson(const Policy& policy);
StatusOr<Policy> PolicyFromJson(std::string_view json);

std::string_view LabelName(Label label);
std::string_view KindName(ResourceKind kind);
std::string_view ActionName(Action action);
// InvalidArgument for an unknown name.
StatusOr<ResourceKind> ResourceKindFromName(std::string_view name);
StatusOr<Action> ActionFromName(std::string_view name);
StatusOr<Label> LabelFromName(std::string_view name);

}  // namespace quartet::access

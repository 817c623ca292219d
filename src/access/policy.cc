#include "access/policy.h"

#include <array>
#include <set>

#include "base/json.h"

namespace quartet::access {
namespace {

constexpr uint32_t kProviderRoles =
    Bit(Role::kTechnician) | Bit(Role::kSeniorTechnician) | Bit(Role::kProviderAdmin);

constexpr std::array<std::string_view, 8> kLabelNames = {
    "email", "financial", "hr", "personal", "health", "legal", "credentials", "backups"};
constexpr std::array<std::string_view, 7> kKindNames = {
    "ssh-host",       "mailbox",      "file-share", "finance-system",
    "network-device", "saas-console", "backup"};
constexpr std::array<std::string_view, 7> kActionNames = {
    "login",        "reveal-credential", "open-mailbox",  "read-files",
    "change-files", "administer",        "restore-backup"};
constexpr std::array<std::string_view, 3> kEffectNames = {"approve", "ask-owners", "deny"};
constexpr std::array<std::string_view, 3> kTicketNames = {"any", "present", "absent"};
constexpr std::array<std::string_view, 3> kHoursNames = {"any", "inside-business-hours",
                                                         "outside-business-hours"};
constexpr std::array<std::string_view, 7> kDayNames = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

template <size_t N>
Json MaskToJson(uint32_t mask, const std::array<std::string_view, N>& names) {
  Json out = Json::array();
  for (size_t i = 0; i < N; ++i) {
    if ((mask >> i) & 1) out.push_back(std::string(names[i]));
  }
  return out;
}

// The optional list of names `key` of `object` as a bit mask (bit i for names[i]); absent: 0.
template <size_t N>
StatusOr<uint32_t> MaskOf(const JsonObject& object, std::string_view key,
                          const std::array<std::string_view, N>& names, std::string_view what) {
  ASSIGN_OR_RETURN(const std::vector<std::string> items, object.Texts(key, Field::kOptional));
  uint32_t mask = 0;
  for (const std::string& name : items) {
    size_t i = 0;
    while (i < N && names[i] != name) ++i;
    if (i == N) return InvalidArgumentError("unknown " + std::string(what) + " '" + name + "'");
    mask |= 1u << i;
  }
  return mask;
}

// The optional name `key` of `object` as the index of one of `names`; absent: `absent`.
template <size_t N>
StatusOr<size_t> EnumOf(const JsonObject& object, std::string_view key,
                        const std::array<std::string_view, N>& names, std::string_view what,
                        size_t absent) {
  if (!object.Has(key)) return absent;
  ASSIGN_OR_RETURN(const std::string name, object.Text(key, Field::kRequired));
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return i;
  }
  return InvalidArgumentError("unknown " + std::string(what) + " '" + name + "'");
}

// The optional integer `key` of `object`, from `low` to `high`; absent: `absent`.
StatusOr<int64_t> IntegerOf(const JsonObject& object, std::string_view key, int64_t low,
                            int64_t high, int64_t absent) {
  if (!object.Has(key)) return absent;
  const StatusOr<int64_t> number = object.Integer(key, Field::kRequired);
  if (!number.ok()) return InvalidArgumentError(std::string(key) + " must be an integer");
  if (*number < low || *number > high)
    return InvalidArgumentError(std::string(key) + " out of range");
  return *number;
}

std::string FormatDuration(int64_t seconds) {
  if (seconds % 3600 == 0)
    return std::to_string(seconds / 3600) + (seconds == 3600 ? " hour" : " hours");
  return std::to_string(seconds / 60) + " minutes";
}

std::string FormatMinute(int minute) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%02d:%02d", minute / 60, minute % 60);
  return buffer;
}

template <size_t N>
std::string JoinNames(uint32_t mask, const std::array<std::string_view, N>& names,
                      std::string_view last) {
  std::vector<std::string_view> picked;
  for (size_t i = 0; i < N; ++i) {
    if ((mask >> i) & 1) picked.push_back(names[i]);
  }
  std::string out;
  for (size_t i = 0; i < picked.size(); ++i) {
    if (i > 0) out += i + 1 == picked.size() ? std::string(" ") + std::string(last) + " " : ", ";
    out += picked[i];
  }
  return out;
}

bool Matches(const Rule& rule, const AccessContext& request, const BusinessHours& hours) {
  if (rule.labels_any != 0 && (rule.labels_any & request.labels) == 0) return false;
  if (rule.kinds != 0 && (rule.kinds & Bit(request.kind)) == 0) return false;
  if (rule.actions != 0 && (rule.actions & Bit(request.action)) == 0) return false;
  if (rule.roles != 0 && (rule.roles & Bit(request.role)) == 0) return false;
  if (rule.ticket == TicketCondition::kPresent && !request.has_ticket) return false;
  if (rule.ticket == TicketCondition::kAbsent && request.has_ticket) return false;
  if (rule.max_duration_seconds > 0 && request.duration_seconds > rule.max_duration_seconds)
    return false;
  if (rule.hours != HoursCondition::kAny) {
    const bool inside = hours.Contains(request.weekday, request.minute_of_day);
    if (inside != (rule.hours == HoursCondition::kInsideBusinessHours)) return false;
  }
  return true;
}

}  // namespace

bool BusinessHours::Contains(int weekday, int minute_of_day) const {
  if (weekday < 0 || weekday > 6 || ((days >> weekday) & 1) == 0) return false;
  return minute_of_day >= start_minute && minute_of_day < end_minute;
}

Verdict Decide(const Policy& policy, const AccessContext& request) {
  if (request.duration_seconds <= 0) return {Effect::kDeny, 0, -1, "a grant needs a duration"};
  if (request.duration_seconds > policy.max_duration_seconds) {
    return {Effect::kDeny, 0, -1, "longer than the policy allows"};
  }
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    const Rule& rule = policy.rules[i];
    if (Matches(rule, request, policy.business_hours)) {
      return {rule.effect, rule.effect == Effect::kAskOwners ? rule.approvals : 0,
              static_cast<int>(i), rule.name};
    }
  }
  return {policy.fallback, policy.fallback == Effect::kAskOwners ? policy.fallback_approvals : 0,
          -1, "no rule matched"};
}

Status CheckBreakglass(const Policy& policy, const AccessContext& request) {
  const BreakglassTerms& terms = policy.breakglass;
  if (!terms.allowed)
    return PermissionDeniedError("the client's policy never allows break-glass access");
  if (terms.roles != 0 && (terms.roles & Bit(request.role)) == 0)
    return PermissionDeniedError("the client's policy allows break-glass only to a " +
                                 JoinNames(terms.roles, kRoleNames, "or"));
  if (terms.kinds != 0 && (terms.kinds & Bit(request.kind)) == 0)
    return PermissionDeniedError("the client's policy allows break-glass only on a " +
                                 JoinNames(terms.kinds, kKindNames, "or"));
  if ((terms.labels_never & request.labels) != 0)
    return PermissionDeniedError("the client's policy never allows break-glass to " +
                                 JoinNames(terms.labels_never, kLabelNames, "or") + " data");
  const int64_t longest =
      terms.max_duration_seconds > 0 ? terms.max_duration_seconds : policy.max_duration_seconds;
  if (request.duration_seconds > longest)
    return PermissionDeniedError("the client's policy limits break-glass access to " +
                                 FormatDuration(longest));
  return Status::Ok();
}

Policy Policy::SafeDefault(std::string zone) {
  Policy policy;
  policy.time_zone = std::move(zone);
  Rule sensitive;
  sensitive.name = "Email, financial, HR and personal data need an owner";
  sensitive.labels_any = kSensitiveByDefault;
  sensitive.effect = Effect::kAskOwners;
  policy.rules.push_back(sensitive);
  Rule credentials;
  credentials.name = "Revealing a stored credential needs an owner";
  credentials.actions = Bit(Action::kRevealCredential);
  credentials.effect = Effect::kAskOwners;
  policy.rules.push_back(credentials);
  Rule routine;
  routine.name = "Routine work with a ticket in business hours";
  routine.ticket = TicketCondition::kPresent;
  routine.hours = HoursCondition::kInsideBusinessHours;
  routine.max_duration_seconds = 2 * 3600;
  routine.effect = Effect::kApprove;
  policy.rules.push_back(routine);
  policy.fallback = Effect::kAskOwners;
  policy.fallback_approvals = 1;
  return policy;
}

Status Policy::Validate() const {
  std::set<std::string> names;
  for (const Rule& rule : rules) {
    if (rule.name.empty() || rule.name.size() > 200)
      return InvalidArgumentError("every rule needs a short name");
    if (!names.insert(rule.name).second)
      return InvalidArgumentError("two rules are named '" + rule.name + "'");
    if (rule.effect == Effect::kAskOwners && (rule.approvals < 1 || rule.approvals > 16)) {
      return InvalidArgumentError("rule '" + rule.name + "' must ask for 1 to 16 approvals");
    }
    if (rule.max_duration_seconds < 0)
      return InvalidArgumentError("rule '" + rule.name + "' has a negative duration");
  }
  if (fallback == Effect::kAskOwners && (fallback_approvals < 1 || fallback_approvals > 16)) {
    return InvalidArgumentError("the fallback must ask for 1 to 16 approvals");
  }
  if (max_duration_seconds <= 0 || max_duration_seconds > 7 * 86400) {
    return InvalidArgumentError("the longest grant must be between 1 second and 7 days");
  }
  if (business_hours.start_minute >= business_hours.end_minute ||
      business_hours.end_minute > 24 * 60 || business_hours.days > 0x7f) {
    return InvalidArgumentError("business hours must be a window within one day");
  }
  if (time_zone.empty()) return InvalidArgumentError("the policy needs the client's time zone");
  if (breakglass.max_duration_seconds < 0 || breakglass.max_duration_seconds > 7 * 86400)
    return InvalidArgumentError("break-glass access must be limited to at most 7 days");
  if ((breakglass.roles & ~kProviderRoles) != 0)
    return InvalidArgumentError("break-glass roles are provider roles");
  return Status::Ok();
}

std::vector<std::string> Policy::Describe() const {
  auto effect_words = [](Effect effect, int approvals) -> std::string {
    switch (effect) {
      case Effect::kApprove:
        return "approved at once";
      case Effect::kDeny:
        return "refused";
      case Effect::kAskOwners:
        return approvals == 1
                   ? "sent to an owner for approval"
                   : "sent to the owners: " + std::to_string(approvals) + " must approve";
    }
    return "";
  };
  std::vector<std::string> lines;
  lines.push_back("No access is standing: every grant ends by itself, after at most " +
                  FormatDuration(max_duration_seconds) + ".");
  for (const Rule& rule : rules) {
    std::string line = "Requests";
    if (rule.actions != 0) line += " to " + JoinNames(rule.actions, kActionNames, "or");
    if (rule.kinds != 0) line += " on a " + JoinNames(rule.kinds, kKindNames, "or");
    if (rule.labels_any != 0)
      line += " touching " + JoinNames(rule.labels_any, kLabelNames, "or") + " data";
    if (rule.roles != 0) line += " by a " + JoinNames(rule.roles, kRoleNames, "or");
    if (rule.ticket == TicketCondition::kPresent) line += " with a ticket";
    if (rule.ticket == TicketCondition::kAbsent) line += " without a ticket";
    if (rule.hours == HoursCondition::kInsideBusinessHours) line += " during business hours";
    if (rule.hours == HoursCondition::kOutsideBusinessHours) line += " outside business hours";
    if (rule.max_duration_seconds > 0)
      line += " for up to " + FormatDuration(rule.max_duration_seconds);
    line += " are " + effect_words(rule.effect, rule.approvals) + " (" + rule.name + ").";
    lines.push_back(std::move(line));
  }
  lines.push_back("Anything else is " + effect_words(fallback, fallback_approvals) + ".");

  std::string days;
  for (int d = 0; d < 7; ++d) {
    if ((business_hours.days >> d) & 1)
      days += std::string(days.empty() ? "" : ", ") + std::string(kDayNames[d]);
  }
  lines.push_back("Business hours: " + days + ", " + FormatMinute(business_hours.start_minute) +
                  " to " + FormatMinute(business_hours.end_minute) + " (" + time_zone + ").");
  if (!breakglass.allowed) {
    lines.push_back(
        "Break-glass (access at once in an emergency, without approval) is never "
        "allowed.");
  } else {
    std::string line = "Break-glass (access at once in an emergency, without approval) is allowed";
    if (breakglass.roles != 0) line += " to a " + JoinNames(breakglass.roles, kRoleNames, "or");
    if (breakglass.kinds != 0) line += " on a " + JoinNames(breakglass.kinds, kKindNames, "or");
    if (breakglass.labels_never != 0)
      line += ", never to " + JoinNames(breakglass.labels_never, kLabelNames, "or") + " data";
    line += ", for up to " +
            FormatDuration(breakglass.max_duration_seconds > 0 ? breakglass.max_duration_seconds
                                                               : max_duration_seconds) +
            "; an owner reviews every use.";
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string ToJson(const Policy& policy) {
  Json rules = Json::array();
  for (const Rule& rule : policy.rules) {
    rules.push_back({{"name", rule.name},
                     {"labels_any", MaskToJson(rule.labels_any, kLabelNames)},
                     {"kinds", MaskToJson(rule.kinds, kKindNames)},
                     {"actions", MaskToJson(rule.actions, kActionNames)},
                     {"roles", MaskToJson(rule.roles, kRoleNames)},
                     {"ticket", std::string(kTicketNames[static_cast<size_t>(rule.ticket)])},
                     {"hours", std::string(kHoursNames[static_cast<size_t>(rule.hours)])},
                     {"max_duration_seconds", rule.max_duration_seconds},
                     {"effect", std::string(kEffectNames[static_cast<size_t>(rule.effect)])},
                     {"approvals", rule.approvals}});
  }
  Json out = {{"rules", rules},
              {"fallback", std::string(kEffectNames[static_cast<size_t>(policy.fallback)])},
              {"fallback_approvals", policy.fallback_approvals},
              {"max_duration_seconds", policy.max_duration_seconds},
              {"business_hours",
               {{"days", MaskToJson(policy.business_hours.days, kDayNames)},
                {"start_minute", policy.business_hours.start_minute},
                {"end_minute", policy.business_hours.end_minute}}},
              {"time_zone", policy.time_zone}};
  // Written only when not the default, so that policies made before read back as they were signed.
  if (policy.breakglass != BreakglassTerms{}) {
    const BreakglassTerms& terms = policy.breakglass;
    out["breakglass"] = {{"allowed", terms.allowed},
                         {"roles", MaskToJson(terms.roles, kRoleNames)},
                         {"kinds", MaskToJson(terms.kinds, kKindNames)},
                         {"labels_never", MaskToJson(terms.labels_never, kLabelNames)},
                         {"max_duration_seconds", terms.max_duration_seconds}};
  }
  return CanonicalJsonOf(out);
}

namespace {

StatusOr<Rule> RuleFromJson(const JsonObject& value) {
  RETURN_IF_ERROR(value.OnlyFields({"name", "labels_any", "kinds", "actions", "roles", "ticket",
                                    "hours", "max_duration_seconds", "effect", "approvals"}));
  Rule rule;
  ASSIGN_OR_RETURN(rule.name, value.Text("name", Field::kOptional));
  ASSIGN_OR_RETURN(rule.labels_any, MaskOf(value, "labels_any", kLabelNames, "label"));
  ASSIGN_OR_RETURN(rule.kinds, MaskOf(value, "kinds", kKindNames, "resource kind"));
  ASSIGN_OR_RETURN(rule.actions, MaskOf(value, "actions", kActionNames, "action"));
  ASSIGN_OR_RETURN(rule.roles, MaskOf(value, "roles", kRoleNames, "role"));
  if ((rule.roles & ~kProviderRoles) != 0) {
    return InvalidArgumentError("a rule's roles are provider roles");
  }
  ASSIGN_OR_RETURN(const size_t ticket, EnumOf(value, "ticket", kTicketNames, "ticket condition",
                                               static_cast<size_t>(rule.ticket)));
  rule.ticket = static_cast<TicketCondition>(ticket);
  ASSIGN_OR_RETURN(const size_t hours, EnumOf(value, "hours", kHoursNames, "hours condition",
                                              static_cast<size_t>(rule.hours)));
  rule.hours = static_cast<HoursCondition>(hours);
  ASSIGN_OR_RETURN(rule.max_duration_seconds, IntegerOf(value, "max_duration_seconds", 0, 7 * 86400,
                                                        rule.max_duration_seconds));
  ASSIGN_OR_RETURN(const size_t effect, EnumOf(value, "effect", kEffectNames, "effect",
                                               static_cast<size_t>(rule.effect)));
  rule.effect = static_cast<Effect>(effect);
  ASSIGN_OR_RETURN(const int64_t approvals, IntegerOf(value, "approvals", 1, 16, rule.approvals));
  rule.approvals = static_cast<int>(approvals);
  return rule;
}

StatusOr<BreakglassTerms> BreakglassFromJson(const JsonObject& value) {
  RETURN_IF_ERROR(
      value.OnlyFields({"allowed", "roles", "kinds", "labels_never", "max_duration_seconds"}));
  BreakglassTerms terms;
  if (value.Has("allowed")) {
    ASSIGN_OR_RETURN(terms.allowed, value.Boolean("allowed", Field::kRequired));
  }
  ASSIGN_OR_RETURN(terms.roles, MaskOf(value, "roles", kRoleNames, "role"));
  ASSIGN_OR_RETURN(terms.kinds, MaskOf(value, "kinds", kKindNames, "resource kind"));
  ASSIGN_OR_RETURN(terms.labels_never, MaskOf(value, "labels_never", kLabelNames, "label"));
  ASSIGN_OR_RETURN(terms.max_duration_seconds,
                   IntegerOf(value, "max_duration_seconds", 0, 7 * 86400, 0));
  return terms;
}

StatusOr<BusinessHours> BusinessHoursFromJson(const JsonObject& value) {
  RETURN_IF_ERROR(value.OnlyFields({"days", "start_minute", "end_minute"}));
  BusinessHours hours;
  if (value.Has("days")) {
    ASSIGN_OR_RETURN(const uint32_t days, MaskOf(value, "days", kDayNames, "day"));
    hours.days = static_cast<uint8_t>(days);
  }
  ASSIGN_OR_RETURN(const int64_t start,
                   IntegerOf(value, "start_minute", 0, 24 * 60, hours.start_minute));
  ASSIGN_OR_RETURN(const int64_t end, IntegerOf(value, "end_minute", 0, 24 * 60, hours.end_minute));
  hours.start_minute = static_cast<uint16_t>(start);
  hours.end_minute = static_cast<uint16_t>(end);
  return hours;
}

}  // namespace

StatusOr<Policy> PolicyFromJson(std::string_view text) {
  const StatusOr<Json> value = ParseJson(text, "the policy");
  if (!value.ok()) return InvalidArgumentError("policy: malformed JSON");
  if (!value->is_object()) return InvalidArgumentError("policy: must be an object");
  ASSIGN_OR_RETURN(const JsonObject root, JsonObject::Of(*value, "the policy"));
  RETURN_IF_ERROR(
      root.OnlyFields({"rules", "fallback", "fallback_approvals", "max_duration_seconds",
                       "business_hours", "time_zone", "breakglass"}));
  Policy policy;
  ASSIGN_OR_RETURN(const Json* rules, root.Array("rules", Field::kOptional));
  if (rules->size() > 100)
    return InvalidArgumentError("policy: rules must be a list of at most 100");
  ASSIGN_OR_RETURN(const std::vector<JsonObject> rule_objects,
                   root.Objects("rules", Field::kOptional));
  for (const JsonObject& rule_object : rule_objects) {
    ASSIGN_OR_RETURN(Rule rule, RuleFromJson(rule_object));
    policy.rules.push_back(std::move(rule));
  }
  ASSIGN_OR_RETURN(const size_t fallback, EnumOf(root, "fallback", kEffectNames, "effect",
                                                 static_cast<size_t>(policy.fallback)));
  policy.fallback = static_cast<Effect>(fallback);
  ASSIGN_OR_RETURN(const int64_t fallback_approvals,
                   IntegerOf(root, "fallback_approvals", 1, 16, policy.fallback_approvals));
  policy.fallback_approvals = static_cast<int>(fallback_approvals);
  ASSIGN_OR_RETURN(policy.max_duration_seconds, IntegerOf(root, "max_duration_seconds", 1,
                                                          7 * 86400, policy.max_duration_seconds));
  ASSIGN_OR_RETURN(const JsonObject hours, root.Object("business_hours", Field::kOptional));
  ASSIGN_OR_RETURN(policy.business_hours, BusinessHoursFromJson(hours));
  if (root.Has("time_zone")) {
    ASSIGN_OR_RETURN(policy.time_zone, root.Text("time_zone", Field::kRequired));
  }
  ASSIGN_OR_RETURN(const JsonObject breakglass, root.Object("breakglass", Field::kOptional));
  ASSIGN_OR_RETURN(policy.breakglass, BreakglassFromJson(breakglass));
  RETURN_IF_ERROR(policy.Validate());
  return policy;
}

std::string_view LabelName(Label label) {
  const uint32_t bit = static_cast<uint32_t>(label);
  for (size_t i = 0; i < kLabelNames.size(); ++i) {
    if (bit == (1u << i)) return kLabelNames[i];
  }
  return "unknown";
}
namespace {
template <typename Enum, size_t N>
StatusOr<Enum> FromName(std::string_view name, const std::array<std::string_view, N>& names,
                        std::string_view what) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return InvalidArgumentError("unknown " + std::string(what) + " '" + std::string(name) + "'");
}
}  // namespace

StatusOr<ResourceKind> ResourceKindFromName(std::string_view name) {
  return FromName<ResourceKind>(name, kKindNames, "resource kind");
}
StatusOr<Action> ActionFromName(std::string_view name) {
  return FromName<Action>(name, kActionNames, "action");
}
StatusOr<Label> LabelFromName(std::string_view name) {
  for (size_t i = 0; i < kLabelNames.size(); ++i) {
    if (kLabelNames[i] == name) return static_cast<Label>(1u << i);
  }
  return InvalidArgumentError("unknown label '" + std::string(name) + "'");
}

std::string_view KindName(ResourceKind kind) { return kKindNames[static_cast<size_t>(kind)]; }
std::string_view ActionName(Action action) { return kActionNames[static_cast<size_t>(action)]; }

}  // namespace quartet::access

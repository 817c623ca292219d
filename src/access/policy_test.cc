#include "access/policy.h"

#include <limits>

#include <gtest/gtest.h>

#include "access/local_time.h"

namespace quartet::access {
namespace {

AccessContext Routine() {
  AccessContext request;
  request.kind = ResourceKind::kSshHost;
  request.action = Action::kLogin;
  request.role = Role::kTechnician;
  request.has_ticket = true;
  request.duration_seconds = 30 * 60;
  request.weekday = 2;  // Wednesday
  request.minute_of_day = 10 * 60;
  return request;
}

TEST(PolicyTest, SafeDefaultApprovesRoutineWorkOnly) {
  const Policy policy = Policy::SafeDefault("Europe/London");
  ASSERT_TRUE(policy.Validate().ok());
  EXPECT_EQ(Decide(policy, Routine()).effect, Effect::kApprove);

  AccessContext no_ticket = Routine();
  no_ticket.has_ticket = false;
  EXPECT_EQ(Decide(policy, no_ticket).effect, Effect::kAskOwners);

  AccessContext night = Routine();
  night.minute_of_day = 23 * 60;
  EXPECT_EQ(Decide(policy, night).effect, Effect::kAskOwners);

  AccessContext weekend = Routine();
  weekend.weekday = 6;
  EXPECT_EQ(Decide(policy, weekend).effect, Effect::kAskOwners);

  AccessContext long_one = Routine();
  long_one.duration_seconds = 3 * 3600;
  EXPECT_EQ(Decide(policy, long_one).effect, Effect::kAskOwners);

  AccessContext too_long = Routine();
  too_long.duration_seconds = 9 * 3600;
  EXPECT_EQ(Decide(policy, too_long).effect, Effect::kDeny);

  AccessContext no_duration = Routine();
  no_duration.duration_seconds = 0;
  EXPECT_EQ(Decide(policy, no_duration).effect, Effect::kDeny);
}

TEST(PolicyTest, SensitiveDataAlwaysNeedsAnOwnerByDefault) {
  const Policy policy = Policy::SafeDefault("UTC");
  for (Label label : {Label::kEmail, Label::kFinancial, Label::kHr, Label::kPersonal}) {
    AccessContext request = Routine();
    request.labels = static_cast<LabelSet>(label) | static_cast<LabelSet>(Label::kBackups);
    const Verdict verdict = Decide(policy, request);
    EXPECT_EQ(verdict.effect, Effect::kAskOwners) << LabelName(label);
    EXPECT_EQ(verdict.rule_index, 0);
    EXPECT_EQ(verdict.approvals_required, 1);
  }
  AccessContext reveal = Routine();
  reveal.action = Action::kRevealCredential;
  EXPECT_EQ(Decide(policy, reveal).effect, Effect::kAskOwners);
}

TEST(PolicyTest, FirstMatchingRuleDecidesWithItsApprovals) {
  Policy policy = Policy::SafeDefault("UTC");
  Rule finance;
  finance.name = "Finance system needs two owners";
  finance.kinds = Bit(ResourceKind::kFinanceSystem);
  finance.effect = Effect::kAskOwners;
  finance.approvals = 2;
  Rule admins;
  admins.name = "No provider admins on network devices";
  admins.kinds = Bit(ResourceKind::kNetworkDevice);
  admins.roles = Bit(Role::kProviderAdmin);
  admins.effect = Effect::kDeny;
  policy.rules.insert(policy.rules.begin(), {finance, admins});

  AccessContext request = Routine();
  request.kind = ResourceKind::kFinanceSystem;
  Verdict verdict = Decide(policy, request);
  EXPECT_EQ(verdict.effect, Effect::kAskOwners);
  EXPECT_EQ(verdict.approvals_required, 2);
  EXPECT_EQ(verdict.reason, "Finance system needs two owners");

  request.kind = ResourceKind::kNetworkDevice;
  request.role = Role::kProviderAdmin;
  EXPECT_EQ(Decide(policy, request).effect, Effect::kDeny);
  request.role = Role::kTechnician;
  EXPECT_EQ(Decide(policy, request).effect, Effect::kApprove);
}

TEST(PolicyTest, JsonRoundTripsCanonically) {
  Policy policy = Policy::SafeDefault("America/New_York");
  policy.business_hours.days = 0b1111111;
  policy.rules[0].approvals = 2;
  const std::string json = ToJson(policy);
  auto parsed = PolicyFromJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(ToJson(*parsed), json);
  EXPECT_EQ(json.find(' ') != std::string::npos && json.find(": ") != std::string::npos, false);
  EXPECT_EQ(Decide(*parsed, Routine()).effect, Effect::kApprove);
}

TEST(PolicyTest, BreakglassTermsRoundTripAndTheDefaultIsNotWritten) {
  Policy policy = Policy::SafeDefault("Europe/London");
  const std::string plain = ToJson(policy);
  EXPECT_EQ(plain.find("breakglass"), std::string::npos);
  policy.breakglass.allowed = false;
  const std::string never = ToJson(policy);
  EXPECT_NE(never.find(R"("breakglass":{"allowed":false)"), std::string::npos) << never;
  auto back = PolicyFromJson(never);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(back->breakglass.allowed);
  EXPECT_EQ(ToJson(*back), never);
  std::string words;
  for (const std::string& line : back->Describe()) words += line + "\n";
  EXPECT_NE(words.find("Break-glass (access at once in an emergency, without approval) is never"),
            std::string::npos)
      << words;
  EXPECT_FALSE(PolicyFromJson(R"({"breakglass":{"roles":["owner"]}})").ok());
  EXPECT_FALSE(PolicyFromJson(R"({"breakglass":{"allowed":"never"}})").ok());
  EXPECT_FALSE(PolicyFromJson(R"({"breakglass":{"max_duration_seconds":-1}})").ok());
  EXPECT_FALSE(PolicyFromJson(R"({"breakglass":{"when":"always"}})").ok());
}

TEST(PolicyTest, BadPolicyJsonIsRefusedWithAReason) {
  struct Case {
    const char* json;
    const char* reason;
  } cases[] = {
      {"{", "malformed JSON"},
      {"[]", "must be an object"},
      {R"({"rules":[{"name":"a","effect":"maybe"}]})", "unknown effect 'maybe'"},
      {R"({"rules":[{"name":"a","labels_any":["gossip"]}]})", "unknown label 'gossip'"},
      {R"({"rules":[{"name":"a"},{"name":"a"}]})", "two rules are named 'a'"},
      {R"({"rules":[{"name":""}]})", "short name"},
      {R"({"rules":[{"name":"a","approvals":0}]})", "approvals out of range"},
      {R"({"rules":[{"name":"a","approvals":"2"}]})", "approvals must be an integer"},
      {R"({"max_duration_seconds":0})", "max_duration_seconds out of range"},
      {R"({"colour":"red"})", "unknown field 'colour'"},
      {R"({"business_hours":{"start_minute":600,"end_minute":500}})", "within one day"},
  };
  for (const Case& c : cases) {
    auto parsed = PolicyFromJson(c.json);
    ASSERT_FALSE(parsed.ok()) << c.json;
    EXPECT_NE(parsed.status().message().find(c.reason), std::string::npos)
        << c.json << " -> " << parsed.status().message();
  }
}

TEST(PolicyTest, DescribesItselfInPlainWords) {
  const auto lines = Policy::SafeDefault("Europe/London").Describe();
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0], "No access is standing: every grant ends by itself, after at most 8 hours.");
  EXPECT_EQ(
      lines[1],
      "Requests touching email, financial, hr or personal data are sent to an owner for approval "
      "(Email, financial, HR and personal data need an owner).");
  EXPECT_EQ(lines[3],
            "Requests with a ticket during business hours for up to 2 hours are approved at once "
            "(Routine work with a ticket in business hours).");
  EXPECT_EQ(lines[5],
            "Business hours: Monday, Tuesday, Wednesday, Thursday, Friday, 08:00 to 18:00 "
            "(Europe/London).");
  EXPECT_EQ(lines[6],
            "Break-glass (access at once in an emergency, without approval) is allowed, for up to "
            "8 hours; an owner reviews every use.");
}

TEST(LocalTimeTest, FollowsTheClientsTimeZoneAndDaylightSaving) {
  // 2026-07-01 12:00:00 UTC, a Wednesday: 13:00 in London (BST), 08:00 in New York (EDT).
  auto london = ToLocalTime(1782907200, "Europe/London");
  ASSERT_TRUE(london.ok()) << london.status().ToString();
  EXPECT_EQ(london->weekday, 2);
  EXPECT_EQ(london->minute_of_day, 13 * 60);
  auto new_york = ToLocalTime(1782907200, "America/New_York");
  EXPECT_EQ(new_york->minute_of_day, 8 * 60);
  // 2026-01-14 12:00:00 UTC: London is on GMT.
  EXPECT_EQ(ToLocalTime(1768392000, "Europe/London")->minute_of_day, 12 * 60);
  // Just after midnight UTC on a Monday is still Sunday in Los Angeles.
  EXPECT_EQ(ToLocalTime(1782691200 + 60, "America/Los_Angeles")->weekday, 6);
  EXPECT_EQ(ToLocalTime(0, "Mars/Olympus").status().code(), StatusCode::kInvalidArgument);
  // Moments a grant cannot name: the conversion would overflow near the ends of int64.
  EXPECT_TRUE(ToLocalTime(kLatestTime, "Pacific/Kiritimati").ok());
  EXPECT_EQ(ToLocalTime(kLatestTime + 1, "UTC").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ToLocalTime(std::numeric_limits<int64_t>::max(), "Pacific/Kiritimati").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ToLocalTime(-1, "UTC").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace quartet::access

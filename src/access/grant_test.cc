#include "access/grant.h"

#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace quartet::access {
namespace {

constexpr int64_t kNow = 1782907200;  // a Wednesday, 12:00 UTC
const LocalTime kWorkingHours{2, 12 * 60};
const LocalTime kNight{2, 23 * 60};

GrantRequest RoutineRequest() {
  GrantRequest request;
  request.id = "g-1";
  request.client = "harbor-dental";
  request.technician = "ana.ruiz";
  request.resource = "fileserver-01";
  request.kind = ResourceKind::kSshHost;
  request.action = Action::kLogin;
  request.login = "admin";
  request.reason = "Apply security updates";
  request.ticket = "T-4101";
  request.duration_seconds = 1800;
  request.requested_at = kNow;
  return request;
}

nlohmann::json Parse(const std::string& event) { return nlohmann::json::parse(event); }

class GrantTest : public ::testing::Test {
 protected:
  FakeRandom random_{3};
  OwnerSigner owner_ = OwnerSigner::Generate(random_);
  OwnerSigner second_owner_ = OwnerSigner::Generate(random_);
  Policy policy_ = Policy::SafeDefault("UTC");
  std::vector<std::string> events_;

  Grant OpenPending(GrantRequest request = RoutineRequest()) {
    auto grant = Grant::Open(std::move(request), policy_, kNight, events_);
    EXPECT_TRUE(grant.ok()) << grant.status().ToString();
    EXPECT_EQ(grant->state(), GrantState::kPending);
    return std::move(*grant);
  }
  Bytes Sign(const OwnerSigner& signer, OwnerDecision decision, const Grant& grant) {
    return signer.Sign(decision, CanonicalRequest(grant.request()));
  }
};

TEST_F(GrantTest, PolicyApprovalOpensTheWindowAtOnceAndLogsWhy) {
  auto grant = Grant::Open(RoutineRequest(), policy_, kWorkingHours, events_);
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->state(), GrantState::kApproved);
  EXPECT_TRUE(grant->IsLive(kNow));
  EXPECT_TRUE(grant->IsLive(kNow + 1799));
  EXPECT_FALSE(grant->IsLive(kNow + 1800));  // ends by itself
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(Parse(events_[0])["kind"], "grant.requested");
  EXPECT_EQ(Parse(events_[0])["request"], CanonicalRequest(grant->request()));
  EXPECT_EQ(Parse(events_[1])["decision"], "approve");
  EXPECT_EQ(Parse(events_[1])["rule"], "Routine work with a ticket in business hours");
  EXPECT_EQ(Parse(events_[2])["kind"], "grant.activated");
  EXPECT_EQ(Parse(events_[2])["window_end"], kNow + 1800);
  for (const std::string& event : events_) {
    EXPECT_EQ(Parse(event).dump(), event) << "events are canonical JSON";
    EXPECT_EQ(Parse(event)["client"], "harbor-dental");
    EXPECT_EQ(Parse(event)["grant"], "g-1");
  }
}

TEST_F(GrantTest, OwnerSignedApprovalActivatesAPendingRequest) {
  Grant grant = OpenPending();
  events_.clear();
  ASSERT_TRUE(grant
                  .Approve("olivia", owner_.key(), Sign(owner_, OwnerDecision::kApprove, grant),
                           "ok", kNow + 60, events_)
                  .ok());
  EXPECT_EQ(grant.state(), GrantState::kApproved);
  EXPECT_EQ(grant.window_start(), kNow + 60);
  EXPECT_EQ(grant.window_end(), kNow + 60 + 1800);
  ASSERT_EQ(events_.size(), 2u);
  const auto approved = Parse(events_[0]);
  EXPECT_EQ(approved["kind"], "grant.approved");
  EXPECT_EQ(approved["key_id"], owner_.key().Id());
  // The signature is in the entry, so the agent can check it again from the log alone.
  auto signature = Base64Decode(approved["signature"].get<std::string>());
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(VerifyOwnerDecision(owner_.key(), OwnerDecision::kApprove,
                                  CanonicalRequest(grant.request()), *signature)
                  .ok());
}

TEST_F(GrantTest, ForgedReplayedOrMisdirectedSignaturesChangeNothing) {
  Grant grant = OpenPending();
  GrantRequest other_request = RoutineRequest();
  other_request.id = "g-2";
  Grant other = OpenPending(other_request);
  events_.clear();

  // Signed by a key that is not the owner's.
  EXPECT_EQ(grant
                .Approve("olivia", owner_.key(),
                         Sign(second_owner_, OwnerDecision::kApprove, grant), "", kNow, events_)
                .code(),
            StatusCode::kUnauthenticated);
  // The owner's approval of another grant.
  EXPECT_EQ(grant
                .Approve("olivia", owner_.key(), Sign(owner_, OwnerDecision::kApprove, other), "",
                         kNow, events_)
                .code(),
            StatusCode::kUnauthenticated);
  // A denial presented as an approval.
  EXPECT_EQ(grant
                .Approve("olivia", owner_.key(), Sign(owner_, OwnerDecision::kDeny, grant), "",
                         kNow, events_)
                .code(),
            StatusCode::kUnauthenticated);
  // Garbage.
  EXPECT_EQ(grant.Approve("olivia", owner_.key(), Bytes(64, 0), "", kNow, events_).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(grant.Approve("olivia", owner_.key(), Bytes(3, 0), "", kNow, events_).code(),
            StatusCode::kUnauthenticated);
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(grant.state(), GrantState::kPending);

  // A genuine approval, then the same approval replayed.
  Policy two_owners = policy_;
  two_owners.fallback_approvals = 2;
  GrantRequest needs_two = RoutineRequest();
  needs_two.id = "g-3";
  auto pending = Grant::Open(needs_two, two_owners, kNight, events_);
  ASSERT_EQ(pending->approvals_required(), 2);
  const Bytes approval = Sign(owner_, OwnerDecision::kApprove, *pending);
  ASSERT_TRUE(pending->Approve("olivia", owner_.key(), approval, "", kNow, events_).ok());
  EXPECT_EQ(pending->state(), GrantState::kPending);
  EXPECT_EQ(pending->Approve("olivia", owner_.key(), approval, "", kNow, events_).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(pending
                  ->Approve("oscar", second_owner_.key(),
                            Sign(second_owner_, OwnerDecision::kApprove, *pending), "", kNow,
                            events_)
                  .ok());
  EXPECT_EQ(pending->state(), GrantState::kApproved);
}

TEST_F(GrantTest, OwnerDenialIsFinal) {
  Grant grant = OpenPending();
  ASSERT_TRUE(grant
                  .Deny("olivia", owner_.key(), Sign(owner_, OwnerDecision::kDeny, grant),
                        "not today", kNow, events_)
                  .ok());
  EXPECT_EQ(grant.state(), GrantState::kDenied);
  EXPECT_EQ(Parse(events_.back())["kind"], "grant.denied");
  EXPECT_EQ(grant
                .Approve("oscar", second_owner_.key(),
                         Sign(second_owner_, OwnerDecision::kApprove, grant), "", kNow, events_)
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_FALSE(grant.IsLive(kNow));
}

TEST_F(GrantTest, UnansweredRequestsExpireAfterTwelveHours) {
  Grant grant = OpenPending();
  events_.clear();
  grant.ExpireIfStale(kNow + kRequestLifetimeSeconds - 1, events_);
  EXPECT_EQ(grant.state(), GrantState::kPending);
  const Bytes approval = Sign(owner_, OwnerDecision::kApprove, grant);
  EXPECT_EQ(
      grant.Approve("olivia", owner_.key(), approval, "", kNow + kRequestLifetimeSeconds, events_)
          .code(),
      StatusCode::kFailedPrecondition);
  EXPECT_EQ(grant.state(), GrantState::kExpired);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(Parse(events_[0])["kind"], "grant.expired");
}

TEST_F(GrantTest, TechnicianEndsEarlyAndNobodyElseCan) {
  auto grant = Grant::Open(RoutineRequest(), policy_, kWorkingHours, events_);
  EXPECT_EQ(grant->End("ben.okafor", kNow + 10, events_).code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(grant->End("ana.ruiz", kNow + 10, events_).ok());
  EXPECT_EQ(grant->state(), GrantState::kEnded);
  EXPECT_FALSE(grant->IsLive(kNow + 11));
  EXPECT_EQ(grant->window_end(), kNow + 10);
  EXPECT_EQ(grant->End("ana.ruiz", kNow + 20, events_).code(), StatusCode::kFailedPrecondition);
}

TEST_F(GrantTest, RevocationClosesTheDoorAtOnce) {
  auto grant = Grant::Open(RoutineRequest(), policy_, kWorkingHours, events_);
  ASSERT_TRUE(grant->Revoke("olivia", "suspicious activity", kNow + 5, events_).ok());
  EXPECT_FALSE(grant->IsLive(kNow + 5));
  EXPECT_EQ(Parse(events_.back())["reason"], "suspicious activity");
  EXPECT_EQ(grant->Revoke("olivia", "again", kNow + 6, events_).code(),
            StatusCode::kFailedPrecondition);
  Grant pending = OpenPending();
  ASSERT_TRUE(pending.Revoke("provider-admin", "ticket closed", kNow, events_).ok());
  EXPECT_EQ(pending.state(), GrantState::kRevoked);
}

TEST_F(GrantTest, ScheduledStartDelaysTheWindow) {
  GrantRequest request = RoutineRequest();
  request.not_before = kNow + 3600;
  auto grant = Grant::Open(request, policy_, kWorkingHours, events_);
  ASSERT_TRUE(grant.ok());
  EXPECT_FALSE(grant->IsLive(kNow));
  EXPECT_TRUE(grant->IsLive(kNow + 3600));
  EXPECT_FALSE(grant->IsLive(kNow + 3600 + 1800));
  request.not_before = kNow + 8 * 86400;
  EXPECT_EQ(Grant::Open(request, policy_, kWorkingHours, events_).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(GrantTest, BreakGlassIsImmediateAndAwaitsAnOwnersReview) {
  GrantRequest request = RoutineRequest();
  request.breakglass = true;
  request.labels = static_cast<LabelSet>(Label::kEmail);  // policy would ask an owner
  auto grant = Grant::Open(request, policy_, kNight, events_);
  ASSERT_TRUE(grant.ok());
  EXPECT_TRUE(grant->IsLive(kNow));
  EXPECT_TRUE(grant->awaits_review());
  EXPECT_EQ(Parse(events_[1])["decision"], "breakglass");
  EXPECT_EQ(Parse(events_[2])["breakglass"], true);
  ASSERT_TRUE(
      grant->Review("olivia", BreakglassReview::kDisputed, "nobody told me", kNow + 100, events_)
          .ok());
  EXPECT_FALSE(grant->awaits_review());
  EXPECT_EQ(Parse(events_.back())["verdict"], "disputed");
  EXPECT_EQ(grant->Review("olivia", BreakglassReview::kAcknowledged, "", kNow, events_).code(),
            StatusCode::kFailedPrecondition);
  request.duration_seconds = 9 * 3600;
  EXPECT_EQ(Grant::Open(request, policy_, kNight, events_).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_F(GrantTest, BreakGlassOnlyOnThePolicysTerms) {
  GrantRequest request = RoutineRequest();
  request.breakglass = true;
  Policy policy = policy_;
  auto refused = [&](const char* why) {
    events_.clear();
    const Status status = Grant::Open(request, policy, kNight, events_).status();
    EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << why;
    EXPECT_NE(status.message().find(why), std::string::npos) << status.ToString();
    EXPECT_TRUE(events_.empty()) << "nothing is logged for a refused break-glass";
  };
  policy.breakglass.allowed = false;
  refused("never allows break-glass");
  policy.breakglass = {true, Bit(Role::kSeniorTechnician), 0, 0, 0};
  refused("only to a senior-technician");
  request.role = Role::kSeniorTechnician;
  policy.breakglass.kinds = Bit(ResourceKind::kMailbox);
  refused("only on a mailbox");
  policy.breakglass.kinds = 0;
  policy.breakglass.labels_never = static_cast<LabelSet>(Label::kHealth);
  request.labels = static_cast<LabelSet>(Label::kHealth);
  refused("never allows break-glass to health data");
  request.labels = 0;
  policy.breakglass.max_duration_seconds = 900;
  refused("limits break-glass access to 15 min");
  request.duration_seconds = 900;
  EXPECT_TRUE(Grant::Open(request, policy, kNight, events_).ok());
}

TEST_F(GrantTest, MalformedRequestsAreRefusedWithAReason) {
  struct Case {
    void (*mutate)(GrantRequest&);
    const char* reason;
  } cases[] = {
      {[](GrantRequest& r) { r.reason = ""; }, "a reason is required"},
      {[](GrantRequest& r) { r.reason = std::string(1001, 'x'); }, "a reason is required"},
      {[](GrantRequest& r) { r.login = ""; }, "account name"},
      {[](GrantRequest& r) { r.login = "root;rm -rf"; }, "account name"},
      {[](GrantRequest& r) { r.login = "Admin"; }, "account name"},
      {[](GrantRequest& r) { r.duration_seconds = 0; }, "duration"},
      {[](GrantRequest& r) { r.ticket = std::string(101, 't'); }, "ticket"},
      {[](GrantRequest& r) { r.resource = ""; }, "the resource"},
      {[](GrantRequest& r) { r.technician = "a\nb"; }, "the technician"},
      // Regression: a time near the largest int64 overflowed the scheduling check.
      {[](GrantRequest& r) {
         r.requested_at = std::numeric_limits<int64_t>::max() - 10;
         r.not_before = std::numeric_limits<int64_t>::max();
       },
       "out of range"},
      {[](GrantRequest& r) { r.requested_at = -1; }, "out of range"},
      // Regression: text that is not UTF-8 made writing the canonical request throw.
      {[](GrantRequest& r) { r.reason = "caf\xe9"; }, "a reason is required"},
      {[](GrantRequest& r) { r.resource = "\xed\xa0\x80"; }, "the resource"},
  };
  for (const Case& c : cases) {
    GrantRequest request = RoutineRequest();
    c.mutate(request);
    std::vector<std::string> events;
    auto grant = Grant::Open(request, policy_, kWorkingHours, events);
    ASSERT_FALSE(grant.ok()) << c.reason;
    EXPECT_NE(grant.status().message().find(c.reason), std::string::npos)
        << grant.status().message();
    EXPECT_TRUE(events.empty());
  }
}

TEST_F(GrantTest, DecisionsAtImpossibleTimesAreRefused) {
  // Regression: an approval dated near the largest int64 overflowed the end of the window.
  Grant grant = OpenPending();
  const Bytes approval = Sign(owner_, OwnerDecision::kApprove, grant);
  events_.clear();
  EXPECT_EQ(grant
                .Approve("olivia", owner_.key(), approval, "",
                         std::numeric_limits<int64_t>::max() - 10, events_)
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(grant.state(), GrantState::kPending);
  EXPECT_TRUE(events_.empty());
  EXPECT_TRUE(grant.Approve("olivia", owner_.key(), approval, "", kNow + 60, events_).ok());
}

TEST_F(GrantTest, PolicyDenialIsLoggedAndFinal) {
  GrantRequest request = RoutineRequest();
  request.duration_seconds = 9 * 3600;  // beyond the policy's longest grant
  auto grant = Grant::Open(request, policy_, kWorkingHours, events_);
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->state(), GrantState::kDenied);
  EXPECT_EQ(Parse(events_.back())["decision"], "deny");
}

TEST_F(GrantTest, CanonicalRequestsParseBackAndGrantsRestore) {
  GrantRequest request = RoutineRequest();
  request.labels = 9;
  request.not_before = kNow + 60;
  const std::string canonical = CanonicalRequest(request);
  auto parsed = ParseCanonicalRequest(canonical);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(CanonicalRequest(*parsed), canonical);
  EXPECT_FALSE(ParseCanonicalRequest("{\"id\":\"g\"}").ok());
  EXPECT_FALSE(ParseCanonicalRequest(canonical + " ").ok());
  std::string other_action = canonical;
  other_action.replace(other_action.find("\"action\":\"login\""), 16, "\"action\":\"fly\"");
  EXPECT_FALSE(ParseCanonicalRequest(other_action).ok());
  // Every term with the wrong type is refused, naming it.
  std::string wrong_type = canonical;
  wrong_type.replace(wrong_type.find("\"breakglass\":false"), 18, "\"breakglass\":0");
  EXPECT_EQ(ParseCanonicalRequest(wrong_type).status().message(),
            "'breakglass' in the grant request must be true or false");
  std::string too_big = canonical;
  too_big.replace(too_big.find("\"labels\":9"), 10, "\"labels\":18446744073709551615");
  EXPECT_FALSE(ParseCanonicalRequest(too_big).ok());

  Grant pending = OpenPending(request);
  const Bytes approval = Sign(owner_, OwnerDecision::kApprove, pending);
  Grant restored = Grant::Restore(*parsed, pending.progress());
  ASSERT_TRUE(restored.Approve("olivia", owner_.key(), approval, "", kNow + 10, events_).ok());
  EXPECT_TRUE(restored.IsLive(kNow + 60));
}

TEST(OwnerKeyTest, RefusesSmallOrderAndMalformedKeys) {
  EXPECT_FALSE(OwnerKey::FromPublicKey(Bytes(31, 1)).ok());
  Bytes identity(32, 0);
  identity[0] = 1;  // the identity point: small order
  EXPECT_FALSE(OwnerKey::FromPublicKey(identity).ok());
  FakeRandom random(9);
  const OwnerSigner signer = OwnerSigner::Generate(random);
  auto key = OwnerKey::FromPublicKey(signer.key().public_key);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->Id().size(), 16u);
}

}  // namespace
}  // namespace quartet::access

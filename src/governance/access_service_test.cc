#include "governance/access_service.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/temp_directory_testing.h"
#include "identity/totp.h"

namespace quartet::governance {
namespace {

using access::Action;
using access::Label;
using access::OwnerDecision;
using access::OwnerSigner;
using access::ResourceKind;

// Wednesday 2026-07-01 10:00 UTC: business hours.
const auto kStart = std::chrono::system_clock::time_point(std::chrono::seconds(1782900000));

class AccessServiceTest : public ::testing::Test {
 protected:
  TempDirectory temp_{"quartet-governance"};
  void SetUp() override {
    directory_ = temp_.path();
    folder_ = std::move(*store::DataFolder::Open(directory_.string()));
    auto service = AccessService::Open(*folder_, clock_, random_);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = std::move(*service);

    ASSERT_TRUE(service_->sessions().CreateProviderAdmin("pat").ok());
    admin_ = *service_->sessions().FindActor("pat");
    ASSERT_TRUE(service_->directory().CreateClient(admin_, "acme", "Acme Dental", "UTC").ok());
    ASSERT_TRUE(
        service_->directory().CreateClient(admin_, "beta", "Beta Law", "Europe/London").ok());
    ASSERT_TRUE(service_->directory().AddUser(admin_, "ana", Role::kTechnician, "").ok());
    ASSERT_TRUE(service_->directory().AddUser(admin_, "ben", Role::kTechnician, "").ok());
    ASSERT_TRUE(service_->directory().AddUser(admin_, "olivia", Role::kOwner, "acme").ok());
    ASSERT_TRUE(service_->directory().AddUser(admin_, "oscar", Role::kOwner, "beta").ok());
    ASSERT_TRUE(service_->directory().AddUser(admin_, "audrey", Role::kAuditor, "acme").ok());
    ASSERT_TRUE(service_->directory()
                    .AddResource(admin_, "acme", "fileserver", ResourceKind::kSshHost, 0)
                    .ok());
    ASSERT_TRUE(service_->directory()
                    .AddResource(admin_, "acme", "mail", ResourceKind::kMailbox,
                                 static_cast<access::LabelSet>(Label::kEmail))
                    .ok());
    ASSERT_TRUE(service_->directory()
                    .AddResource(admin_, "beta", "fileserver", ResourceKind::kSshHost, 0)
                    .ok());
    ASSERT_TRUE(service_->directory().Relate(admin_, "acme", "ana").ok());
    ASSERT_TRUE(service_->directory().Relate(admin_, "acme", "ben").ok());
    ana_ = *service_->sessions().FindActor("ana");
    ben_ = *service_->sessions().FindActor("ben");
    olivia_ = *service_->sessions().FindActor("olivia");
    oscar_ = *service_->sessions().FindActor("oscar");
    audrey_ = *service_->sessions().FindActor("audrey");
    olivia_key_ = *service_->directory().RegisterOwnerKey(olivia_, olivia_signer_.key().public_key);
    oscar_key_ = *service_->directory().RegisterOwnerKey(oscar_, oscar_signer_.key().public_key);
  }
  void TearDown() override {
    service_.reset();
    folder_.reset();
  }

  AccessRequest Routine(const std::string& client = "acme",
                        const std::string& resource = "fileserver") {
    return {client, resource, Action::kLogin, "admin", "Apply updates", "T-1", 1800, 0, false, ""};
  }
  std::vector<std::string> Kinds(const std::string& client) {
    std::vector<std::string> entries, kinds;
    const uint64_t size = *folder_->logs().EntryCount(client);
    EXPECT_TRUE(folder_->logs().ReadEntries(client, 0, size, entries).ok());
    for (const auto& entry : entries)
      kinds.push_back(nlohmann::json::parse(entry)["kind"].get<std::string>());
    return kinds;
  }
  uint64_t LogSize(const std::string& client) { return *folder_->logs().EntryCount(client); }
  Bytes Sign(const OwnerSigner& signer, OwnerDecision decision, const GrantView& grant) {
    return signer.Sign(decision, access::CanonicalRequest(grant.request));
  }

  std::filesystem::path directory_;
  FakeClock clock_{kStart};
  FakeRandom random_{5};
  std::unique_ptr<store::DataFolder> folder_;
  std::unique_ptr<AccessService> service_;
  Actor admin_, ana_, ben_, olivia_, oscar_, audrey_;
  FakeRandom key_random_{77};
  OwnerSigner olivia_signer_ = OwnerSigner::Generate(key_random_);
  OwnerSigner oscar_signer_ = OwnerSigner::Generate(key_random_);
  std::string olivia_key_, oscar_key_;
};

TEST_F(AccessServiceTest, EveryChangeIsInTheClientsOwnLog) {
  EXPECT_EQ(Kinds("acme"), (std::vector<std::string>{
                               "client.created", "policy.changed", "person.added", "person.added",
                               "resource.added", "resource.added", "relationship.added",
                               "relationship.added", "owner.key_registered"}));
  EXPECT_EQ(Kinds("beta"),
            (std::vector<std::string>{"client.created", "policy.changed", "person.added",
                                      "resource.added", "owner.key_registered"}));
}

TEST_F(AccessServiceTest, RoutineRequestIsApprovedByPolicyAndLogged) {
  auto grant = service_->grants().RequestAccess(ana_, Routine());
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  EXPECT_EQ(grant->progress.state, access::GrantState::kApproved);
  auto kinds = Kinds("acme");
  EXPECT_EQ(std::vector<std::string>(kinds.end() - 3, kinds.end()),
            (std::vector<std::string>{"grant.requested", "grant.decided", "grant.activated"}));
}

TEST_F(AccessServiceTest, OwnerApprovesWithARegisteredKeyAndNobodyElseCan) {
  auto grant = service_->grants().RequestAccess(ana_, Routine("acme", "mail"));
  ASSERT_TRUE(grant.ok());
  ASSERT_EQ(grant->progress.state, access::GrantState::kPending);
  const std::string id = grant->request.id;
  const Bytes approval = Sign(olivia_signer_, OwnerDecision::kApprove, *grant);
  const uint64_t before = LogSize("acme");

  // Nobody on the provider's side can approve, not even with the owner's signature in hand.
  EXPECT_EQ(service_->grants()
                .Decide(ana_, "acme", id, OwnerDecision::kApprove, olivia_key_, approval, "")
                .code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->grants()
                .Decide(admin_, "acme", id, OwnerDecision::kApprove, olivia_key_, approval, "")
                .code(),
            StatusCode::kPermissionDenied);
  // Another client's owner does not even see the grant.
  EXPECT_EQ(service_->grants()
                .Decide(oscar_, "acme", id, OwnerDecision::kApprove, oscar_key_,
                        Sign(oscar_signer_, OwnerDecision::kApprove, *grant), "")
                .code(),
            StatusCode::kNotFound);
  // The owner with someone else's key, or a forged signature.
  EXPECT_EQ(service_->grants()
                .Decide(olivia_, "acme", id, OwnerDecision::kApprove, oscar_key_, approval, "")
                .code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->grants()
                .Decide(olivia_, "acme", id, OwnerDecision::kApprove, olivia_key_, Bytes(64, 1), "")
                .code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(LogSize("acme"), before) << "refused decisions change nothing";
  EXPECT_EQ(service_->grants().GetGrant(olivia_, "acme", id)->progress.state,
            access::GrantState::kPending);

  ASSERT_TRUE(
      service_->grants()
          .Decide(olivia_, "acme", id, OwnerDecision::kApprove, olivia_key_, approval, "fine")
          .ok());
  EXPECT_EQ(service_->grants().GetGrant(olivia_, "acme", id)->progress.state,
            access::GrantState::kApproved);
  EXPECT_EQ(LogSize("acme"), before + 2);  // grant.approved, grant.activated
  // Replaying the same approval changes nothing.
  EXPECT_EQ(service_->grants()
                .Decide(olivia_, "acme", id, OwnerDecision::kApprove, olivia_key_, approval, "")
                .code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(AccessServiceTest, NoRelationshipNoAccess) {
  EXPECT_EQ(service_->grants().RequestAccess(ana_, Routine("beta")).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(service_->grants().RequestAccess(olivia_, Routine()).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->grants().RequestAccess(ana_, Routine("acme", "no-such-host")).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(service_->grants().ListGrants(ana_, "beta").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(service_->policies().GetPolicy(ana_, "beta").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(service_->policies().GetPolicy(olivia_, "beta").status().code(), StatusCode::kNotFound);
}

TEST_F(AccessServiceTest, EachSeesOnlyWhatTheirRoleAllows) {
  auto anas = service_->grants().RequestAccess(ana_, Routine());
  auto bens = service_->grants().RequestAccess(ben_, Routine());
  ASSERT_TRUE(anas.ok() && bens.ok());
  EXPECT_EQ(service_->grants().ListGrants(ana_, "acme")->size(), 1u);
  EXPECT_EQ(service_->grants().ListGrants(ana_, "acme")->front().request.technician, "ana");
  EXPECT_EQ(service_->grants().ListGrants(olivia_, "acme")->size(), 2u);
  EXPECT_EQ(service_->grants().ListGrants(audrey_, "acme")->size(), 2u);
  EXPECT_EQ(service_->grants().ListGrants(admin_, "acme")->size(), 2u);
  EXPECT_EQ(service_->grants().ListGrants(oscar_, "acme").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(service_->grants().GetGrant(ben_, "acme", anas->request.id).status().code(),
            StatusCode::kNotFound);
  // Ending is for the technician who asked; revoking for the client's owners and provider admins.
  EXPECT_EQ(service_->grants().End(ben_, "acme", anas->request.id).code(), StatusCode::kNotFound);
  EXPECT_EQ(service_->grants().Revoke(ben_, "acme", anas->request.id, "").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->grants().Revoke(oscar_, "acme", anas->request.id, "").code(),
            StatusCode::kNotFound);
  EXPECT_EQ(service_->grants().Revoke(audrey_, "acme", anas->request.id, "").code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(service_->grants().End(ana_, "acme", anas->request.id).ok());
  EXPECT_TRUE(service_->grants().Revoke(olivia_, "acme", bens->request.id, "not needed").ok());
}

TEST_F(AccessServiceTest, OnlyTheClientsOwnerChangesItsPolicy) {
  access::Policy policy = access::Policy::SafeDefault("UTC");
  policy.fallback = access::Effect::kDeny;
  EXPECT_EQ(service_->policies().ChangePolicy(admin_, "acme", policy).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->policies().ChangePolicy(ana_, "acme", policy).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->policies().ChangePolicy(oscar_, "acme", policy).code(),
            StatusCode::kPermissionDenied);
  ASSERT_TRUE(service_->policies().ChangePolicy(olivia_, "acme", policy).ok());
  EXPECT_EQ(Kinds("acme").back(), "policy.changed");
  EXPECT_EQ(service_->policies().GetPolicy(olivia_, "acme")->fallback, access::Effect::kDeny);
  policy.time_zone = "Nowhere/Land";
  EXPECT_EQ(service_->policies().ChangePolicy(olivia_, "acme", policy).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(AccessServiceTest, TheProviderProposesAndOnlyTheOwnerAccepts) {
  access::Policy policy = access::Policy::SafeDefault("UTC");
  policy.max_duration_seconds = 4 * 3600;
  EXPECT_EQ(service_->policies().ProposePolicy(olivia_, "acme", policy, "").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->policies().ProposePolicy(ana_, "beta", policy, "").status().code(),
            StatusCode::kNotFound);
  auto proposal =
      service_->policies().ProposePolicy(ana_, "acme", policy, "shorter grants, as agreed");
  ASSERT_TRUE(proposal.ok()) << proposal.status().ToString();
  EXPECT_EQ(Kinds("acme").back(), "policy.proposed");
  EXPECT_EQ(service_->policies().GetPolicy(olivia_, "acme")->max_duration_seconds, 8 * 3600)
      << "not in force until accepted";
  EXPECT_EQ(service_->policies().AcceptProposal(admin_, "acme", *proposal).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->policies().AcceptProposal(ana_, "acme", *proposal).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->policies().AcceptProposal(oscar_, "acme", *proposal).code(),
            StatusCode::kPermissionDenied);
  ASSERT_TRUE(service_->policies().AcceptProposal(olivia_, "acme", *proposal).ok());
  EXPECT_EQ(Kinds("acme").back(), "policy.changed");
  EXPECT_EQ(service_->policies().GetPolicy(olivia_, "acme")->max_duration_seconds, 4 * 3600);
  EXPECT_EQ(service_->policies().AcceptProposal(olivia_, "acme", *proposal).code(),
            StatusCode::kNotFound)
      << "accepted once";
}

TEST_F(AccessServiceTest, TeamsServeTheirClientsThroughTheirMembers) {
  ASSERT_TRUE(service_->directory().AddUser(admin_, "chloe", Role::kTechnician, "").ok());
  const Actor chloe = *service_->sessions().FindActor("chloe");
  EXPECT_EQ(service_->directory().AddTeam(ana_, "night-shift").code(),
            StatusCode::kPermissionDenied);
  ASSERT_TRUE(service_->directory().AddTeam(admin_, "night-shift").ok());
  ASSERT_TRUE(service_->directory().AddTeamMember(admin_, "night-shift", "chloe").ok());
  EXPECT_EQ(service_->grants().RequestAccess(chloe, Routine("beta")).status().code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(service_->directory().RelateTeam(admin_, "beta", "night-shift").ok());
  EXPECT_EQ(Kinds("beta").back(), "team.related");
  EXPECT_TRUE(service_->grants().RequestAccess(chloe, Routine("beta")).ok());
  // A member who joins later is related too, and the client's log says so.
  ASSERT_TRUE(service_->directory().AddTeamMember(admin_, "night-shift", "ana").ok());
  EXPECT_EQ(Kinds("beta").back(), "relationship.added");
  EXPECT_TRUE(service_->grants().RequestAccess(ana_, Routine("beta")).ok());
  EXPECT_EQ(service_->directory().RelateTeam(admin_, "beta", "no-such-team").code(),
            StatusCode::kNotFound);
  // Offboarding reaches the team's clients as well.
  ASSERT_TRUE(service_->directory().Offboard(admin_, "chloe").ok());
  EXPECT_EQ(Kinds("beta").back(), "staff.offboarded");
}

TEST_F(AccessServiceTest, OffboardingRevokesEverythingAtOnce) {
  auto open = service_->grants().RequestAccess(ana_, Routine());
  auto pending = service_->grants().RequestAccess(ana_, Routine("acme", "mail"));
  ASSERT_TRUE(open.ok() && pending.ok());
  EXPECT_EQ(service_->directory().Offboard(ana_, "ben").status().code(),
            StatusCode::kPermissionDenied);
  auto revoked = service_->directory().Offboard(admin_, "ana");
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ(revoked->revoked, 2);
  EXPECT_TRUE(revoked->at_risk.empty());
  EXPECT_EQ(service_->grants().GetGrant(olivia_, "acme", open->request.id)->progress.state,
            access::GrantState::kRevoked);
  EXPECT_EQ(Kinds("acme").back(), "staff.offboarded");
  EXPECT_EQ(service_->sessions().FindActor("ana").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(service_->grants().RequestAccess(ana_, Routine()).status().code(),
            StatusCode::kNotFound);
}

TEST_F(AccessServiceTest, UnansweredRequestsExpire) {
  auto pending = service_->grants().RequestAccess(ana_, Routine("acme", "mail"));
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(*service_->grants().ExpireStale(), 0);
  clock_.Advance(std::chrono::hours(13));
  EXPECT_EQ(*service_->grants().ExpireStale(), 1);
  EXPECT_EQ(service_->grants().GetGrant(olivia_, "acme", pending->request.id)->progress.state,
            access::GrantState::kExpired);
  EXPECT_EQ(Kinds("acme").back(), "grant.expired");
}

TEST_F(AccessServiceTest, BreakGlassOpensAtOnceForAnOwnersReview) {
  AccessRequest request = Routine("acme", "mail");
  request.breakglass = true;
  auto grant = service_->grants().RequestAccess(ana_, request);
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->progress.state, access::GrantState::kApproved);
  EXPECT_TRUE(grant->progress.awaits_review);
  EXPECT_EQ(
      service_->grants()
          .Review(ben_, "acme", grant->request.id, access::BreakglassReview::kAcknowledged, "")
          .code(),
      StatusCode::kPermissionDenied);
  ASSERT_TRUE(
      service_->grants()
          .Review(olivia_, "acme", grant->request.id, access::BreakglassReview::kDisputed, "why?")
          .ok());
  EXPECT_EQ(Kinds("acme").back(), "breakglass.reviewed");
}

TEST_F(AccessServiceTest, TokensAuthenticateUntilExpiryOrOffboarding) {
  auto token = service_->sessions().IssueToken("ana", 3600);
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(token->starts_with("qt_"));
  auto actor = service_->sessions().Authenticate(*token);
  ASSERT_TRUE(actor.ok());
  EXPECT_EQ(actor->user, "ana");
  std::string altered = *token;
  altered.back() = altered.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(service_->sessions().Authenticate(altered).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->sessions().Authenticate("").status().code(), StatusCode::kUnauthenticated);
  clock_.Advance(std::chrono::seconds(3601));
  EXPECT_EQ(service_->sessions().Authenticate(*token).status().code(),
            StatusCode::kUnauthenticated);
  auto fresh = service_->sessions().IssueToken("ana", 3600);
  ASSERT_TRUE(service_->directory().Offboard(admin_, "ana").ok());
  EXPECT_EQ(service_->sessions().Authenticate(*fresh).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->sessions().IssueToken("nobody", 60).status().code(), StatusCode::kNotFound);
}

// The code of the otpauth:// URI `uri`'s secret, now.
std::string CodeOf(const std::string& uri, int64_t now) {
  auto secret = identity::Base32Decode(uri.substr(uri.find("secret=") + 7, 32));
  EXPECT_TRUE(secret.ok()) << uri;
  return identity::TotpCode(*secret, now, identity::TotpParameters{});
}

TEST_F(AccessServiceTest, ThePeopleOfAClientChooseTheirOwnSecretsThroughAnInvitation) {
  Sessions& sessions = service_->sessions();
  // Nobody sets or reads them for her: not the provider's admin, not the data folder's holder.
  EXPECT_EQ(sessions.SetPassword("olivia", "chosen by the provider").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(sessions.EnrolTotp("olivia").status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->directory()
                .Onboard(admin_, "eve", Role::kOwner, "acme", "chosen by the provider")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(sessions.Invite("ana").status().code(), StatusCode::kFailedPrecondition);
  // An invitation serves once, the latest alone, within its week.
  auto first = sessions.Invite("olivia");
  ASSERT_TRUE(first.ok());
  auto second = sessions.Invite("olivia");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(sessions.AcceptInvitation(*first, "correct horse battery").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(sessions.AcceptInvitation(*second, "short").status().code(),
            StatusCode::kInvalidArgument);
  auto accepted = sessions.AcceptInvitation(*second, "correct horse battery");
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  EXPECT_EQ(accepted->user, "olivia");
  EXPECT_EQ(sessions.AcceptInvitation(*second, "another horse battery").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(sessions.Invite("olivia").status().code(), StatusCode::kFailedPrecondition);
  // She signs in with her own password and her own second factor.
  EXPECT_EQ(sessions.SignIn("olivia", "correct horse battery", "", 3600).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_TRUE(sessions
                  .SignIn("olivia", "correct horse battery",
                          CodeOf(accepted->totp_uri, clock_.NowUnixSeconds()), 3600)
                  .ok());
  // And changes them herself.
  auto olivia = *sessions.FindActor("olivia");
  EXPECT_EQ(sessions.ChangeOwnPassword(olivia, "wrong horse battery", "a new horse battery").code(),
            StatusCode::kUnauthenticated);
  ASSERT_TRUE(
      sessions.ChangeOwnPassword(olivia, "correct horse battery", "a new horse battery").ok());
  EXPECT_EQ(sessions.ReenrolOwnTotp(olivia, "correct horse battery").status().code(),
            StatusCode::kUnauthenticated);
  auto reenrolled = sessions.ReenrolOwnTotp(olivia, "a new horse battery");
  ASSERT_TRUE(reenrolled.ok());
  clock_.Advance(std::chrono::seconds(60));
  EXPECT_TRUE(sessions
                  .SignIn("olivia", "a new horse battery",
                          CodeOf(*reenrolled, clock_.NowUnixSeconds()), 3600)
                  .ok());
  // An invitation left unused lapses.
  auto onboarded = service_->directory().Onboard(admin_, "eve", Role::kOwner, "acme", "");
  ASSERT_TRUE(onboarded.ok()) << onboarded.status().ToString();
  EXPECT_TRUE(onboarded->totp_uri.empty());
  clock_.Advance(std::chrono::seconds(kInvitationSeconds + 1));
  EXPECT_EQ(
      sessions.AcceptInvitation(onboarded->invitation, "correct horse battery").status().code(),
      StatusCode::kUnauthenticated);
}

TEST_F(AccessServiceTest, SignInNeedsPasswordAndForStaffASecondFactor) {
  EXPECT_EQ(service_->sessions().SetPassword("ana", "short").code(), StatusCode::kInvalidArgument);
  auto invitation = service_->sessions().Invite("olivia");
  ASSERT_TRUE(invitation.ok());
  auto accepted = service_->sessions().AcceptInvitation(*invitation, "correct horse battery");
  ASSERT_TRUE(accepted.ok());
  ASSERT_TRUE(service_->sessions().SetPassword("ana", "staple battery horse").ok());
  EXPECT_EQ(service_->sessions().SetPassword("nobody", "correct horse battery").code(),
            StatusCode::kNotFound);

  auto owner = service_->sessions().SignIn(
      "olivia", "correct horse battery", CodeOf(accepted->totp_uri, clock_.NowUnixSeconds()), 3600);
  ASSERT_TRUE(owner.ok()) << owner.status().ToString();
  EXPECT_EQ(owner->actor.user, "olivia");
  EXPECT_EQ(service_->sessions().Authenticate(owner->token)->user, "olivia");
  EXPECT_TRUE(service_->sessions().CheckCsrf(owner->token, owner->csrf));
  EXPECT_FALSE(service_->sessions().CheckCsrf(owner->token, owner->csrf + "x"));
  EXPECT_FALSE(service_->sessions().CheckCsrf(owner->token, ""));
  ASSERT_TRUE(service_->sessions().SignOut(owner->token).ok());
  EXPECT_EQ(service_->sessions().Authenticate(owner->token).status().code(),
            StatusCode::kUnauthenticated);

  // The same vague answer for a wrong password and for a user who does not exist.
  EXPECT_EQ(
      service_->sessions().SignIn("olivia", "wrong horse battery", "", 3600).status().message(),
      service_->sessions().SignIn("mallory", "correct horse battery", "", 3600).status().message());

  // Provider staff need TOTP; one without learns nothing of whether the password was right.
  EXPECT_EQ(service_->sessions().SignIn("ana", "staple battery horse", "", 3600).status().message(),
            service_->sessions().SignIn("ana", "wrong battery horse", "", 3600).status().message());
  auto uri = service_->sessions().EnrolTotp("ana");
  ASSERT_TRUE(uri.ok());
  const std::string encoded = uri->substr(uri->find("secret=") + 7, 32);
  auto secret = identity::Base32Decode(encoded);
  ASSERT_TRUE(secret.ok()) << encoded;
  const std::string code =
      identity::TotpCode(*secret, clock_.NowUnixSeconds(), identity::TotpParameters{});
  EXPECT_EQ(
      service_->sessions().SignIn("ana", "staple battery horse", "000000", 3600).status().code(),
      StatusCode::kUnauthenticated);
  auto staff = service_->sessions().SignIn("ana", "staple battery horse", code, 3600);
  ASSERT_TRUE(staff.ok()) << staff.status().ToString();
  // A code works once.
  EXPECT_EQ(service_->sessions().SignIn("ana", "staple battery horse", code, 3600).status().code(),
            StatusCode::kUnauthenticated);
  // Once, too, when the same code is sent by several sign-ins at the same moment.
  clock_.Advance(std::chrono::seconds(30));
  const std::string next =
      identity::TotpCode(*secret, clock_.NowUnixSeconds(), identity::TotpParameters{});
  std::atomic<int> opened{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 4; ++i) {
    racers.emplace_back([&] {
      if (service_->sessions().SignIn("ana", "staple battery horse", next, 3600).ok()) ++opened;
    });
  }
  for (std::thread& racer : racers) racer.join();
  EXPECT_EQ(opened.load(), 1);
  // Offboarding ends the session at once.
  ASSERT_TRUE(service_->directory().Offboard(admin_, "ana").ok());
  EXPECT_EQ(service_->sessions().Authenticate(staff->token).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AccessServiceTest, ConcurrentChangesCommitTogetherAndRefusalsStayAlone) {
  const uint64_t before = LogSize("acme");
  std::atomic<int> approved{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        // Every fifth request names a resource that does not exist: refused, alone.
        const bool bad = (t + i) % 5 == 0;
        auto grant = service_->grants().RequestAccess(
            t % 2 ? ana_ : ben_, Routine("acme", bad ? "no-such-host" : "fileserver"));
        if (grant.ok() && grant->progress.state == access::GrantState::kApproved) ++approved;
        if (!grant.ok() && grant.status().code() == StatusCode::kNotFound) ++refused;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(approved + refused, 200);
  EXPECT_EQ(refused, 40);
  // Three events per approved request (requested, decided, activated), none for the refused.
  EXPECT_EQ(LogSize("acme"), before + 3 * static_cast<uint64_t>(approved.load()));
  Grants::GrantQuery all;
  all.limit = 1000;
  EXPECT_EQ(service_->grants().ListGrants(olivia_, "acme", all)->size(),
            static_cast<size_t>(approved.load()));
}

TEST_F(AccessServiceTest, AChangeThatFailsAfterWritingLeavesNothingAndTheOthersCommit) {
  const uint64_t before = LogSize("acme");
  std::atomic<int> approved{0}, spoiled{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if ((t + i) % 4 == 0) {
          // Writes a row and an event, then fails: the row and the event must go.
          Status status = service_->committer().Commit("acme", [](ChangeScope& scope) -> Status {
            ASSIGN_OR_RETURN(
                auto insert,
                scope.db.Prepare(
                    "INSERT INTO notifications (client, channel, recipient, subject, body, "
                    "next_attempt_at) VALUES ('acme', 'email', 'x@example.com', 'spoiled', '', "
                    "0)"));
            RETURN_IF_ERROR(insert->Run());
            scope.events.push_back(R"({"kind":"spoiled"})");
            return InternalError("failed after writing");
          });
          if (status.code() == StatusCode::kInternal) ++spoiled;
          continue;
        }
        auto grant = service_->grants().RequestAccess(t % 2 ? ana_ : ben_, Routine());
        if (grant.ok() && grant->progress.state == access::GrantState::kApproved) ++approved;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(spoiled, 50);
  EXPECT_EQ(approved, 150);
  EXPECT_EQ(LogSize("acme"), before + 3 * 150);
  Grants::GrantQuery all;
  all.limit = 1000;
  EXPECT_EQ(service_->grants().ListGrants(olivia_, "acme", all)->size(), 150u);
  auto db = store::Database::Open((directory_ / "quartet.db").string());
  ASSERT_TRUE(db.ok());
  auto count = (*db)->Prepare("SELECT count(*) FROM notifications WHERE subject = 'spoiled'");
  ASSERT_TRUE(count.ok() && *(*count)->Step());
  EXPECT_EQ((*count)->ColumnInt(0), 0);
}

TEST_F(AccessServiceTest, GrantListsPageNewestFirstAndFilterByState) {
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i) {
    clock_.Advance(std::chrono::seconds(
        i % 3 == 0 ? 0 : 1));  // some share a second: the cursor breaks ties by id
    auto grant =
        service_->grants().RequestAccess(ana_, Routine("acme", i % 5 == 0 ? "mail" : "fileserver"));
    ASSERT_TRUE(grant.ok());
    ids.push_back(grant->request.id);
  }
  Grants::GrantQuery page;
  page.limit = 7;
  std::vector<std::string> seen;
  for (;;) {
    auto grants = service_->grants().ListGrants(olivia_, "acme", page);
    ASSERT_TRUE(grants.ok());
    for (const auto& grant : *grants) seen.push_back(grant.request.id);
    if (grants->size() < 7u) break;
    page.before_time = grants->back().request.requested_at;
    page.before_id = grants->back().request.id;
  }
  EXPECT_EQ(seen.size(), 25u);
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), 25u) << "no grant twice, none skipped";
  Grants::GrantQuery pending;
  pending.state = "pending";
  EXPECT_EQ(service_->grants().ListGrants(olivia_, "acme", pending)->size(), 5u);
  pending.state = "sleeping";
  EXPECT_EQ(service_->grants().ListGrants(olivia_, "acme", pending).status().code(),
            StatusCode::kInvalidArgument);
  // The oldest grant is still found directly, whatever the page size.
  EXPECT_TRUE(service_->grants().GetGrant(olivia_, "acme", ids.front()).ok());
  EXPECT_EQ(service_->grants().GetGrant(ben_, "acme", ids.front()).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(service_->grants().GetGrant(oscar_, "acme", ids.front()).status().code(),
            StatusCode::kNotFound);
}

TEST_F(AccessServiceTest, AdministrationIsForProviderAdmins) {
  EXPECT_EQ(service_->directory().CreateClient(ana_, "gamma", "Gamma", "UTC").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->directory().AddUser(olivia_, "eve", Role::kOwner, "acme").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->directory().AddResource(ana_, "acme", "x", ResourceKind::kBackup, 0).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->directory().Relate(olivia_, "beta", "ana").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->directory().AddUser(admin_, "eve", Role::kOwner, "").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->directory().AddUser(admin_, "ana", Role::kTechnician, "").code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(service_->directory().CreateClient(admin_, "gamma", "Gamma", "Not/AZone").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      service_->directory().RegisterOwnerKey(ana_, olivia_signer_.key().public_key).status().code(),
      StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace quartet::governance

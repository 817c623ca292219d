#include "agent/replica.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "access/approval.h"
#include "access/grant_testing.h"
#include "access/local_time.h"
#include "base/random.h"
#include "trust/chain.h"

namespace quartet::agent {
namespace {

using Json = nlohmann::json;

constexpr int64_t kMondayTen = access::kTestMondayTen;  // inside business hours
// The agent's own keys, as the chain names them (the replica compares them, nothing more).
constexpr const char* kWitnessKey = "acme-agent+0a0b0c0d+BASE64-OF-ITS-KEY";
constexpr const char* kCaKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAGENTSOWNCAKEY";

std::string Event(std::string_view kind, int64_t at, Json fields) {
  fields["kind"] = std::string(kind);
  fields["client"] = "acme";
  fields["at"] = at;
  return fields.dump();
}

// A log as the server writes it, built with the same state machine, and the replica reading it.
class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    policy_ = access::Policy::SafeDefault("UTC");
    Log(Event("client.created", 1, {{"name", "Acme"}, {"time_zone", "UTC"}, {"by", "admin"}}));
    Log(Event("policy.changed", 1, {{"policy", access::ToJson(policy_)}, {"by", "admin"}}));
    Log(Event("person.added", 2, {{"user", "olivia"}, {"role", "owner"}, {"by", "admin"}}));
    Log(Event("relationship.added", 2, {{"technician", "tom"}, {"by", "admin"}}));
    Log(Event("owner.key_registered", 3,
              {{"owner", "olivia"},
               {"key_id", owner_.key().Id()},
               {"public_key", Base64Encode(owner_.key().public_key)}}));
    Log(Event(
        "resource.added", 4,
        {{"resource", "web-1"}, {"resource_kind", "ssh-host"}, {"labels", 0}, {"by", "admin"}}));
    Log(Event(
        "resource.added", 4,
        {{"resource", "mail"}, {"resource_kind", "ssh-host"}, {"labels", 1}, {"by", "admin"}}));
  }

  void Log(const std::string& entry) {
    logged_.push_back(entry);
    replica_.Apply(index_++, entry);
  }
  void Log(const std::vector<std::string>& entries) {
    for (const std::string& entry : entries) Log(entry);
  }

  // Opens a grant as the server does and logs its events.
  access::Grant Open(const access::GrantRequest& request) {
    std::vector<std::string> events;
    auto grant = access::Grant::Open(request, policy_,
                                     *access::ToLocalTime(request.requested_at, "UTC"), events);
    EXPECT_TRUE(grant.ok());
    Log(events);
    return *grant;
  }

  std::string Violations() {
    std::string all;
    for (const std::string& violation : replica_.TakeViolations()) all += violation + "\n";
    return all;
  }

  bool Live(const std::string& id, int64_t now) {
    const GrantRecord* record = replica_.FindGrant(id);
    return record != nullptr && record->tainted.empty() && record->grant.IsLive(now);
  }

  FakeRandom random_{7};
  access::OwnerSigner owner_ = access::OwnerSigner::Generate(random_);
  access::Policy policy_;
  Replica replica_{"acme", "", {kWitnessKey, kCaKey, ""}};
  std::vector<std::string> logged_;  // every entry Log gave the replica
  uint64_t index_ = 0;
};

TEST_F(ReplicaTest, GrantApprovedByPolicyIsLiveInItsWindow) {
  Open(access::TestRequest("g1", "web-1", 0));
  EXPECT_TRUE(Live("g1", kMondayTen + 10));
  EXPECT_FALSE(Live("g1", kMondayTen + 3600));
  EXPECT_EQ(Violations(), "");
}

TEST_F(ReplicaTest, OwnerSignedApprovalOpensASensitiveGrant) {
  access::Grant grant = Open(access::TestRequest("g2", "mail", 1));
  EXPECT_FALSE(Live("g2", kMondayTen + 10));
  std::vector<std::string> events;
  const Bytes signature =
      owner_.Sign(access::OwnerDecision::kApprove, access::CanonicalRequest(grant.request()));
  ASSERT_TRUE(grant.Approve("olivia", owner_.key(), signature, "ok", kMondayTen + 60, events).ok());
  Log(events);
  EXPECT_TRUE(Live("g2", kMondayTen + 120));
  EXPECT_EQ(Violations(), "");
}

TEST_F(ReplicaTest, ForgedOwnerApprovalTaintsTheGrant) {
  access::Grant grant = Open(access::TestRequest("g3", "mail", 1));
  // The server writes an approval with a signature the owner never made (here: over another
  // request).
  FakeRandom other_random(99);
  const access::OwnerSigner impostor = access::OwnerSigner::Generate(other_random);
  const Bytes forged =
      impostor.Sign(access::OwnerDecision::kApprove, access::CanonicalRequest(grant.request()));
  Log(Event("grant.approved", kMondayTen + 60,
            {{"grant", "g3"},
             {"owner", "olivia"},
             {"key_id", owner_.key().Id()},
             {"signature", Base64Encode(forged)},
             {"comment", ""}}));
  Log(Event("grant.activated", kMondayTen + 60,
            {{"grant", "g3"},
             {"window_start", kMondayTen + 60},
             {"window_end", kMondayTen + 3660},
             {"breakglass", false}}));
  EXPECT_FALSE(Live("g3", kMondayTen + 120));
  ASSERT_NE(replica_.FindGrant("g3"), nullptr);
  EXPECT_NE(replica_.FindGrant("g3")->tainted.find("refused"), std::string::npos)
      << replica_.FindGrant("g3")->tainted;
  EXPECT_FALSE(replica_.TakeViolations().empty());
}

TEST_F(ReplicaTest, ApprovalWithAnUnregisteredKeyTaintsTheGrant) {
  access::Grant grant = Open(access::TestRequest("g4", "mail", 1));
  FakeRandom other_random(5);
  const access::OwnerSigner unregistered = access::OwnerSigner::Generate(other_random);
  const Bytes signature =
      unregistered.Sign(access::OwnerDecision::kApprove, access::CanonicalRequest(grant.request()));
  std::vector<std::string> events;
  ASSERT_TRUE(
      grant.Approve("olivia", unregistered.key(), signature, "", kMondayTen + 60, events).ok());
  Log(events);
  EXPECT_FALSE(Live("g4", kMondayTen + 120));
  EXPECT_NE(replica_.FindGrant("g4")->tainted.find("never registered"), std::string::npos);
}

TEST_F(ReplicaTest, DecisionThePolicyDidNotMakeTaintsTheGrant) {
  // The server claims the policy approved access to a mailbox at once; the safe default asks an
  // owner.
  access::GrantRequest request = access::TestRequest("g5", "mail", 1);
  Log(Event("grant.requested", kMondayTen,
            {{"grant", "g5"}, {"request", access::CanonicalRequest(request)}}));
  Log(Event("grant.decided", kMondayTen,
            {{"grant", "g5"},
             {"decision", "approve"},
             {"rule", "Routine work with a ticket in business hours"},
             {"approvals_required", 0}}));
  Log(Event("grant.activated", kMondayTen,
            {{"grant", "g5"},
             {"window_start", kMondayTen},
             {"window_end", kMondayTen + 3600},
             {"breakglass", false}}));
  EXPECT_FALSE(Live("g5", kMondayTen + 10));
  EXPECT_NE(replica_.FindGrant("g5")->tainted.find("not what the policy decided"),
            std::string::npos);
}

TEST_F(ReplicaTest, MisstatedResourceLabelsTaintTheGrant) {
  // The request says the mailbox carries no sensitive label, to slip past the owner.
  access::GrantRequest request = access::TestRequest("g6", "mail", 0);
  std::vector<std::string> events;
  ASSERT_TRUE(
      access::Grant::Open(request, policy_, *access::ToLocalTime(kMondayTen, "UTC"), events).ok());
  Log(events);
  EXPECT_FALSE(Live("g6", kMondayTen + 10));
  EXPECT_NE(replica_.FindGrant("g6")->tainted.find("kind or labels"), std::string::npos);
}

TEST_F(ReplicaTest, EndedAndRevokedGrantsCloseAtOnce) {
  access::Grant ended = Open(access::TestRequest("g7", "web-1", 0));
  access::Grant revoked = Open(access::TestRequest("g8", "web-1", 0));
  std::vector<std::string> events;
  ASSERT_TRUE(ended.End("tom", kMondayTen + 100, events).ok());
  ASSERT_TRUE(revoked.Revoke("olivia", "done", kMondayTen + 100, events).ok());
  Log(events);
  EXPECT_FALSE(Live("g7", kMondayTen + 101));
  EXPECT_FALSE(Live("g8", kMondayTen + 101));
  EXPECT_EQ(Violations(), "");
}

TEST_F(ReplicaTest, EventOfAGrantNeverRequestedIsAViolation) {
  Log(Event("grant.activated", kMondayTen,
            {{"grant", "ghost"},
             {"window_start", kMondayTen},
             {"window_end", kMondayTen + 3600},
             {"breakglass", false}}));
  EXPECT_EQ(replica_.FindGrant("ghost"), nullptr);
  EXPECT_EQ(replica_.TakeViolations().size(), 1u);
}

TEST_F(ReplicaTest, PolicyChangeNotByAnOwnerIsIgnored) {
  access::Policy open_door = policy_;
  open_door.rules.clear();
  open_door.fallback = access::Effect::kApprove;
  Log(Event("policy.changed", 10,
            {{"policy", access::ToJson(open_door)}, {"by", "provider-admin"}}));
  EXPECT_EQ(replica_.TakeViolations().size(), 1u);
  // Still the safe default: the mailbox needs an owner.
  Open(access::TestRequest("g9", "mail", 1));
  EXPECT_FALSE(Live("g9", kMondayTen + 10));
  EXPECT_TRUE(replica_.FindGrant("g9")->tainted.empty());
}

TEST_F(ReplicaTest, StoredAndRestoredReplicaDecidesTheSame) {
  access::Grant grant = Open(access::TestRequest("g10", "mail", 1));
  Replica restored("acme");
  ASSERT_TRUE(restored.LoadContext(replica_.ContextJson()).ok());
  ASSERT_TRUE(restored.LoadGrant(Replica::GrantJson(*replica_.FindGrant("g10"))).ok());
  std::vector<std::string> events;
  const Bytes signature =
      owner_.Sign(access::OwnerDecision::kApprove, access::CanonicalRequest(grant.request()));
  ASSERT_TRUE(grant.Approve("olivia", owner_.key(), signature, "", kMondayTen + 60, events).ok());
  for (const std::string& entry : events) restored.Apply(100, entry);
  const GrantRecord* record = restored.FindGrant("g10");
  ASSERT_NE(record, nullptr);
  EXPECT_TRUE(record->tainted.empty()) << record->tainted;
  EXPECT_TRUE(record->grant.IsLive(kMondayTen + 120));
}

TEST_F(ReplicaTest, FieldsOfTheWrongTypeAreViolationsNotSilentDefaults) {
  // Labels that are not a number once read as 0, "not sensitive": now the resource is not added.
  Log(Event("resource.added", 5,
            {{"resource", "hr-share"}, {"resource_kind", "file-share"}, {"labels", "4"}}));
  Log(Event("person.added", 5, {{"user", 7}, {"role", "owner"}}));
  Log(Event("policy.changed", 5, {{"policy", {{"rules", Json::array()}}}, {"by", "olivia"}}));
  const std::string violations = Violations();
  EXPECT_NE(violations.find("entry 7: 'labels' in the event must be an integer"), std::string::npos)
      << violations;
  EXPECT_NE(violations.find("entry 8: 'user' in the event must be text"), std::string::npos);
  EXPECT_NE(violations.find("entry 9: 'policy' in the event must be text"), std::string::npos);
  // The mailbox still needs an owner: the safe default stayed in force.
  Open(access::TestRequest("g11", "mail", 1));
  EXPECT_FALSE(Live("g11", kMondayTen + 10));
}

TEST_F(ReplicaTest, AMalformedChangeOfAGrantTaintsIt) {
  access::Grant grant = Open(access::TestRequest("g12", "mail", 1));
  Log(Event("grant.approved", kMondayTen + 60,
            {{"grant", "g12"}, {"owner", "olivia"}, {"key_id", {1, 2}}, {"signature", ""}}));
  const GrantRecord* record = replica_.FindGrant("g12");
  ASSERT_NE(record, nullptr);
  EXPECT_NE(record->tainted.find("'key_id' in the event must be text"), std::string::npos)
      << record->tainted;
  EXPECT_FALSE(Live("g12", kMondayTen + 120));
}

TEST_F(ReplicaTest, OnlyStaffWhoServeTheClientAndWereNotOffboardedGetGrants) {
  access::GrantRequest stranger = access::TestRequest("g20", "web-1", 0);
  stranger.technician = "eve";
  Open(stranger);
  EXPECT_FALSE(Live("g20", kMondayTen + 10));
  EXPECT_NE(replica_.FindGrant("g20")->tainted.find("does not serve"), std::string::npos);
  // Through a team, and then gone.
  Log(Event("team.related", 5, {{"team", "night"}, {"members", {"eve"}}, {"by", "admin"}}));
  stranger.id = "g21";
  Open(stranger);
  EXPECT_TRUE(Live("g21", kMondayTen + 10));
  Log(Event("staff.offboarded", 6, {{"user", "eve"}, {"by", "admin"}}));
  stranger.id = "g22";
  Open(stranger);
  EXPECT_NE(replica_.FindGrant("g22")->tainted.find("offboarded"), std::string::npos);
  // Kept across a restart.
  Replica reloaded("acme");
  ASSERT_TRUE(reloaded.LoadContext(replica_.ContextJson()).ok());
  EXPECT_EQ(reloaded.ContextJson(), replica_.ContextJson());
}

std::string Stored(uint64_t version, const std::string& commitment, bool exclusive = false,
                   const std::string& rotate = "") {
  return Event("credential.stored", 20,
               {{"resource", "web-1"},
                {"name", "root"},
                {"version", version},
                {"username", "root"},
                {"exclusive", exclusive},
                {"rotate", rotate},
                {"commitment", commitment},
                {"sealed_to", "x25519:..."},
                {"by", "olivia"}});
}

std::string Revealed(const std::string& grant, uint64_t version) {
  return Event("credential.revealed", kMondayTen + 30,
               {{"grant", grant},
                {"request", "r1"},
                {"technician", "tom"},
                {"resource", "web-1"},
                {"name", "root"},
                {"version", version}});
}

std::string Rotated(uint64_t version, const std::string& commitment) {
  return Event("credential.rotated", kMondayTen + 4000,
               {{"resource", "web-1"},
                {"name", "root"},
                {"version", version},
                {"commitment", commitment},
                {"grant", "g20"}});
}

TEST_F(ReplicaTest, CredentialsFollowTheirVersionsAndTheirHolders) {
  Log(Stored(1, "c1", true, "ssh://root@127.0.0.1:22"));
  Log(Stored(3, "c3"));  // skips a version: not taken
  EXPECT_NE(Violations(), "");
  const CredentialRecord* record = replica_.FindCredential("web-1", "root");
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->version, 1u);
  EXPECT_EQ(record->commitment, "c1");
  EXPECT_TRUE(record->exclusive);
  EXPECT_TRUE(record->held_by.empty());

  access::Grant grant = Open(access::TestRequest("g20", "web-1", 0));
  Log(Revealed("g20", 1));
  EXPECT_EQ(record->held_by, "g20");
  EXPECT_EQ(record->holder, "tom");
  // Live: nothing to rotate yet. Once the grant is over, the credential is due.
  EXPECT_TRUE(replica_.RotationsDue(kMondayTen + 60).empty());
  std::vector<std::string> events;
  ASSERT_TRUE(grant.End("tom", kMondayTen + 100, events).ok());
  Log(events);
  ASSERT_EQ(replica_.RotationsDue(kMondayTen + 101).size(), 1u);
  EXPECT_EQ(replica_.RotationsDue(kMondayTen + 101)[0],
            (std::pair<std::string, std::string>("web-1", "root")));

  // A reveal of a version the log does not hold is a breach and holds nothing.
  Log(Revealed("g21", 2));
  EXPECT_NE(Violations(), "");
  EXPECT_EQ(record->held_by, "g20");

  // The server says it was rotated: the agent did not make that rotation, so it is still due.
  Log(Rotated(2, "c2-forged"));
  EXPECT_NE(Violations().find("did not make"), std::string::npos);
  EXPECT_EQ(record->version, 1u);
  EXPECT_EQ(replica_.RotationsDue(kMondayTen + 101).size(), 1u);

  // The agent's own rotation frees it, and survives a restart in between.
  replica_.ExpectRotation("web-1", "root", 2, "c2");
  EXPECT_TRUE(replica_.RotationsDue(kMondayTen + 101).empty());
  Replica restored("acme", "", {kWitnessKey, kCaKey, ""});
  ASSERT_TRUE(restored.LoadContext(replica_.ContextJson()).ok());
  ASSERT_TRUE(restored.LoadGrant(Replica::GrantJson(*replica_.FindGrant("g20"))).ok());
  EXPECT_TRUE(restored.RotationsDue(kMondayTen + 101).empty());
  EXPECT_EQ(restored.FindCredential("web-1", "root")->held_by, "g20");
  restored.Apply(100, Rotated(2, "c2"));
  EXPECT_EQ(restored.TakeViolations(), std::vector<std::string>{});
  const CredentialRecord* rotated = restored.FindCredential("web-1", "root");
  ASSERT_NE(rotated, nullptr);
  EXPECT_EQ(rotated->version, 2u);
  EXPECT_EQ(rotated->commitment, "c2");
  EXPECT_TRUE(rotated->held_by.empty());
  EXPECT_TRUE(restored.RotationsDue(kMondayTen + 101).empty());
  EXPECT_EQ(restored.ContextJson().find("expected_rotations"), std::string::npos);
}

TEST_F(ReplicaTest, ACredentialStoredAgainByPeopleIsNoLongerHeld) {
  Log(Stored(1, "c1", true));
  Open(access::TestRequest("g22", "web-1", 0));
  Log(Revealed("g22", 1));
  // Without a target nothing rotates it: it stays held until someone stores a new version.
  EXPECT_TRUE(replica_.RotationsDue(kMondayTen + 100000).empty());
  EXPECT_EQ(replica_.FindCredential("web-1", "root")->held_by, "g22");
  Log(Stored(2, "c2", true));
  EXPECT_EQ(Violations(), "");
  EXPECT_TRUE(replica_.FindCredential("web-1", "root")->held_by.empty());
}

TEST_F(ReplicaTest, ALeaversRevealIsDueAtOnce) {
  Log(Stored(1, "c1", false, "ldap://127.0.0.1:389/uid=root,dc=acme"));
  Open(access::TestRequest("g25", "web-1", 0));
  Log(Revealed("g25", 1));
  EXPECT_TRUE(replica_.RotationsDue(kMondayTen + 60).empty());
  // Offboarded while the grant is live (a server that did not revoke it changes nothing).
  Log(Event("staff.offboarded", kMondayTen + 61, {{"user", "tom"}, {"by", "admin"}}));
  EXPECT_EQ(replica_.RotationsDue(kMondayTen + 62).size(), 1u);
}

TEST_F(ReplicaTest, TheContextRevisionMovesWithTheContextAndNotWithGrants) {
  const uint64_t before = replica_.context_revision();
  Open(access::TestRequest("g26", "web-1", 0));
  Log("not json");
  EXPECT_EQ(replica_.context_revision(), before);
  Log(Event("relationship.added", 7, {{"technician", "tim"}, {"by", "admin"}}));
  EXPECT_GT(replica_.context_revision(), before);
}

TEST_F(ReplicaTest, AnAgentsOwnRevealHoldsBeforeTheLogShowsIt) {
  Log(Stored(1, "c1", true));
  replica_.NoteReveal("web-1", "root", "g23", "tom", 1);
  EXPECT_EQ(replica_.FindCredential("web-1", "root")->held_by, "g23");
  replica_.NoteReveal("web-1", "root", "g24", "tom", 7);  // not the version held: ignored
  EXPECT_EQ(replica_.FindCredential("web-1", "root")->held_by, "g23");
}

TEST_F(ReplicaTest, MalformedStoredStateIsDataLoss) {
  Replica restored("acme");
  for (const char* context :
       {"", "[]", R"({"owners":"olivia","owner_keys":{},"resources":{}})",
        R"({"owners":[],"owner_keys":{"olivia":{"k":"!"}},"resources":{}})",
        R"({"owners":[],"owner_keys":{},"resources":{"x":{"kind":"ssh-host"}}})"}) {
    EXPECT_EQ(restored.LoadContext(context).code(), StatusCode::kDataLoss) << context;
  }
  for (const char* grant : {"{", R"({"request":1})",
                            R"({"request":"{}","progress":"{}","expected":[],"tainted":""})"}) {
    EXPECT_EQ(restored.LoadGrant(grant).code(), StatusCode::kDataLoss) << grant;
  }
}

// The client's trust chain: once it exists, the owners, their keys and the policy are the chain's.
class ChainedReplicaTest : public ReplicaTest {
 protected:
  void SetUp() override {
    ReplicaTest::SetUp();
    // The founding owner's own device starts the chain (not the key the server registered).
    Sign("genesis", {{"owner", "olivia"},
                     {"device", trust::DeviceJson(device_.key(), "laptop")},
                     {"recovery_key", Base64Encode(recovery_.key().public_key)}});
    Sign("resource.signed",
         {{"resource", "web-1"}, {"resource_kind", "ssh-host"}, {"labels", Json::array()}});
    Sign("resource.signed",
         {{"resource", "mail"}, {"resource_kind", "ssh-host"}, {"labels", {"email"}}});
  }
  // Logs the next statement of the chain, signed by `signer`.
  void Sign(std::string_view kind, Json fields) {
    const std::string statement = trust::SignStatement(
        chain_.NextBody(kind, std::move(fields), kMondayTen), std::vector{device_});
    ASSERT_TRUE(chain_.Apply(statement).ok());
    Log(Event("trust.statement", 5,
              {{"seq", chain_.state().size - 1}, {"statement", statement}, {"by", "olivia"}}));
  }
  access::Grant Approve(access::Grant grant, const access::OwnerSigner& signer) {
    std::vector<std::string> events;
    const Bytes signature =
        signer.Sign(access::OwnerDecision::kApprove, access::CanonicalRequest(grant.request()));
    EXPECT_TRUE(
        grant.Approve("olivia", signer.key(), signature, "ok", kMondayTen + 60, events).ok());
    Log(events);
    return grant;
  }

  access::OwnerSigner device_ = access::OwnerSigner::Generate(random_);
  access::OwnerSigner recovery_ = access::OwnerSigner::Generate(random_);
  trust::Chain chain_{"acme"};
};

TEST_F(ChainedReplicaTest, OnlyTheChainsDevicesApprove) {
  EXPECT_EQ(Violations(), "");
  // The key the server registered for olivia is not in her chain: its approval opens nothing.
  Approve(Open(access::TestRequest("g1", "mail", 1)), owner_);
  EXPECT_FALSE(Live("g1", kMondayTen + 120));
  EXPECT_NE(replica_.FindGrant("g1")->tainted.find("trust chain"), std::string::npos)
      << replica_.FindGrant("g1")->tainted;
  // Her own device's does.
  Approve(Open(access::TestRequest("g2", "mail", 1)), device_);
  EXPECT_TRUE(Live("g2", kMondayTen + 120));
}

TEST_F(ChainedReplicaTest, OwnersAndKeysTheServerAddsCountForNothing) {
  FakeRandom server_random(42);
  const access::OwnerSigner server_key = access::OwnerSigner::Generate(server_random);
  Log(Event("person.added", 6, {{"user", "mallory"}, {"role", "owner"}, {"by", "admin"}}));
  Log(Event("owner.key_registered", 7,
            {{"owner", "mallory"},
             {"key_id", server_key.key().Id()},
             {"public_key", Base64Encode(server_key.key().public_key)}}));
  access::Grant grant = Open(access::TestRequest("g3", "mail", 1));
  std::vector<std::string> events;
  const Bytes signature =
      server_key.Sign(access::OwnerDecision::kApprove, access::CanonicalRequest(grant.request()));
  ASSERT_TRUE(
      grant.Approve("mallory", server_key.key(), signature, "", kMondayTen + 60, events).ok());
  Log(events);
  EXPECT_FALSE(Live("g3", kMondayTen + 120));
  EXPECT_NE(replica_.FindGrant("g3")->tainted.find("no owner"), std::string::npos);
}

TEST_F(ChainedReplicaTest, APolicyTheOwnersDidNotSignIsIgnored) {
  access::Policy open_door = access::Policy::SafeDefault("UTC");
  open_door.rules.clear();
  open_door.fallback = access::Effect::kApprove;
  Log(Event("policy.changed", 6, {{"policy", access::ToJson(open_door)}, {"by", "olivia"}}));
  EXPECT_NE(Violations().find("did not sign"), std::string::npos);
  // The server, deciding by the unsigned policy, approves a sensitive request at once: the agent,
  // still on the policy in force, does not.
  std::vector<std::string> events;
  const access::GrantRequest request = access::TestRequest("g4", "mail", 1);
  ASSERT_TRUE(access::Grant::Open(request, open_door,
                                  *access::ToLocalTime(request.requested_at, "UTC"), events)
                  .ok());
  Log(events);
  EXPECT_FALSE(Live("g4", kMondayTen + 10));
  // A policy the owners sign is in force.
  Sign("policy.signed", {{"policy", access::ToJson(open_door)}});
  policy_ = open_door;
  Open(access::TestRequest("g5", "mail", 1));
  EXPECT_TRUE(Live("g5", kMondayTen + 10));
}

TEST_F(ChainedReplicaTest, AStatementTheChainRefusesChangesNothingAndIsReported) {
  FakeRandom server_random(43);
  const access::OwnerSigner server_key = access::OwnerSigner::Generate(server_random);
  const std::string forged = trust::SignStatement(
      chain_.NextBody("owner.added",
                      {{"owner", "mallory"}, {"device", trust::DeviceJson(server_key.key(), "")}},
                      kMondayTen),
      std::vector{server_key});
  Log(Event("trust.statement", 6, {{"seq", 1}, {"statement", forged}, {"by", "admin"}}));
  EXPECT_NE(Violations().find("chain refuses"), std::string::npos);
  // The chain goes on from where it was.
  Sign("threshold.set", {{"threshold", 1}});
  EXPECT_EQ(Violations(), "");
}

TEST_F(ChainedReplicaTest, APinnedAgentTakesOnlyTheGenesisOfTheKeyItWasGiven) {
  // The agent was enrolled with a code naming olivia's device; the server founds a chain first,
  // with a key of its own.
  FakeRandom server_random(44);
  const access::OwnerSigner server_key = access::OwnerSigner::Generate(server_random);
  auto genesis = [&](const access::OwnerSigner& device) {
    trust::Chain fresh("acme");
    const std::string statement = trust::SignStatement(
        fresh.NextBody("genesis",
                       {{"owner", "olivia"},
                        {"device", trust::DeviceJson(device.key(), "")},
                        {"recovery_key", Base64Encode(recovery_.key().public_key)}},
                       kMondayTen),
        std::vector{device});
    return Event("trust.statement", 5, {{"seq", 0}, {"statement", statement}, {"by", "olivia"}});
  };
  Replica pinned("acme", device_.key().Id(), {kWitnessKey, kCaKey, ""});
  pinned.Apply(0, genesis(server_key));
  // The server's chain opens no door: the key the code named is not in it.
  EXPECT_NE(pinned.MayIssue().message().find("not confirmed"), std::string::npos)
      << pinned.MayIssue().ToString();
  // Olivia's own genesis, after it, founds the chain in its place, and says so.
  pinned.Apply(1, genesis(device_));
  std::vector<std::string> violations = pinned.TakeViolations();
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_NE(violations[0].find("not founded by the owner key"), std::string::npos) << violations[0];
  EXPECT_NE(pinned.ContextJson().find(device_.key().Id()), std::string::npos);
  // A genesis after it changes nothing.
  pinned.Apply(2, genesis(server_key));
  EXPECT_EQ(pinned.TakeViolations().size(), 1u);
  EXPECT_NE(pinned.ContextJson().find(device_.key().Id()), std::string::npos);
}

TEST_F(ChainedReplicaTest, AnAgentPinnedToALaterDeviceIsConfirmedByIt) {
  // The replacement agent's code names olivia's second device, which joined the chain after its
  // genesis; the agent takes the chain, and opens doors once that device confirms it.
  const access::OwnerSigner phone = access::OwnerSigner::Generate(random_);
  Replica pinned("acme", phone.key().Id(), {kWitnessKey, kCaKey, ""});
  uint64_t index = 0;
  for (const std::string& entry : logged_) pinned.Apply(index++, entry);
  auto log = [&](const std::string& statement) {
    ASSERT_TRUE(chain_.Apply(statement).ok());
    pinned.Apply(index++, Event("trust.statement", 5,
                                {{"seq", chain_.state().size - 1}, {"statement", statement}}));
  };
  log(trust::SignStatement(
      chain_.NextBody("device.added",
                      {{"owner", "olivia"}, {"device", trust::DeviceJson(phone.key(), "phone")}},
                      kMondayTen),
      std::vector{device_, phone}));
  EXPECT_TRUE(pinned.TakeViolations().empty());
  // Confirmed without the pinned key: no door.
  log(trust::SignStatement(
      chain_.NextBody("agent.confirmed",
                      {{"name", "agent"}, {"witness_key", kWitnessKey}, {"ssh_ca_key", kCaKey}},
                      kMondayTen),
      std::vector{device_}));
  EXPECT_NE(pinned.MayIssue().message().find("without the owner key"), std::string::npos)
      << pinned.MayIssue().ToString();
  log(trust::SignStatement(
      chain_.NextBody("agent.confirmed",
                      {{"name", "agent"}, {"witness_key", kWitnessKey}, {"ssh_ca_key", kCaKey}},
                      kMondayTen),
      std::vector{phone}));
  EXPECT_TRUE(pinned.MayIssue().ok()) << pinned.MayIssue().ToString();
}

TEST_F(ChainedReplicaTest, AResourceTheOwnersHaveNotSignedIsTreatedAsHoldingEverything) {
  Log(Event("resource.added", 6,
            {{"resource", "db-1"}, {"resource_kind", "ssh-host"}, {"labels", 0}, {"by", "admin"}}));
  // The server says db-1 holds nothing sensitive; the routine request it approves at once is
  // tainted.
  Open(access::TestRequest("g30", "db-1", 0));
  EXPECT_FALSE(Live("g30", kMondayTen + 10));
  EXPECT_NE(replica_.FindGrant("g30")->tainted.find("misstates"), std::string::npos);
  // Taken as holding everything, it waits for an owner, as the safe default says.
  access::Grant grant = Open(access::TestRequest("g31", "db-1", access::kAllLabels));
  EXPECT_EQ(replica_.FindGrant("g31")->tainted, "");
  EXPECT_EQ(grant.state(), access::GrantState::kPending);
  // Once the owners sign it, its signed labels count.
  Sign("resource.signed",
       {{"resource", "db-1"}, {"resource_kind", "ssh-host"}, {"labels", Json::array()}});
  Open(access::TestRequest("g32", "db-1", 0));
  EXPECT_TRUE(Live("g32", kMondayTen + 10));
  // Removing a label the owners signed is the owners' to do: the server's word changes nothing.
  Log(Event("resource.added", 7,
            {{"resource", "mail"}, {"resource_kind", "ssh-host"}, {"labels", 0}, {"by", "admin"}}));
  Open(access::TestRequest("g33", "mail", 0));
  EXPECT_FALSE(Live("g33", kMondayTen + 10));
}

TEST_F(ChainedReplicaTest, TheAgentOpensNoDoorUntilTheOwnersConfirmIt) {
  EXPECT_NE(replica_.MayIssue().message().find("not confirmed this agent"), std::string::npos)
      << replica_.MayIssue().ToString();
  Log(Event("agent.enrolled", 6,
            {{"name", "agent"}, {"witness_key", kWitnessKey}, {"ssh_ca_key", kCaKey}}));
  EXPECT_EQ(Violations(), "");
  Sign("agent.confirmed",
       {{"name", "agent"}, {"witness_key", kWitnessKey}, {"ssh_ca_key", kCaKey}});
  EXPECT_TRUE(replica_.MayIssue().ok()) << replica_.MayIssue().ToString();
  // A later enrolment of an agent the owners did not confirm is a breach.
  Log(Event("agent.enrolled", 7,
            {{"name", "rogue"},
             {"witness_key", "acme-rogue+01020304+x"},
             {"ssh_ca_key", "ssh-ed25519 AAAArogue"}}));
  EXPECT_NE(Violations().find("did not confirm"), std::string::npos);
  EXPECT_TRUE(replica_.MayIssue().ok());
  // When the owners confirm another agent, this one stops, and says so.
  Sign("agent.confirmed",
       {{"name", "new"}, {"witness_key", "acme-new+05060708+y"}, {"ssh_ca_key", kCaKey}});
  EXPECT_NE(Violations().find("confirmed another agent"), std::string::npos);
  EXPECT_NE(replica_.MayIssue().message().find("another agent"), std::string::npos);
}

TEST_F(ChainedReplicaTest, AConfirmationWithASealingKeyNotTheAgentsOwnIsABreach) {
  Log(Event("agent.enrolled", 6,
            {{"name", "agent"}, {"witness_key", kWitnessKey}, {"ssh_ca_key", kCaKey}}));
  Sign("agent.confirmed", {{"name", "agent"},
                           {"witness_key", kWitnessKey},
                           {"ssh_ca_key", kCaKey},
                           {"sealing_key", "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="}});
  EXPECT_NE(Violations().find("sealing key that is not its own"), std::string::npos);
}

TEST_F(ChainedReplicaTest, APinnedAgentNeedsItsOwnersChainAndConfirmation) {
  Replica unchained("acme", device_.key().Id(), {kWitnessKey, kCaKey, ""});
  EXPECT_NE(unchained.MayIssue().message().find("trust init"), std::string::npos);
  // An agent whose code named no owner key keeps the earlier rules until a chain starts.
  EXPECT_TRUE(Replica("acme", "", {kWitnessKey, kCaKey, ""}).MayIssue().ok());
  // The confirmation must carry the named key's signature: a second owner's alone is not enough.
  const access::OwnerSigner other = access::OwnerSigner::Generate(random_);
  const std::string added = trust::SignStatement(
      chain_.NextBody("owner.added",
                      {{"owner", "oscar"}, {"device", trust::DeviceJson(other.key(), "")}},
                      kMondayTen),
      std::vector{device_, other});
  ASSERT_TRUE(chain_.Apply(added).ok());
  const std::string confirmed = trust::SignStatement(
      chain_.NextBody("agent.confirmed",
                      {{"name", "agent"}, {"witness_key", kWitnessKey}, {"ssh_ca_key", kCaKey}},
                      kMondayTen),
      std::vector{other});
  ASSERT_TRUE(chain_.Apply(confirmed).ok());
  Replica pinned("acme", device_.key().Id(), {kWitnessKey, kCaKey, ""});
  uint64_t index = 0;
  ASSERT_TRUE(pinned.LoadContext(replica_.ContextJson()).ok());
  for (const std::string& statement : {added, confirmed})
    pinned.Apply(100 + index++, Event("trust.statement", 6, {{"statement", statement}}));
  EXPECT_TRUE(pinned.TakeViolations().empty());
  EXPECT_NE(pinned.MayIssue().message().find("without the owner key"), std::string::npos)
      << pinned.MayIssue().ToString();
}

TEST(SafetyCodeTest, TwelveDigitsThatChangeWithEveryKey) {
  const std::string code = trust::SafetyCode("0123456789abcdef", kWitnessKey, kCaKey);
  // The same vector as web/test/trust.test.mjs: the browser works the code out as the agent does.
  EXPECT_EQ(code, "5090-6332-8640");
  ASSERT_EQ(code.size(), 14u);
  EXPECT_EQ(code[4], '-');
  EXPECT_EQ(code[9], '-');
  EXPECT_EQ(code, trust::SafetyCode("0123456789abcdef", kWitnessKey, kCaKey));
  EXPECT_NE(code, trust::SafetyCode("0123456789abcdee", kWitnessKey, kCaKey));
  EXPECT_NE(code, trust::SafetyCode("0123456789abcdef", "acme-agent+0a0b0c0d+other", kCaKey));
  EXPECT_NE(code, trust::SafetyCode("0123456789abcdef", kWitnessKey, "ssh-ed25519 AAAAother"));
  // An agent with a sealing key: the code covers it too, so a server cannot swap it.
  const std::string sealing = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
  const std::string sealed = trust::SafetyCode("0123456789abcdef", kWitnessKey, kCaKey, sealing);
  EXPECT_EQ(sealed, "1007-6458-0138");
  EXPECT_NE(sealed, trust::SafetyCode("0123456789abcdef", kWitnessKey, kCaKey,
                                      "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyE="));
}

TEST_F(ChainedReplicaTest, TheChainIsKeptWithTheContext) {
  Replica reloaded("acme");
  ASSERT_TRUE(reloaded.LoadContext(replica_.ContextJson()).ok());
  // The reloaded replica still knows olivia's device and nothing else.
  Replica& saved = replica_;
  std::swap(saved, reloaded);
  Approve(Open(access::TestRequest("g6", "mail", 1)), owner_);
  EXPECT_FALSE(Live("g6", kMondayTen + 120));
  Approve(Open(access::TestRequest("g7", "mail", 1)), device_);
  EXPECT_TRUE(Live("g7", kMondayTen + 120));
}

}  // namespace
}  // namespace quartet::agent

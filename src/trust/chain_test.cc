#include "trust/chain.h"

#include <gtest/gtest.h>

#include "access/policy.h"

namespace quartet::trust {
namespace {

using access::OwnerSigner;

class ChainTest : public ::testing::Test {
 protected:
  OwnerSigner NewKey() { return OwnerSigner::Generate(random_); }

  // Makes, signs and applies the next statement; returns Apply's answer.
  Status Next(std::string_view kind, Json fields, std::vector<OwnerSigner> signers) {
    const std::string body = chain_.NextBody(kind, std::move(fields), at_++);
    statements_.push_back(SignStatement(body, signers));
    Status applied = chain_.Apply(statements_.back());
    if (!applied.ok()) statements_.pop_back();
    return applied;
  }

  void Genesis() {
    ASSERT_TRUE(Next("genesis",
                     {{"owner", "olivia"},
                      {"device", DeviceJson(laptop_.key(), "laptop")},
                      {"recovery_key", Base64Encode(recovery_.key().public_key)}},
                     {laptop_})
                    .ok());
  }

  FakeRandom random_{11};
  int64_t at_ = 1782900000;
  Chain chain_{"acme"};
  std::vector<std::string> statements_;
  OwnerSigner laptop_ = NewKey();
  OwnerSigner recovery_ = NewKey();
};

TEST_F(ChainTest, AGenesisNamesTheFoundingOwnerAndItsDevice) {
  Genesis();
  const ChainState& state = chain_.state();
  EXPECT_EQ(state.size, 1u);
  EXPECT_EQ(state.threshold, 1);
  ASSERT_EQ(state.owners.size(), 1u);
  EXPECT_EQ(*state.OwnerOf(laptop_.key().Id()), "olivia");
  EXPECT_EQ(state.recovery_key, recovery_.key().public_key);
  // Replayed from its statements, the chain says the same.
  auto replayed = Chain::Replay("acme", statements_);
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  EXPECT_EQ(replayed->state().head, state.head);
}

TEST_F(ChainTest, AGenesisMustBeSignedByTheDeviceItNames) {
  OwnerSigner other = NewKey();
  const Status refused = Next("genesis",
                              {{"owner", "olivia"},
                               {"device", DeviceJson(laptop_.key(), "laptop")},
                               {"recovery_key", Base64Encode(recovery_.key().public_key)}},
                              {other});
  EXPECT_EQ(refused.code(), StatusCode::kUnauthenticated) << refused.ToString();
  EXPECT_EQ(chain_.state().size, 0u);
}

TEST_F(ChainTest, StatementsFollowTheHeadOfTheirOwnChain) {
  Genesis();
  const std::string body = chain_.NextBody("threshold.set", {{"threshold", 1}}, at_);
  const std::string statement = SignStatement(body, std::vector<OwnerSigner>{laptop_});
  // Another client's chain, a replay, a gap: refused.
  Chain other("beta");
  EXPECT_FALSE(other.Apply(statements_[0]).ok());
  EXPECT_EQ(chain_.Apply(statements_[0]).code(), StatusCode::kInvalidArgument);
  Json skipped = ParseJson(body, "").value();
  skipped["seq"] = 2;
  EXPECT_EQ(chain_.Apply(SignStatement(CanonicalJsonOf(skipped), std::vector<OwnerSigner>{laptop_}))
                .code(),
            StatusCode::kInvalidArgument);
  Json forked = ParseJson(body, "").value();
  forked["prev"] = std::string(64, '0');
  EXPECT_EQ(chain_.Apply(SignStatement(CanonicalJsonOf(forked), std::vector<OwnerSigner>{laptop_}))
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(chain_.Apply(statement).ok());
  EXPECT_EQ(chain_.state().size, 2u);
}

TEST_F(ChainTest, TamperedOrMalformedStatementsAreRefusedAndChangeNothing) {
  Genesis();
  const Hash head = chain_.state().head;
  const std::string body = chain_.NextBody(
      "policy.signed", {{"policy", access::ToJson(access::Policy::SafeDefault("UTC"))}}, at_);
  std::string statement = SignStatement(body, std::vector<OwnerSigner>{laptop_});
  // One byte of the body changed after signing.
  std::string tampered = statement;
  tampered[tampered.find("UTC")] = 'X';
  EXPECT_FALSE(chain_.Apply(tampered).ok());
  for (const std::string& bad :
       {std::string("not json"), std::string("{}"), std::string(R"({"body":"{}","signatures":[]})"),
        std::string(R"({"body":" {\"kind\":\"genesis\"}","signatures":[]})"),
        // A fraction, even printed canonically.
        SignStatement(chain_.NextBody("threshold.set", {{"threshold", 1}, {"x", 1.5}}, at_),
                      std::vector<OwnerSigner>{laptop_})}) {
    EXPECT_EQ(chain_.Apply(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(chain_.state().head, head);
  EXPECT_TRUE(chain_.Apply(statement).ok());
  EXPECT_FALSE(chain_.state().policy.empty());
}

TEST_F(ChainTest, AKeyOutsideTheChainSignsNothing) {
  Genesis();
  OwnerSigner server_made = NewKey();
  const Status refused =
      Next("policy.signed", {{"policy", access::ToJson(access::Policy::SafeDefault("UTC"))}},
           {server_made});
  EXPECT_EQ(refused.code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(chain_.state().policy.empty());
  // Nor can such a key make itself an owner, or a device of one.
  EXPECT_EQ(
      Next("owner.added", {{"owner", "mallory"}, {"device", DeviceJson(server_made.key(), "")}},
           {server_made})
          .code(),
      StatusCode::kUnauthenticated);
  EXPECT_EQ(
      Next("device.added", {{"owner", "olivia"}, {"device", DeviceJson(server_made.key(), "")}},
           {server_made})
          .code(),
      StatusCode::kUnauthenticated);
  EXPECT_EQ(chain_.state().DeviceCount(), 1u);
}

TEST_F(ChainTest, AnOwnersDeviceLinksANewOneWhichMustSignToo) {
  Genesis();
  OwnerSigner phone = NewKey();
  // Without the phone's own signature, a key nobody holds could be added.
  EXPECT_EQ(Next("device.added",
                 {{"owner", "olivia"}, {"device", DeviceJson(phone.key(), "phone")}}, {laptop_})
                .code(),
            StatusCode::kUnauthenticated);
  ASSERT_TRUE(Next("device.added",
                   {{"owner", "olivia"}, {"device", DeviceJson(phone.key(), "phone")}},
                   {laptop_, phone})
                  .ok());
  EXPECT_EQ(chain_.state().owners.at("olivia").size(), 2u);
  // The phone now signs for olivia; the laptop can be removed, the last device cannot.
  ASSERT_TRUE(
      Next("device.removed", {{"owner", "olivia"}, {"key_id", laptop_.key().Id()}}, {phone}).ok());
  EXPECT_EQ(
      Next("device.removed", {{"owner", "olivia"}, {"key_id", phone.key().Id()}}, {phone}).code(),
      StatusCode::kFailedPrecondition);
  // A removed device signs nothing any more.
  EXPECT_EQ(Next("threshold.set", {{"threshold", 1}}, {laptop_}).code(),
            StatusCode::kUnauthenticated);
}

TEST_F(ChainTest, ALinkIsTheNewDevicesHalfOfADeviceAdded) {
  Genesis();
  OwnerSigner phone = NewKey();
  auto body = [&](const std::string& owner, const OwnerSigner& device) {
    return chain_.NextBody("device.added",
                           {{"owner", owner}, {"device", DeviceJson(device.key(), "phone")}}, at_);
  };
  const std::string offered = SignStatement(body("olivia", phone), std::vector<OwnerSigner>{phone});
  auto link = chain_.CheckLink(offered);
  ASSERT_TRUE(link.ok()) << link.status().ToString();
  EXPECT_EQ(link->owner, "olivia");
  EXPECT_EQ(link->device.key_id, phone.key().Id());
  EXPECT_EQ(link->device.name, "phone");
  // Alone it counts for nothing; with the laptop's signature added, the phone joins.
  EXPECT_EQ(chain_.Apply(offered).code(), StatusCode::kUnauthenticated);
  auto approved = AddSignature(offered, laptop_);
  ASSERT_TRUE(approved.ok()) << approved.status().ToString();
  EXPECT_EQ(AddSignature(*approved, laptop_).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(chain_.Apply(*approved).ok());
  EXPECT_EQ(*chain_.state().OwnerOf(phone.key().Id()), "olivia");

  // What a link must not be: signed by anyone else too, or instead; for an owner the chain does
  // not have; for a device it has; another kind; not following the head.
  OwnerSigner tablet = NewKey();
  EXPECT_EQ(chain_.CheckLink(offered).status().code(),
            StatusCode::kInvalidArgument);  // the head moved
  const std::string tablet_body = body("olivia", tablet);
  EXPECT_TRUE(chain_.CheckLink(SignStatement(tablet_body, std::vector<OwnerSigner>{tablet})).ok());
  EXPECT_EQ(chain_.CheckLink(SignStatement(tablet_body, std::vector<OwnerSigner>{tablet, laptop_}))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      chain_.CheckLink(SignStatement(tablet_body, std::vector<OwnerSigner>{phone})).status().code(),
      StatusCode::kInvalidArgument);
  std::string forged = SignStatement(tablet_body, std::vector<OwnerSigner>{tablet});
  forged[forged.find("phone")] ^= 1;
  EXPECT_EQ(chain_.CheckLink(forged).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(
      chain_.CheckLink(SignStatement(body("mallory", tablet), std::vector<OwnerSigner>{tablet}))
          .status()
          .code(),
      StatusCode::kFailedPrecondition);
  EXPECT_EQ(chain_.CheckLink(SignStatement(body("olivia", phone), std::vector<OwnerSigner>{phone}))
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  const std::string other_kind = chain_.NextBody("threshold.set", {{"threshold", 1}}, at_);
  EXPECT_EQ(
      chain_.CheckLink(SignStatement(other_kind, std::vector<OwnerSigner>{tablet})).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(chain_.state().DeviceCount(), 2u);
}

TEST_F(ChainTest, TwoOfTwoOwnersMustBothSign) {
  Genesis();
  OwnerSigner oscar = NewKey();
  ASSERT_TRUE(Next("owner.added", {{"owner", "oscar"}, {"device", DeviceJson(oscar.key(), "")}},
                   {laptop_, oscar})
                  .ok());
  EXPECT_EQ(Next("threshold.set", {{"threshold", 3}}, {laptop_}).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Next("threshold.set", {{"threshold", 2}}, {laptop_}).ok());
  const Json policy = {{"policy", access::ToJson(access::Policy::SafeDefault("UTC"))}};
  EXPECT_EQ(Next("policy.signed", policy, {laptop_}).code(), StatusCode::kUnauthenticated);
  // Two devices of one owner are still one owner.
  OwnerSigner phone = NewKey();
  ASSERT_TRUE(Next("device.added", {{"owner", "olivia"}, {"device", DeviceJson(phone.key(), "")}},
                   {laptop_, phone})
                  .ok());
  EXPECT_EQ(Next("policy.signed", policy, {laptop_, phone}).code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(Next("policy.signed", policy, {laptop_, oscar}).ok());
  // Removing an owner needs the threshold lowered first.
  EXPECT_EQ(Next("owner.removed", {{"owner", "oscar"}}, {laptop_, oscar}).code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(ChainTest, SignaturesCollectedOneOwnerAtATimeCountTogether) {
  Genesis();
  OwnerSigner oscar = NewKey();
  ASSERT_TRUE(Next("owner.added", {{"owner", "oscar"}, {"device", DeviceJson(oscar.key(), "")}},
                   {laptop_, oscar})
                  .ok());
  ASSERT_TRUE(Next("threshold.set", {{"threshold", 2}}, {laptop_}).ok());
  const std::string body = chain_.NextBody(
      "policy.signed", {{"policy", access::ToJson(access::Policy::SafeDefault("UTC"))}}, at_);
  // Olivia's half: good, but short of the threshold.
  const std::string half = SignStatement(body, std::vector{laptop_});
  auto collecting = chain_.CheckCollecting(half);
  ASSERT_TRUE(collecting.ok()) << collecting.status().ToString();
  EXPECT_FALSE(collecting->complete);
  EXPECT_EQ(collecting->owners, std::set<std::string>{"olivia"});
  EXPECT_EQ(collecting->threshold, 2);
  EXPECT_EQ(chain_.state().size, 3u);  // nothing changed
  // Oscar signs the same body on his own; merged, the two count.
  const std::string other = SignStatement(body, std::vector{oscar});
  auto merged = MergeSignatures(half, other);
  ASSERT_TRUE(merged.ok());
  auto both = chain_.CheckCollecting(*merged);
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(both->complete);
  EXPECT_EQ(both->owners, (std::set<std::string>{"olivia", "oscar"}));
  EXPECT_TRUE(chain_.Apply(*merged).ok());
  // A merge of two different bodies is refused.
  const std::string later = SignStatement(chain_.NextBody("threshold.set", {{"threshold", 1}}, at_),
                                          std::vector{laptop_});
  EXPECT_EQ(MergeSignatures(later, other).status().code(), StatusCode::kInvalidArgument);

  // What no number of owners could make count is refused while collecting too: a key outside the
  // chain, no owner at all, a change the chain cannot make, a statement for another head.
  OwnerSigner stranger = NewKey();
  EXPECT_EQ(
      chain_
          .CheckCollecting(SignStatement(chain_.NextBody("threshold.set", {{"threshold", 1}}, at_),
                                         std::vector{stranger}))
          .status()
          .code(),
      StatusCode::kUnauthenticated);
  EXPECT_EQ(
      chain_
          .CheckCollecting(SignStatement(chain_.NextBody("threshold.set", {{"threshold", 3}}, at_),
                                         std::vector{laptop_}))
          .status()
          .code(),
      StatusCode::kFailedPrecondition);
  EXPECT_EQ(chain_.CheckCollecting(half).status().code(), StatusCode::kInvalidArgument);
  // A recovery is the recovery key's alone: no owner's signature stands in for it.
  OwnerSigner fresh = NewKey();
  EXPECT_FALSE(chain_
                   .CheckCollecting(SignStatement(
                       chain_.NextBody("recovered",
                                       {{"owner", "olivia"},
                                        {"device", DeviceJson(fresh.key(), "")},
                                        {"recovery_key", Base64Encode(NewKey().key().public_key)}},
                                       at_),
                       std::vector{laptop_, fresh}))
                   .ok());
}

TEST_F(ChainTest, TheAgentAndResourcesAreWhatTheOwnersSigned) {
  Genesis();
  ASSERT_TRUE(Next("agent.confirmed",
                   {{"name", "acme-agent"},
                    {"witness_key", "acme-agent+1234abcd+AQID"},
                    {"ssh_ca_key", "ssh-ed25519 AAAA ca"}},
                   {laptop_})
                  .ok());
  ASSERT_TRUE(chain_.state().agent.has_value());
  EXPECT_EQ(chain_.state().agent->witness_key, "acme-agent+1234abcd+AQID");
  ASSERT_TRUE(Next("resource.signed",
                   {{"resource", "fileserver"},
                    {"resource_kind", "ssh-host"},
                    {"labels", Json::array({"financial"})}},
                   {laptop_})
                  .ok());
  EXPECT_EQ(chain_.state().resources.at("fileserver").labels,
            static_cast<access::LabelSet>(access::Label::kFinancial));
  EXPECT_EQ(chain_.state().LabelsOf("fileserver"),
            static_cast<access::LabelSet>(access::Label::kFinancial));
  // Until its owners sign a resource, it is taken to hold everything.
  EXPECT_EQ(chain_.state().LabelsOf("mail"), access::kAllLabels);
  EXPECT_EQ(
      Next("resource.signed",
           {{"resource", "mail"}, {"resource_kind", "mailbox"}, {"labels", {"gossip"}}}, {laptop_})
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(Next("resource.signed",
                 {{"resource", "mail"}, {"resource_kind", "pigeon"}, {"labels", Json::array()}},
                 {laptop_})
                .code(),
            StatusCode::kInvalidArgument);
  // A policy that does not parse is not put in force.
  EXPECT_FALSE(Next("policy.signed", {{"policy", "{\"rules\":7}"}}, {laptop_}).ok());
}

TEST_F(ChainTest, TheRecoveryKeyReplacesEveryDeviceLoudly) {
  Genesis();
  OwnerSigner fresh = NewKey();
  OwnerSigner new_recovery = NewKey();
  const Json fields = {{"owner", "olivia"},
                       {"device", DeviceJson(fresh.key(), "new laptop")},
                       {"recovery_key", Base64Encode(new_recovery.key().public_key)}};
  // A device cannot recover; the recovery key can.
  EXPECT_EQ(Next("recovered", fields, {laptop_, fresh}).code(), StatusCode::kUnauthenticated);
  ASSERT_TRUE(Next("recovered", fields, {recovery_, fresh}).ok());
  const ChainState& state = chain_.state();
  EXPECT_EQ(state.DeviceCount(), 1u);
  EXPECT_EQ(*state.OwnerOf(fresh.key().Id()), "olivia");
  EXPECT_EQ(state.OwnerOf(laptop_.key().Id()), nullptr);
  EXPECT_NE(state.recovered_at, 0);
  // The old recovery key is spent.
  EXPECT_EQ(Next("recovered", fields, {recovery_, fresh}).code(), StatusCode::kFailedPrecondition);
}

TEST_F(ChainTest, AThousandStatementsReplay) {
  Genesis();
  for (int i = 0; i < 999; ++i)
    ASSERT_TRUE(Next("threshold.set", {{"threshold", 1}}, {laptop_}).ok());
  auto replayed = Chain::Replay("acme", statements_);
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(replayed->state().size, 1000u);
  EXPECT_EQ(replayed->state().head, chain_.state().head);
}

TEST_F(ChainTest, AReplayTrustsOnlyTheHeadItCheckedBefore) {
  Genesis();
  OwnerSigner phone = NewKey();
  ASSERT_TRUE(Next("device.added", {{"owner", "olivia"}, {"device", DeviceJson(phone.key(), "")}},
                   {laptop_, phone})
                  .ok());
  const Chain::Verified verified{chain_.state().size, chain_.state().head};
  ASSERT_TRUE(Next("threshold.set", {{"threshold", 1}}, {phone}).ok());
  auto replayed = Chain::Replay("acme", statements_, verified);
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  EXPECT_EQ(replayed->state().head, chain_.state().head);
  // A forged history under a head it never checked is checked in full, and refused.
  OwnerSigner forger = NewKey();
  std::vector<std::string> forged = statements_;
  Json body = ParseJson(Statement::Parse(forged[1]).value().body, "").value();
  body["device"] = DeviceJson(forger.key(), "");
  forged[1] = SignStatement(CanonicalJsonOf(body), std::vector<OwnerSigner>{forger});
  EXPECT_FALSE(Chain::Replay("acme", forged, verified).ok());
  EXPECT_FALSE(Chain::Replay("acme", forged).ok());
}

}  // namespace
}  // namespace quartet::trust

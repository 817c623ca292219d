// The server's side of the client's agent, in process, with a fake clock: no test waits on real
// time (every wait is zero, or ends because something happened).
#include "governance/agent_service.h"

#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/temp_directory_testing.h"
#include "governance/access_service.h"
#include "ledger/integrator.h"
#include "ledger/note.h"
#include "ledger/witness.h"
#include "ssh/certificate.h"
#include "ssh/key.h"
#include "vault/sealing_key.h"

namespace quartet::governance {
namespace {

using std::chrono::milliseconds;

// Wednesday 2026-07-01 10:00 UTC: business hours.
const auto kStart = std::chrono::system_clock::time_point(std::chrono::seconds(1782900000));

class AgentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = std::move(*store::DataFolder::Open(directory_.path().string()));
    access_ = std::move(*AccessService::Open(*folder_, clock_, random_));
    auto agents = AgentService::Open(access_->committer(), access_->permissions(),
                                     access_->grants(), access_->trust());
    ASSERT_TRUE(agents.ok()) << agents.status().ToString();
    agents_ = std::move(*agents);
    ASSERT_TRUE(access_->sessions().CreateProviderAdmin("pat").ok());
    admin_ = *access_->sessions().FindActor("pat");
    ASSERT_TRUE(access_->directory().CreateClient(admin_, "acme", "Acme", "UTC").ok());
    ASSERT_TRUE(access_->directory().CreateClient(admin_, "beta", "Beta", "UTC").ok());
    ASSERT_TRUE(access_->directory().AddUser(admin_, "ana", Role::kTechnician, "").ok());
    ASSERT_TRUE(access_->directory().AddUser(admin_, "ben", Role::kTechnician, "").ok());
    ASSERT_TRUE(access_->directory().AddUser(admin_, "olivia", Role::kOwner, "acme").ok());
    ASSERT_TRUE(access_->directory().AddUser(admin_, "oscar", Role::kOwner, "beta").ok());
    ASSERT_TRUE(access_->directory().Relate(admin_, "acme", "ana").ok());
    ASSERT_TRUE(access_->directory().Relate(admin_, "acme", "ben").ok());
    ASSERT_TRUE(access_->directory()
                    .AddResource(admin_, "acme", "fileserver", access::ResourceKind::kSshHost, 0)
                    .ok());
    ana_ = *access_->sessions().FindActor("ana");
    ben_ = *access_->sessions().FindActor("ben");
    olivia_ = *access_->sessions().FindActor("olivia");
    oscar_ = *access_->sessions().FindActor("oscar");
  }

  // Enrols acme's agent with fresh keys; returns its token.
  std::string Enrol() {
    auto code = agents_->CreateEnrolmentCode(olivia_, "acme");
    EXPECT_TRUE(code.ok()) << code.status().ToString();
    auto enrolment = agents_->Enrol(
        *code, "acme-agent",
        {witness_.VerifierKeyString(), ssh::FormatPublicKey(ca_.public_key(), "ca"), sealing_});
    EXPECT_TRUE(enrolment.ok()) << enrolment.status().ToString();
    return enrolment.ok() ? enrolment->token : "";
  }

  // Integrates acme's log, as the server's publisher does; returns the published size.
  uint64_t Publish() {
    ledger::Integrator integrator(folder_->logs(), folder_->fs(), "acme",
                                  folder_->LogDirectory("acme"), *folder_->LogSigner("acme"));
    EXPECT_TRUE(integrator.Open().ok());
    auto size = integrator.IntegrateOnce();
    EXPECT_TRUE(size.ok()) << size.status().ToString();
    return size.ok() ? *size : 0;
  }

  // A live SSH login grant of ana's on acme's file server (the safe default policy approves it).
  std::string LiveGrant() {
    AccessRequest request{
        "acme", "fileserver", access::Action::kLogin, "admin", "patching", "T-1", 3600, 0, false,
        ""};
    auto grant = access_->grants().RequestAccess(ana_, request);
    EXPECT_TRUE(grant.ok()) << grant.status().ToString();
    EXPECT_EQ(grant->progress.state, access::GrantState::kApproved);
    return grant->request.id;
  }

  std::string Certify(const CertificateRequest& request, const ssh::KeyPair& ca,
                      const std::string& key_id) {
    ssh::CertificateTemplate t;
    t.subject = *ssh::ParsePublicKey(request.public_key);
    t.serial = 7;
    t.key_id = key_id;
    t.principals = {"admin"};
    t.valid_after = static_cast<uint64_t>(clock_.NowUnixSeconds());
    t.valid_before = t.valid_after + 600;
    return *ssh::SignUserCertificate(t, ca, random_, "");
  }

  TempDirectory directory_{"quartet-agent-service"};
  FakeClock clock_{kStart};
  FakeRandom random_{7};
  std::unique_ptr<store::DataFolder> folder_;
  std::unique_ptr<AccessService> access_;
  std::unique_ptr<AgentService> agents_;
  Actor admin_, ana_, ben_, olivia_, oscar_;
  ledger::NoteSigner witness_ =
      *ledger::NoteSigner::Generate("acme-agent", ledger::SignatureType::kCosignatureV1, random_);
  ssh::KeyPair ca_ = ssh::KeyPair::Generate(random_);
  std::string sealing_ = vault::SealingKeyString(vault::GenerateHpkeKeyPair(random_).public_key);
};

TEST_F(AgentServiceTest, OnlyTheClientsOwnerMakesAnEnrolmentCode) {
  EXPECT_EQ(agents_->CreateEnrolmentCode(admin_, "acme").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(agents_->CreateEnrolmentCode(ana_, "acme").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(agents_->CreateEnrolmentCode(oscar_, "acme").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(agents_->CreateEnrolmentCode(olivia_, "acme").ok());
}

TEST_F(AgentServiceTest, ACodeEnrolsOnceAndExpires) {
  auto code = agents_->CreateEnrolmentCode(olivia_, "acme");
  ASSERT_TRUE(code.ok());
  const std::string witness = witness_.VerifierKeyString();
  const std::string ca = ssh::FormatPublicKey(ca_.public_key(), "ca");
  // Bad keys are refused before the code is spent.
  EXPECT_EQ(agents_->Enrol(*code, "agent", {"not a key", ca, ""}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(agents_->Enrol(*code, "agent", {witness, "ssh-ed25519 AAAA", ""}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(agents_->Enrol(*code, "", {witness, ca, ""}).status().code(),
            StatusCode::kInvalidArgument);
  for (const char* sealing :
       {"not base64", "AAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}) {
    EXPECT_EQ(agents_->Enrol(*code, "agent", {witness, ca, sealing}).status().code(),
              StatusCode::kInvalidArgument)
        << sealing;
  }
  auto enrolment = agents_->Enrol(*code, "agent", {witness, ca, ""});
  ASSERT_TRUE(enrolment.ok()) << enrolment.status().ToString();
  EXPECT_EQ(enrolment->client, "acme");
  EXPECT_EQ(agents_->AuthenticateAgent(enrolment->token)->client, "acme");
  EXPECT_EQ(agents_->AuthenticateAgent("qa_wrong").status().code(), StatusCode::kUnauthenticated);
  // Spent.
  EXPECT_EQ(agents_->Enrol(*code, "agent", {witness, ca, ""}).status().code(),
            StatusCode::kUnauthenticated);
  // A day later a fresh code has lapsed.
  auto late = agents_->CreateEnrolmentCode(olivia_, "acme");
  clock_.Advance(std::chrono::seconds(kEnrolmentCodeSeconds + 1));
  EXPECT_EQ(agents_->Enrol(*late, "agent", {witness, ca, ""}).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AgentServiceTest, TheSealingKeyIsShownAndLoggedAsTheAgentEnrolledWithIt) {
  Enrol();
  auto view = agents_->View(olivia_, "acme");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->sealing_key, sealing_);
  std::vector<std::string> entries;
  const uint64_t size = *folder_->logs().EntryCount("acme");
  ASSERT_TRUE(folder_->logs().ReadEntries("acme", 0, size, entries).ok());
  bool logged = false;
  for (const std::string& entry : entries) {
    const auto event = nlohmann::json::parse(entry);
    if (event["kind"] == "agent.enrolled") logged = event["sealing_key"] == sealing_;
  }
  EXPECT_TRUE(logged);
}

TEST_F(AgentServiceTest, TheAgentIsOfferedEachNewCheckpointAndItsCosignatureIsChecked) {
  Enrol();
  const uint64_t size = Publish();
  ASSERT_GT(size, 0u);
  auto work = agents_->NextWork("acme", 0, milliseconds(0));
  ASSERT_TRUE(work.ok()) << work.status().ToString();
  auto request = ledger::ParseAddCheckpoint(work->add_checkpoint);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->old_size, 0u);
  const std::string body = request->note.substr(0, request->note.find("\n\n") + 1);

  // A line signed by another key, or not one line, is refused; nothing is published.
  auto stranger =
      *ledger::NoteSigner::Generate("acme-agent", ledger::SignatureType::kCosignatureV1, random_);
  EXPECT_EQ(agents_->AddCosignature("acme", size, stranger.SignatureLine(body, 1)).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(agents_->AddCosignature("acme", size, "two\nlines\n").code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(folder_->logs().LatestCosignedCheckpoint("acme")->has_value());

  const std::string line =
      witness_.SignatureLine(body, static_cast<uint64_t>(clock_.NowUnixSeconds()));
  ASSERT_TRUE(agents_->AddCosignature("acme", size, line).ok());
  auto cosigned = folder_->logs().LatestCosignedCheckpoint("acme");
  ASSERT_TRUE(cosigned.ok() && cosigned->has_value());
  EXPECT_EQ((*cosigned)->size, size);
  EXPECT_TRUE(agents_->AddCosignature("acme", size, line).ok()) << "a retry is fine";

  // Nothing new: no work.
  work = agents_->NextWork("acme", size, milliseconds(0));
  ASSERT_TRUE(work.ok());
  EXPECT_TRUE(work->add_checkpoint.empty());
  EXPECT_EQ(agents_->View(olivia_, "acme")->witnessed_size, size);
}

TEST_F(AgentServiceTest, CertificatesAreRelayedOnlyForLiveSshGrantsAndCheckedOnTheWayBack) {
  // No agent yet: nobody can sign.
  const std::string grant = LiveGrant();
  const std::string key = ssh::FormatPublicKey(ssh::KeyPair::Generate(random_).public_key(), "");
  EXPECT_EQ(agents_->RequestCertificate(ana_, "acme", grant, key, milliseconds(0)).status().code(),
            StatusCode::kFailedPrecondition);
  Enrol();
  // Only the grant's own technician, with a real key.
  EXPECT_FALSE(agents_->RequestCertificate(ben_, "acme", grant, key, milliseconds(0)).ok());
  EXPECT_EQ(
      agents_->RequestCertificate(oscar_, "acme", grant, key, milliseconds(0)).status().code(),
      StatusCode::kNotFound);
  EXPECT_FALSE(agents_->RequestCertificate(ana_, "acme", grant, "junk", milliseconds(0)).ok());

  auto request = agents_->RequestCertificate(ana_, "acme", grant, key, milliseconds(0));
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->state, "pending");
  auto work = agents_->NextWork("acme", 0, milliseconds(0));
  ASSERT_EQ(work->certificate_requests.size(), 1u);
  EXPECT_EQ(work->certificate_requests[0].id, request->id);

  // A certificate from another CA, for the grant under another key ID, is refused.
  const std::string key_id = "grant-" + grant + ":ana";
  EXPECT_EQ(
      agents_
          ->Fulfil("acme", request->id, Certify(*request, ssh::KeyPair::Generate(random_), key_id))
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(agents_->Fulfil("acme", request->id, Certify(*request, ca_, "grant-other:ana")).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(agents_->Fulfil("acme", request->id, Certify(*request, ca_, key_id)).ok());
  auto answered = agents_->GetCertificateRequest(ana_, "acme", request->id, milliseconds(0));
  ASSERT_TRUE(answered.ok());
  EXPECT_EQ(answered->state, "issued");
  EXPECT_FALSE(answered->certificate.empty());
  // Answered once.
  EXPECT_EQ(agents_->Refuse("acme", request->id, "late").code(), StatusCode::kFailedPrecondition);
  // Another technician does not see it.
  EXPECT_FALSE(agents_->GetCertificateRequest(ben_, "acme", request->id, milliseconds(0)).ok());

  // Once the grant has ended, no new request.
  ASSERT_TRUE(access_->grants().End(ana_, "acme", grant).ok());
  EXPECT_EQ(agents_->RequestCertificate(ana_, "acme", grant, key, milliseconds(0)).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(AgentServiceTest, AWaitingTechnicianIsWokenByTheAgentsAnswer) {
  Enrol();
  const std::string grant = LiveGrant();
  const std::string key = ssh::FormatPublicKey(ssh::KeyPair::Generate(random_).public_key(), "");
  auto request = agents_->RequestCertificate(ana_, "acme", grant, key, milliseconds(0));
  ASSERT_TRUE(request.ok());
  // The refusal comes from another thread while the technician waits (up to a minute, which this
  // test never sees unless the wake-up is lost).
  std::thread agent([&] {
    while (agents_->waiting() == 0) std::this_thread::yield();
    EXPECT_TRUE(agents_->Refuse("acme", request->id, "the grant is not in my log").ok());
  });
  auto answered =
      agents_->GetCertificateRequest(ana_, "acme", request->id, std::chrono::minutes(1));
  agent.join();
  ASSERT_TRUE(answered.ok());
  EXPECT_EQ(answered->state, "refused");
  EXPECT_EQ(answered->reason, "the grant is not in my log");
}

TEST_F(AgentServiceTest, ShutdownEndsEveryWait) {
  Enrol();
  std::thread stopper([&] {
    while (agents_->waiting() == 0) std::this_thread::yield();
    agents_->Shutdown();
  });
  auto work = agents_->NextWork("beta", 0, std::chrono::minutes(1));
  stopper.join();
  EXPECT_TRUE(work.ok());
  // Later waits return at once.
  EXPECT_TRUE(agents_->NextWork("beta", 0, std::chrono::minutes(1)).ok());
}

TEST_F(AgentServiceTest, AlarmsAreLoggedAndShownToTheClientOnly) {
  Enrol();
  ASSERT_TRUE(agents_->RaiseAlarm("acme", "rollback", "size 9 after 12").ok());
  auto view = agents_->View(olivia_, "acme");
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->alarms.size(), 1u);
  EXPECT_EQ(view->alarms[0].kind, "rollback");
  EXPECT_TRUE(view->enrolled);
  EXPECT_EQ(agents_->View(oscar_, "acme").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(agents_->View(oscar_, "beta")->enrolled);
}

}  // namespace
}  // namespace quartet::governance

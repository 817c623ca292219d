// Credentials stored for a client through a real `quartet server` with `quartet vault`, sealed to
// the client's agent as its owners confirmed it: what the owners and the provider's admins store,
// what everyone may list, and what the provider's side cannot do — store one sealed to a key of its
// own, sign for the owners with a key the chain does not hold, or open what it keeps.
#include <csignal>
#include <filesystem>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "base/json.h"
#include "base/random.h"
#include "client/api_client.h"
#include "store/sqlite.h"
#include "tests/forgery.h"
#include "tests/test_util.h"
#include "tests/vault_fixture.h"
#include "vault/credential.h"
#include "vault/sealing_key.h"

namespace quartet::testing {
namespace {

using VaultCommandsTest = VaultFixture;

TEST_F(VaultCommandsTest, NothingIsStoredUntilTheOwnersConfirmAnAgentWithASealingKey) {
  auto refused = Put("olivia", {"--key", Key("olivia")});
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.err.find("not confirmed an agent with a sealing key"), std::string::npos)
      << refused.err;
  EXPECT_TRUE(List("olivia").empty());
}

TEST_F(VaultCommandsTest, OwnersAndAdminsStoreVersionsThatEveryoneListsButNobodyReads) {
  EnrolAndConfirmAgent();
  auto stored = Put("olivia", {"--key", Key("olivia"), "--exclusive", "--rotate",
                               "postgresql://books@127.0.0.1:5432"});
  ASSERT_EQ(stored.status, 0) << stored.err;
  EXPECT_NE(stored.out.find("version 1"), std::string::npos) << stored.out;
  // The provider's admin stores the next version (the secret it set up for the client).
  auto again = Put("pat");
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("version 2"), std::string::npos) << again.out;

  for (const char* user : {"olivia", "pat", "tom"}) {
    const Json listed = List(user);
    ASSERT_EQ(listed.size(), 1u) << user;
    EXPECT_EQ(listed[0]["version"], 2);
    EXPECT_EQ(listed[0]["username"], "admin@acme.example");
    EXPECT_EQ(listed[0]["stored_by"], "pat");
    EXPECT_EQ(listed[0]["state"], "current");
    EXPECT_EQ(listed[0]["sealed_to"], vault::SealingKeyString(AgentSealingKey().public_key));
    EXPECT_EQ(listed[0].dump().find("Tr0ub4dor"), std::string::npos);
  }
  auto text = Quartet("olivia", {"vault", "list", "--client", "acme"});
  EXPECT_NE(text.out.find("mail/admin (admin@acme.example)  version 2"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("never revealed"), std::string::npos) << text.out;
  // Another client's owner sees nothing of acme's.
  EXPECT_NE(Quartet("oscar", {"vault", "list", "--client", "acme"}).status, 0);
  // Technicians store nothing.
  EXPECT_NE(Put("tom").status, 0);

  // The agent opens the version it was given; the commitment in the log is of that secret.
  auto db = store::Database::Open(data_ + "/quartet.db");
  ASSERT_TRUE(db.ok());
  auto select = (*db)->Prepare(
      "SELECT enc, ciphertext, sealed_to, commitment, version FROM credentials WHERE client = "
      "'acme'");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(*(*select)->Step());
  vault::SealedCredential sealed;
  const ByteView enc = (*select)->ColumnBlob(0);
  std::copy(enc.begin(), enc.end(), sealed.enc.begin());
  const ByteView ciphertext = (*select)->ColumnBlob(1);
  sealed.ciphertext.assign(ciphertext.begin(), ciphertext.end());
  sealed.sealed_to = std::string((*select)->ColumnText(2));
  const std::string commitment((*select)->ColumnText(3));
  const vault::CredentialName name{"acme", "mail", "admin", 2};
  auto opened = vault::OpenCredential(name, AgentSealingKey(), sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  EXPECT_EQ(opened->secret, kSecret);
  EXPECT_EQ(opened->commitment, commitment);
  select->Release();
  db->reset();

  // The provider's side holds its data folder and every key in it, and opens nothing: no file
  // there holds the secret, and no key there opens the sealed bytes. The log holds each version's
  // commitment.
  const std::string needle(kSecret);
  bool committed = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data_)) {
    if (!entry.is_regular_file()) continue;
    const std::string contents = ReadTextFile(entry.path().string());
    committed |= contents.find("\"commitment\":\"" + commitment + "\"") != std::string::npos;
    EXPECT_EQ(contents.find(needle), std::string::npos) << entry.path();
    EXPECT_EQ(contents.find(Base64Encode(AsBytes(needle))), std::string::npos) << entry.path();
    // Every 32 bytes a key file could hold, taken as an X25519 private key.
    for (size_t at = 0; at + 44 <= contents.size(); ++at) {
      auto bytes = Base64Decode(contents.substr(at, 44));
      if (!bytes.ok() || bytes->size() != 32) continue;
      vault::HpkeKeyPair guess;
      std::copy(bytes->begin(), bytes->end(), guess.private_key.begin());
      guess.public_key = vault::HpkePublicKey(guess.private_key);
      sealed.sealed_to = vault::SealingKeyString(guess.public_key);
      EXPECT_FALSE(vault::OpenCredential(name, guess, sealed).ok()) << entry.path();
    }
  }
  EXPECT_TRUE(committed);
}

TEST_F(VaultCommandsTest, TheProviderCannotHaveASecretSealedToItsOwnKey) {
  EnrolAndConfirmAgent();
  // The provider's server takes a version sealed to a key it holds: refused, whoever sends it.
  const vault::HpkeKeyPair provider = vault::GenerateHpkeKeyPair(Random::System());
  auto sealed = vault::SealCredential({"acme", "mail", "admin", 1},
                                      vault::SealingKeyString(provider.public_key), kSecret,
                                      Random::System());
  ASSERT_TRUE(sealed.ok());
  const Json body = {{"resource", "mail"},
                     {"name", "admin"},
                     {"version", 1},
                     {"commitment", sealed->commitment},
                     {"sealed",
                      {{"enc", Base64Encode(sealed->sealed.enc)},
                       {"ciphertext", Base64Encode(AsBytes(sealed->sealed.ciphertext))},
                       {"sealed_to", sealed->sealed.sealed_to}}}};
  auto api = client::ApiClient::Connect(server_->url(), tokens_.at("pat"));
  ASSERT_TRUE(api.ok());
  auto posted = api->Call("POST", "/clients/acme/credentials", body);
  ASSERT_FALSE(posted.ok());
  EXPECT_NE(posted.status().message().find("another key than the agent"), std::string::npos)
      << posted.status().message();
  // The "owner" the provider made signs with a key of its own: not an owner's device in the
  // chain, so the CLI will not take the chain it is shown as the owners'.
  auto mallory = Put("mallory", {"--key", Key("mallory")});
  EXPECT_NE(mallory.status, 0);
  EXPECT_NE(mallory.err.find("is not an owner's device"), std::string::npos) << mallory.err;
  EXPECT_TRUE(List("olivia").empty());
}

TEST_F(VaultCommandsTest, BadInputIsRefusedAndChangesNothing) {
  EnrolAndConfirmAgent();
  WriteTextFile(dir_ + "/empty", "");
  auto empty =
      Quartet("olivia", {"vault", "put", "--resource", "mail", "--name", "admin"}, dir_ + "/empty");
  EXPECT_NE(empty.status, 0);
  EXPECT_NE(empty.err.find("no secret on stdin"), std::string::npos) << empty.err;
  for (const char* target : {"ftp://x@h:1", "postgresql://books@h", "ssh://@h:22", "ldap://h:389/",
                             "postgresql://bo oks@h:5432"}) {
    auto bad = Put("olivia", {"--rotate", target});
    EXPECT_NE(bad.status, 0) << target;
    EXPECT_NE(bad.err.find("rotation target"), std::string::npos) << bad.err;
  }
  auto unknown =
      Quartet("olivia", {"vault", "put", "--resource", "nas", "--name", "admin"}, dir_ + "/secret");
  EXPECT_NE(unknown.status, 0);
  EXPECT_NE(unknown.err.find("no resource nas"), std::string::npos) << unknown.err;
  EXPECT_TRUE(List("olivia").empty());
}

TEST_F(VaultCommandsTest, TheAgentRevealsOnlyUnderALiveApprovedGrant) {
  EnrolAndConfirmAgent();
  ASSERT_EQ(Put("olivia", {"--key", Key("olivia")}).status, 0);
  StartAgent();
  // Pending: revealing a credential needs an owner under the safe default policy.
  const std::string grant = RequestReveal();
  auto pending = Reveal(grant);
  EXPECT_NE(pending.status, 0);
  EXPECT_NE(pending.err.find("not live"), std::string::npos) << pending.err;
  ASSERT_EQ(Quartet("olivia", {"approve", grant, "--key", Key("olivia")}).status, 0);
  auto revealed = Reveal(grant);
  ASSERT_EQ(revealed.status, 0) << revealed.err << AgentLog();
  EXPECT_EQ(revealed.out, std::string(kSecret) + "\n");
  EXPECT_NE(revealed.err.find("version 1"), std::string::npos) << revealed.err;
  // The reveal shows on the credential, and in the log, which never holds the secret.
  const Json listed = List("olivia");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["revealed_to"], "tom");
  EXPECT_EQ(listed[0]["revealed_grant"], grant);
  EXPECT_EQ(listed[0]["state"], "rotate by hand");
  bool logged = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data_)) {
    if (!entry.is_regular_file()) continue;
    const std::string contents = ReadTextFile(entry.path().string());
    EXPECT_EQ(contents.find(std::string(kSecret)), std::string::npos) << entry.path();
    logged |= contents.find("\"kind\":\"credential.revealed\"") != std::string::npos;
  }
  EXPECT_TRUE(logged);
  // Another technician's, a denied and an ended grant reveal nothing.
  auto denied_grant = RequestReveal();
  ASSERT_EQ(Quartet("olivia", {"deny", denied_grant, "--key", Key("olivia")}).status, 0);
  auto denied = Reveal(denied_grant);
  EXPECT_NE(denied.status, 0);
  EXPECT_TRUE(denied.out.empty());
  ASSERT_EQ(Quartet("tom", {"end", grant, "--client", "acme"}).status, 0);
  auto ended = Reveal(grant);
  EXPECT_NE(ended.status, 0);
  EXPECT_TRUE(ended.out.empty());
}

TEST_F(VaultCommandsTest, OffboardingListsWhatTheLeaverSawAndStartsItsRotation) {
  EnrolAndConfirmAgent();
  ASSERT_EQ(Put("olivia", {"--key", Key("olivia")}).status, 0);
  WriteTextFile(dir_ + "/books.secret", "books-password\n");
  auto added = RunProcess({QuartetBinary(), "admin", "--data", data_, "resource", "add", "--client",
                           "acme", "--name", "books", "--kind", "finance-system"});
  ASSERT_EQ(added.status, 0) << added.err;
  auto stored = Quartet("olivia",
                        {"vault", "put", "--resource", "books", "--name", "admin", "--rotate",
                         "postgresql://books@127.0.0.1:1", "--key", Key("olivia")},
                        dir_ + "/books.secret");
  ASSERT_EQ(stored.status, 0) << stored.err;
  StartAgent();
  for (const char* resource : {"mail", "books"}) {
    const std::string grant = RequestReveal(resource);
    ASSERT_EQ(Quartet("olivia", {"approve", grant, "--key", Key("olivia")}).status, 0);
    ASSERT_EQ(Reveal(grant).status, 0);
  }
  // tom leaves while both grants are live: both credentials are at risk, in the response and in
  // the log; the agent starts rotating the one it can (here its target does not answer, so the
  // attempt is recorded as failed and retried).
  auto api = client::ApiClient::Connect(server_->url(), tokens_.at("pat"));
  ASSERT_TRUE(api.ok());
  auto offboarded = api->Call("POST", "/people/tom/offboard", Json::object());
  ASSERT_TRUE(offboarded.ok()) << offboarded.status().ToString();
  const Json& at_risk = (*offboarded)["credentials_at_risk"];
  ASSERT_EQ(at_risk.size(), 2u) << offboarded->dump();
  EXPECT_EQ(at_risk[0]["resource"], "books");
  EXPECT_EQ(at_risk[0]["rotates"], true);
  EXPECT_EQ(at_risk[1]["resource"], "mail");
  EXPECT_EQ(at_risk[1]["rotates"], false);
  EXPECT_EQ((*offboarded)["grants_revoked"], 2);
  bool logged = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data_)) {
    if (entry.is_regular_file())
      logged |= ReadTextFile(entry.path().string()).find("\"credentials_at_risk\":[{") !=
                std::string::npos;
  }
  EXPECT_TRUE(logged);
  EXPECT_TRUE(WaitFor(
      [&] {
        for (const Json& credential : List("olivia"))
          if (credential["resource"] == "books") return credential["state"] == "rotation failed";
        return false;
      },
      std::chrono::seconds(30)))
      << List("olivia").dump();
}

TEST_F(VaultCommandsTest, AnExpiredOrForgedGrantRevealsNothing) {
  EnrolAndConfirmAgent();
  ASSERT_EQ(Put("olivia", {"--key", Key("olivia")}).status, 0);
  ASSERT_EQ(Quartet("olivia", {"owner-key", "register", "--key", Key("olivia")}).status, 0);
  StartAgent();
  // A grant whose window has passed.
  auto requested =
      Quartet("tom", {"--json", "request", "--client", "acme", "--resource", "mail", "--action",
                      "reveal-credential", "--for", "5s", "--reason", "a quick look"});
  ASSERT_EQ(requested.status, 0) << requested.err;
  const std::string brief = Json::parse(requested.out)["id"].get<std::string>();
  ASSERT_EQ(Quartet("olivia", {"approve", brief, "--key", Key("olivia")}).status, 0);
  ASSERT_EQ(Reveal(brief).status, 0);
  std::this_thread::sleep_for(std::chrono::seconds(6));
  auto expired = Reveal(brief);
  EXPECT_NE(expired.status, 0);
  EXPECT_TRUE(expired.out.empty());
  // The provider writes an approval into the log that the owner never signed: the agent's replay
  // taints the grant and reveals nothing, whatever the server's tables say.
  const std::string forged = RequestReveal();
  ForgeApproval(data_, "acme", forged, "olivia", dir_ + "/forged.jsonl");
  auto refused = Reveal(forged);
  EXPECT_NE(refused.status, 0);
  EXPECT_TRUE(refused.out.empty());
  EXPECT_NE(refused.err.find("break the rules"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace quartet::testing

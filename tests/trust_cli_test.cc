// The owners' devices in the client's trust chain, through a real `quartet server` and the
// `quartet trust` commands as owners run them: linking a second device, listing and removing one,
// recovering after losing every device; and what the provider's side cannot do about it — alter
// a pending link, claim another client's, reuse or outlive a code, or make a device join at all.
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "access/approval.h"
#include "base/json.h"
#include "base/random.h"
#include "client/http_client.h"
#include "store/sqlite.h"
#include "tests/test_util.h"
#include "trust/chain.h"

namespace quartet::testing {
namespace {

class TrustCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDirectory(std::string("trust-") +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    data_ = dir_ + "/data";
    auto admin = [&](std::vector<std::string> args) {
      std::vector<std::string> argv = {QuartetBinary(), "admin", "--data", data_};
      argv.insert(argv.end(), args.begin(), args.end());
      auto result = RunProcess(argv);
      ASSERT_EQ(result.status, 0) << result.err;
    };
    admin({"user", "add", "--name", "pat", "--role", "provider-admin"});
    admin({"client", "add", "--tenant", "acme", "--name", "Acme Ltd"});
    admin({"client", "add", "--tenant", "beta", "--name", "Beta Ltd"});
    admin({"user", "add", "--name", "olivia", "--role", "owner", "--client", "acme"});
    admin({"user", "add", "--name", "oscar", "--role", "owner", "--client", "beta"});
    admin({"user", "add", "--name", "audrey", "--role", "auditor", "--client", "acme"});
    admin({"user", "add", "--name", "owen", "--role", "owner", "--client", "acme"});
    for (const char* user : {"pat", "olivia", "oscar", "audrey", "owen"}) {
      auto token = RunProcess(
          {QuartetBinary(), "admin", "--data", data_, "token", "create", "--user", user});
      ASSERT_EQ(token.status, 0) << token.err;
      tokens_[user] = token.out.substr(0, token.out.find('\n'));
    }
    server_ = std::make_unique<RunningServer>(data_);
    for (const char* key : {"laptop", "phone", "tablet", "oscar", "pat", "fresh"}) {
      ASSERT_EQ(RunProcess({QuartetBinary(), "owner-key", "create", "--out", Key(key)}).status, 0);
    }
    auto init = Quartet("olivia", {"trust", "init", "--key", Key("laptop"), "--recovery-out",
                                   Key("recovery"), "--device-name", "laptop"});
    ASSERT_EQ(init.status, 0) << init.err;
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string Key(const std::string& name) const { return dir_ + "/" + name + ".key"; }
  std::string KeyId(const std::string& name) const {
    auto text = ReadTextFile(Key(name));
    auto seed = Base64Decode(text.substr(text.find('\n') + 1, 44));
    return access::OwnerSigner::FromSeed(*seed)->key().Id();
  }
  RunResult Quartet(const std::string& user, std::vector<std::string> args) {
    std::vector<std::string> argv = {QuartetBinary(), "--server", server_->url(), "--token",
                                     tokens_.at(user)};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }
  // `quartet trust link` of the key `name`: the code it prints on its first line.
  std::string Link(const std::string& name) {
    auto linked = Quartet("olivia", {"trust", "link", "--key", Key(name), "--device-name", name});
    EXPECT_EQ(linked.status, 0) << linked.err;
    EXPECT_NE(linked.out.find("Key ID of this device: " + KeyId(name)), std::string::npos)
        << linked.out;
    return linked.out.substr(0, linked.out.find('\n'));
  }
  RunResult Approve(const std::string& user, const std::string& key, const std::string& code) {
    return Quartet(
        user, {"trust", "approve-link", "--client", "acme", "--key", Key(key), "--code", code});
  }
  Json Devices(const std::string& user = "olivia") {
    auto listed = Quartet(user, {"trust", "devices", "--client", "acme", "--json"});
    EXPECT_EQ(listed.status, 0) << listed.err;
    const Json reply = Json::parse(listed.out, nullptr, false);
    return reply.is_object() ? reply["devices"] : Json::array();
  }
  struct Reply {
    int status;
    Json body;
  };
  Reply Call(const std::string& user, const std::string& method, const std::string& path,
             const Json& body = Json()) {
    client::HttpClient http(server_->host(), server_->port());
    auto result =
        http.Request(method, "/api/v1" + path, body.is_null() ? "" : CanonicalJsonOf(body),
                     {{"Authorization", "Bearer " + tokens_.at(user)}});
    EXPECT_TRUE(result.ok());
    return {result->status, Json::parse(result->body, nullptr, false)};
  }
  // The chain as the server holds it, replayed here.
  trust::Chain Chain() {
    Reply reply = Call("olivia", "GET", "/clients/acme/trust");
    return *trust::Chain::Replay("acme", reply.body["statements"].get<std::vector<std::string>>());
  }
  // Writes straight into the server's database, as the provider's admins could.
  void Tamper(const std::string& sql) {
    auto db = store::Database::Open(data_ + "/quartet.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Execute(sql).ok()) << sql;
  }

  std::string dir_, data_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(TrustCommandsTest, ASecondDeviceIsLinkedListedAndTheFirstRemoved) {
  const std::string code = Link("phone");
  EXPECT_TRUE(code.ends_with("." + KeyId("phone"))) << code;
  // Until an existing device approves it, the phone is not in the chain.
  EXPECT_EQ(Devices().size(), 1u);
  auto approved = Approve("olivia", "laptop", code);
  ASSERT_EQ(approved.status, 0) << approved.err;
  EXPECT_TRUE(approved.out.starts_with("New device's key ID: " + KeyId("phone") + "\n"))
      << approved.out;
  EXPECT_NE(approved.out.find("1 owner, 2 devices"), std::string::npos) << approved.out;
  // The client's auditor sees the same, checked on her side.
  const Json devices = Devices("audrey");
  ASSERT_EQ(devices.size(), 2u);
  std::map<std::string, std::string> names;
  for (const Json& device : devices) {
    EXPECT_EQ(device["owner"], "olivia");
    names[device["key_id"].get<std::string>()] = device["name"].get<std::string>();
  }
  EXPECT_EQ(names[KeyId("laptop")], "laptop");
  EXPECT_EQ(names[KeyId("phone")], "phone");
  auto table = Quartet("audrey", {"trust", "devices"});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find(KeyId("phone")), std::string::npos) << table.out;

  // The phone removes the laptop, which then signs nothing; the last device stays.
  auto removed = Quartet(
      "olivia", {"trust", "remove-device", "--key", Key("phone"), "--device", KeyId("laptop")});
  ASSERT_EQ(removed.status, 0) << removed.err;
  EXPECT_NE(removed.out.find("1 owner, 1 device"), std::string::npos) << removed.out;
  auto by_removed = Quartet(
      "olivia", {"trust", "remove-device", "--key", Key("laptop"), "--device", KeyId("phone")});
  EXPECT_EQ(by_removed.status, 1);
  EXPECT_NE(by_removed.err.find("is not a device in the trust chain"), std::string::npos)
      << by_removed.err;
  auto last = Quartet(
      "olivia", {"trust", "remove-device", "--key", Key("phone"), "--device", KeyId("phone")});
  EXPECT_EQ(last.status, 1);
  EXPECT_NE(last.err.find("last device"), std::string::npos) << last.err;
  EXPECT_EQ(Devices().size(), 1u);
}

TEST_F(TrustCommandsTest, TheRecoveryKeyReplacesEveryLostDevice) {
  ASSERT_EQ(Approve("olivia", "laptop", Link("phone")).status, 0);
  // Laptop and phone are lost: the recovery key and a fresh key take their place.
  const std::vector<std::string> recover = {"trust",          "recover",        "--recovery-key",
                                            Key("recovery"),  "--key",          Key("fresh"),
                                            "--recovery-out", Key("recovery-2")};
  // Not with a device key, and not writing over the recovery key still needed.
  std::vector<std::string> wrong = recover;
  wrong[3] = Key("laptop");
  EXPECT_EQ(Quartet("olivia", wrong).status, 1);
  std::vector<std::string> over = recover;
  over[7] = Key("recovery");
  EXPECT_EQ(Quartet("olivia", over).status, 1);
  auto recovered = Quartet("olivia", recover);
  ASSERT_EQ(recovered.status, 0) << recovered.err;
  EXPECT_NE(recovered.out.find("1 owner, 1 device"), std::string::npos) << recovered.out;
  EXPECT_NE(recovered.out.find("The recovery key was used"), std::string::npos) << recovered.out;
  EXPECT_EQ(std::filesystem::status(Key("recovery-2")).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const Json devices = Devices();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0]["key_id"], KeyId("fresh"));
  // Run again (its reply lost, say): nothing more happens. The old recovery key is spent, the old
  // devices sign nothing, the new recovery key works.
  auto again = Quartet("olivia", recover);
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("recovered already"), std::string::npos) << again.out;
  EXPECT_EQ(Chain().state().size, 3u);
  std::vector<std::string> spent = recover;
  spent[5] = Key("tablet");
  spent[7] = Key("recovery-3");
  auto refused = Quartet("olivia", spent);
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("not the trust chain's recovery key"), std::string::npos)
      << refused.err;
  EXPECT_EQ(Approve("olivia", "phone", Link("tablet")).status, 1);
  ASSERT_EQ(Approve("olivia", "fresh", Link("tablet")).status, 0);
  EXPECT_EQ(Devices().size(), 2u);
}

TEST_F(TrustCommandsTest, TheApprovingDeviceRefusesALinkTheServerAltered) {
  const std::string code = Link("phone");
  // The server swaps the phone for a key of its own, in a statement that checks by itself: the
  // provider's key signs the device.added that names it.
  FakeRandom random(5);
  const access::OwnerSigner provider = access::OwnerSigner::Generate(random);
  trust::Chain chain = Chain();
  const std::string forged = trust::SignStatement(
      chain.NextBody("device.added",
                     {{"owner", "olivia"}, {"device", trust::DeviceJson(provider.key(), "phone")}},
                     1782900000),
      std::vector<access::OwnerSigner>{provider});
  ASSERT_TRUE(chain.CheckLink(forged).ok());
  std::string quoted;
  for (char c : forged) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  Tamper("UPDATE trust_links SET statement = '" + quoted + "'");
  auto refused = Approve("olivia", "laptop", code);
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("adds key " + provider.key().Id() + ", not " + KeyId("phone")),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(Devices().size(), 1u);

  // Nor a code that names another key than the one it relays, or a relay that no longer checks.
  const std::string second = Link("tablet");
  const std::string renamed = second.substr(0, second.find('.')) + "." + KeyId("phone");
  EXPECT_EQ(Approve("olivia", "laptop", renamed).status, 1);
  const std::string third = Link("tablet");
  Tamper("UPDATE trust_links SET statement = replace(statement, 'tablet', 'tabled')");
  auto broken = Approve("olivia", "laptop", third);
  EXPECT_EQ(broken.status, 1);
  EXPECT_NE(broken.err.find("does not check"), std::string::npos) << broken.err;
  EXPECT_EQ(Approve("olivia", "laptop", "ABCDE-FGHJK").status, 1);  // no key ID in the code
  EXPECT_EQ(Devices().size(), 1u);
}

TEST_F(TrustCommandsTest, ACodeIsForTheClientsOwnersOnceAndForTenMinutes) {
  const std::string code = Link("phone");
  const std::string relay = code.substr(0, code.find('.'));
  // Another client's owner can neither fetch nor approve it, and learns nothing of acme.
  Reply outsider = Call("oscar", "GET", "/clients/acme/trust/links/" + relay);
  EXPECT_EQ(outsider.status, 404);
  EXPECT_EQ(outsider.body, Call("oscar", "GET", "/clients/nope/trust/links/" + relay).body);
  EXPECT_EQ(Approve("oscar", "oscar", code).status, 1);
  // The provider admin can neither.
  EXPECT_EQ(Call("pat", "GET", "/clients/acme/trust/links/" + relay).status, 403);
  EXPECT_EQ(Approve("pat", "pat", code).status, 1);
  // The code still works for the owner, once.
  ASSERT_EQ(Approve("olivia", "laptop", code).status, 0);
  auto reused = Approve("olivia", "laptop", code);
  EXPECT_EQ(reused.status, 1);
  EXPECT_NE(reused.err.find("unknown, used or expired link code"), std::string::npos) << reused.err;
  // A code whose ten minutes are over is refused.
  const std::string late = Link("tablet");
  Tamper("UPDATE trust_links SET expires_at = expires_at - 601");
  auto expired = Approve("olivia", "laptop", late);
  EXPECT_EQ(expired.status, 1);
  EXPECT_NE(expired.err.find("unknown, used or expired link code"), std::string::npos)
      << expired.err;
  EXPECT_EQ(Devices().size(), 2u);
}

TEST_F(TrustCommandsTest, TheProviderAdminCannotMakeADeviceJoin) {
  // Not through the commands: pat is not an owner in the chain.
  EXPECT_EQ(Quartet("pat", {"trust", "link", "--client", "acme", "--key", Key("pat")}).status, 1);
  // Not through the API: no link offered, and a device.added signed by pat's own key is refused.
  trust::Chain chain = Chain();
  FakeRandom random(6);
  const access::OwnerSigner pat = access::OwnerSigner::Generate(random);
  const std::string statement = trust::SignStatement(
      chain.NextBody("device.added",
                     {{"owner", "olivia"}, {"device", trust::DeviceJson(pat.key(), "pat")}},
                     1782900000),
      std::vector<access::OwnerSigner>{pat});
  EXPECT_EQ(Call("pat", "POST", "/clients/acme/trust/links", {{"statement", statement}}).status,
            403);
  EXPECT_EQ(Call("pat", "POST", "/clients/acme/trust", {{"statement", statement}}).status, 401);
  // Nor by writing the statement into the database: the server refuses a chain that does not
  // replay, and every replayer with it.
  std::string quoted;
  for (char c : statement) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  server_.reset();
  Tamper("INSERT INTO trust_statements (client, seq, statement) VALUES ('acme', 1, '" + quoted +
         "')");
  server_ = std::make_unique<RunningServer>(data_);
  auto shown = Quartet("audrey", {"trust", "devices", "--client", "acme"});
  EXPECT_EQ(shown.status, 1);
  EXPECT_NE(shown.err.find("does not"), std::string::npos) << shown.err;
}

TEST_F(TrustCommandsTest, TwoOwnersSignEveryChangeTogetherOnceTheyChooseTwoOfTwo) {
  // Owen, the client's second owner, offers his first device; Olivia signs him in.
  auto offered =
      Quartet("owen", {"trust", "link", "--key", Key("tablet"), "--device-name", "tablet"});
  ASSERT_EQ(offered.status, 0) << offered.err;
  EXPECT_NE(offered.out.find("not an owner in the trust chain yet"), std::string::npos)
      << offered.out;
  auto added = Approve("olivia", "laptop", offered.out.substr(0, offered.out.find('\n')));
  ASSERT_EQ(added.status, 0) << added.err;
  EXPECT_NE(added.out.find("Added owen as an owner"), std::string::npos) << added.out;
  auto both = Quartet("olivia", {"trust", "threshold", "--key", Key("laptop"), "2"});
  ASSERT_EQ(both.status, 0) << both.err;
  EXPECT_NE(both.out.find("2 owners, 2 devices; a change needs 2 owners' signatures"),
            std::string::npos)
      << both.out;
  const uint64_t size = Chain().state().size;

  // Olivia signs a policy: it waits for Owen, and changes nothing until he signs.
  const std::string policy = dir_ + "/policy.json";
  WriteTextFile(policy, R"({"fallback":"ask-owners","rules":[],"time_zone":"Europe/London"})");
  auto signed_once =
      Quartet("olivia", {"policy", "sign", "--key", Key("laptop"), "--file", policy});
  ASSERT_EQ(signed_once.status, 0) << signed_once.err;
  EXPECT_NE(signed_once.out.find("takes effect when 2 owners have signed it; 1 have"),
            std::string::npos)
      << signed_once.out;
  EXPECT_EQ(Chain().state().size, size);
  EXPECT_TRUE(Chain().state().policy.empty());

  // The provider cannot add the second signature: not with a key of its own, nor by posting the
  // statement again.
  Reply waiting = Call("pat", "GET", "/clients/acme/trust/pending");
  ASSERT_EQ(waiting.status, 200);
  ASSERT_EQ(waiting.body["pending"].size(), 1u) << waiting.body.dump();
  const std::string pending = waiting.body["pending"][0]["statement"].get<std::string>();
  EXPECT_EQ(waiting.body["pending"][0]["signed_by"], Json::array({"olivia"}));
  auto pat_key = access::OwnerSigner::FromSeed(
      *Base64Decode(ReadTextFile(Key("pat")).substr(ReadTextFile(Key("pat")).find('\n') + 1, 44)));
  ASSERT_TRUE(pat_key.ok());
  Reply forged = Call("pat", "POST", "/clients/acme/trust",
                      {{"statement", *trust::AddSignature(pending, *pat_key)}});
  EXPECT_EQ(forged.status, 401) << forged.body.dump();
  Reply again = Call("pat", "POST", "/clients/acme/trust", {{"statement", pending}});
  EXPECT_EQ(again.status, 403) << again.body.dump();
  auto by_pat = Quartet("pat", {"trust", "sign", "--client", "acme", "--key", Key("pat")});
  EXPECT_EQ(by_pat.status, 1);
  EXPECT_NE(by_pat.err.find("not a device in the trust chain"), std::string::npos) << by_pat.err;
  EXPECT_EQ(Chain().state().size, size);

  // Owen reads what waits, checked on his side, and signs it: now it is in force.
  auto listed = Quartet("owen", {"trust", "pending"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_NE(listed.out.find("proposed by olivia"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("(1 of 2)"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("Put this policy in force"), std::string::npos) << listed.out;
  auto twice = Quartet("olivia", {"trust", "sign", "--key", Key("laptop")});
  EXPECT_EQ(twice.status, 1);
  EXPECT_NE(twice.err.find("signed"), std::string::npos) << twice.err;
  auto countersigned = Quartet("owen", {"trust", "sign", "--key", Key("tablet")});
  ASSERT_EQ(countersigned.status, 0) << countersigned.err;
  EXPECT_NE(countersigned.out.find("it is in force"), std::string::npos) << countersigned.out;
  const trust::Chain after = Chain();
  EXPECT_EQ(after.state().size, size + 1);
  EXPECT_NE(after.state().policy.find("Europe/London"), std::string::npos);
  auto shown = Quartet("audrey", {"policy", "show"});
  ASSERT_EQ(shown.status, 0) << shown.err;
  EXPECT_NE(shown.out.find("signed by the owners"), std::string::npos) << shown.out;
  EXPECT_EQ(Call("olivia", "GET", "/clients/acme/trust/pending").body["pending"].size(), 0u);

  // Going back to one signature takes both too.
  auto one = Quartet("olivia", {"trust", "threshold", "--key", Key("laptop"), "1"});
  ASSERT_EQ(one.status, 0) << one.err;
  EXPECT_NE(one.out.find("1 have"), std::string::npos) << one.out;
  EXPECT_EQ(Chain().state().threshold, 2);
  auto agreed = Quartet("owen", {"trust", "sign", "--key", Key("tablet")});
  ASSERT_EQ(agreed.status, 0) << agreed.err;
  EXPECT_EQ(Chain().state().threshold, 1);
}

}  // namespace
}  // namespace quartet::testing

// The access API through a real `quartet server`, set up with `quartet admin` as an operator would:
// the flow of a request, and tenant isolation as a matrix of every route, every role and
// own client / other client / no relationship.
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "access/approval.h"
#include "base/json.h"
#include "base/random.h"
#include "client/http_client.h"
#include "identity/totp.h"
#include "tests/test_util.h"

namespace quartet::testing {
namespace {

using Json = nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(FreshDirectory("api"));
    data_ = new std::string(*dir_ + "/data");
    auto admin = [](std::vector<std::string> args) {
      std::vector<std::string> argv = {QuartetBinary(), "admin", "--data", *data_};
      argv.insert(argv.end(), args.begin(), args.end());
      auto result = RunProcess(argv);
      ASSERT_EQ(result.status, 0) << result.err;
    };
    admin({"user", "add", "--name", "pat", "--role", "provider-admin"});
    for (const char* client : {"acme", "beta"}) {
      admin({"client", "add", "--tenant", client, "--name", std::string(client) + " Ltd"});
      admin({"resource", "add", "--client", client, "--name", "fileserver", "--kind", "ssh-host"});
      admin({"resource", "add", "--client", client, "--name", "mail", "--kind", "mailbox",
             "--label", "email"});
    }
    admin({"user", "add", "--name", "ana", "--role", "technician"});
    admin({"user", "add", "--name", "ben", "--role", "technician"});
    // Olivia is invited: she chooses her own password below, once the server runs.
    auto olivia = RunProcess({QuartetBinary(), "admin", "--data", *data_, "user", "add", "--name",
                              "olivia", "--role", "owner", "--client", "acme"});
    ASSERT_EQ(olivia.status, 0) << olivia.err;
    const std::string marker = "for them alone): ";
    const size_t at = olivia.out.find(marker);
    ASSERT_NE(at, std::string::npos) << olivia.out;
    const std::string invitation =
        olivia.out.substr(at + marker.size(), olivia.out.find('\n', at) - at - marker.size());
    admin({"user", "add", "--name", "oscar", "--role", "owner", "--client", "beta"});
    admin({"user", "add", "--name", "audrey", "--role", "auditor", "--client", "acme"});
    admin({"user", "add", "--name", "sam", "--role", "client-staff", "--client", "acme"});
    admin({"relate", "--client", "acme", "--technician", "ana"});
    admin({"relate", "--client", "beta", "--technician", "ben"});
    tokens_ = new std::map<std::string, std::string>();
    for (const char* user : {"pat", "ana", "ben", "olivia", "oscar", "audrey", "sam"}) {
      auto token = RunProcess(
          {QuartetBinary(), "admin", "--data", *data_, "token", "create", "--user", user});
      ASSERT_EQ(token.status, 0) << token.err;
      (*tokens_)[user] = token.out.substr(0, token.out.find('\n'));
    }
    WriteTextFile(*dir_ + "/password", "correct horse battery\n");
    // Whoever holds the server's data folder cannot set it for her.
    auto password = RunProcess(
        {QuartetBinary(), "admin", "--data", *data_, "user", "password", "--name", "olivia"},
        *dir_ + "/password");
    ASSERT_NE(password.status, 0);
    ASSERT_NE(password.err.find("set their own password"), std::string::npos) << password.err;
    server_ = new RunningServer(*data_);
    auto accepted = RunProcess(
        {QuartetBinary(), "--server", server_->url(), "invitation", "accept", "--code", invitation},
        *dir_ + "/password");
    ASSERT_EQ(accepted.status, 0) << accepted.err;
    const size_t secret = accepted.out.find("secret=");
    ASSERT_NE(secret, std::string::npos) << accepted.out;
    olivia_totp_ = new std::string(accepted.out.substr(secret + 7, 32));
  }
  static void TearDownTestSuite() {
    delete server_;
    std::filesystem::remove_all(*dir_);
    delete tokens_;
    delete data_;
    delete dir_;
    delete olivia_totp_;
  }
  // Olivia's TOTP code now, from the second factor she received with her invitation.
  static std::string OliviaCode() {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return identity::TotpCode(*identity::Base32Decode(*olivia_totp_), now,
                              identity::TotpParameters{});
  }

  struct Reply {
    int status;
    Json body;
  };
  Reply Call(const std::string& user, const std::string& method, const std::string& path,
             const Json& body = Json()) {
    client::HttpClient http(server_->host(), server_->port());
    std::map<std::string, std::string> headers;
    if (!user.empty()) headers["Authorization"] = "Bearer " + tokens_->at(user);
    auto result =
        http.Request(method, "/api/v1" + path, body.is_null() ? "" : body.dump(), headers);
    EXPECT_TRUE(result.ok());
    return {result->status, Json::parse(result->body, nullptr, false)};
  }
  std::string Request(const std::string& user, const std::string& client,
                      const std::string& resource) {
    Reply reply = Call(user, "POST", "/clients/" + client + "/grants",
                       {{"resource", resource},
                        {"login", "admin"},
                        {"reason", "maintenance"},
                        {"ticket", "T-1"},
                        {"duration_seconds", 1800}});
    EXPECT_EQ(reply.status, 201) << reply.body.dump();
    return reply.body["id"].get<std::string>();
  }

  static std::string* dir_;
  static std::string* data_;
  static std::map<std::string, std::string>* tokens_;
  static RunningServer* server_;
  static std::string* olivia_totp_;  // base32
};
std::string* ApiTest::olivia_totp_ = nullptr;
std::string* ApiTest::dir_ = nullptr;
std::string* ApiTest::data_ = nullptr;
std::map<std::string, std::string>* ApiTest::tokens_ = nullptr;
RunningServer* ApiTest::server_ = nullptr;

TEST_F(ApiTest, RequestsNeedAValidToken) {
  EXPECT_EQ(Call("", "GET", "/me").status, 401);
  client::HttpClient http(server_->host(), server_->port());
  EXPECT_EQ(http.Request("GET", "/api/v1/me", "", {{"Authorization", "Bearer qt_forged"}})->status,
            401);
  EXPECT_EQ(Call("ana", "GET", "/me").body["role"], "technician");
  EXPECT_EQ(Call("ana", "POST", "/clients/acme/grants", Json::parse("[1]")).status, 400);
  client::HttpClient raw(server_->host(), server_->port());
  EXPECT_EQ(raw.Request("POST", "/api/v1/clients/acme/grants", "{not json",
                        {{"Authorization", "Bearer " + tokens_->at("ana")}})
                ->status,
            400);
  EXPECT_EQ(raw.Request("POST", "/api/v1/clients/acme/grants", std::string(70000, ' '),
                        {{"Authorization", "Bearer " + tokens_->at("ana")}})
                ->status,
            400);
}

TEST_F(ApiTest, OwnerApprovesWithHerOwnKey) {
  FakeRandom random(12);
  const access::OwnerSigner olivia = access::OwnerSigner::Generate(random);
  Reply registered = Call("olivia", "POST", "/owner-keys",
                          {{"public_key", Base64Encode(olivia.key().public_key)}});
  ASSERT_EQ(registered.status, 201) << registered.body.dump();
  const std::string id = Request("ana", "acme", "mail");
  Reply pending = Call("olivia", "GET", "/clients/acme/grants/" + id);
  ASSERT_EQ(pending.body["state"], "pending");
  const std::string request = pending.body["request"].get<std::string>();
  const Json approval = {
      {"key_id", olivia.key().Id()},
      {"signature", Base64Encode(olivia.Sign(access::OwnerDecision::kApprove, request))}};
  EXPECT_EQ(Call("ana", "POST", "/clients/acme/grants/" + id + "/approve", approval).status, 403);
  EXPECT_EQ(Call("pat", "POST", "/clients/acme/grants/" + id + "/approve", approval).status, 403);
  EXPECT_EQ(Call("oscar", "POST", "/clients/acme/grants/" + id + "/approve", approval).status, 404);
  Reply forged = Call("olivia", "POST", "/clients/acme/grants/" + id + "/approve",
                      {{"key_id", olivia.key().Id()}, {"signature", Base64Encode(Bytes(64, 7))}});
  EXPECT_EQ(forged.status, 401);
  Reply approved = Call("olivia", "POST", "/clients/acme/grants/" + id + "/approve", approval);
  ASSERT_EQ(approved.status, 200) << approved.body.dump();
  EXPECT_EQ(approved.body["state"], "approved");
  EXPECT_EQ(approved.body["live"], true);
  EXPECT_EQ(Call("olivia", "POST", "/clients/acme/grants/" + id + "/approve", approval).status,
            409);
}

TEST_F(ApiTest, BrowserSessionsUseACookieAndACsrfToken) {
  client::HttpClient http(server_->host(), server_->port());
  auto signed_in = http.Request(
      "POST", "/api/v1/sessions",
      R"({"user":"olivia","password":"correct horse battery","code":")" + OliviaCode() + "\"}");
  ASSERT_TRUE(signed_in.ok());
  ASSERT_EQ(signed_in->status, 201) << signed_in->body;
  const Json session = Json::parse(signed_in->body);
  const std::string cookie = "quartet_session=" + session["token"].get<std::string>();
  EXPECT_EQ(http.Request("GET", "/api/v1/me", "", {{"Cookie", cookie}})->status, 200);
  const std::string body = R"({"verdict":"acknowledged"})";
  // A state-changing request with the cookie alone (what a forged cross-site form would send) is refused.
  EXPECT_EQ(
      http.Request("POST", "/api/v1/owner-keys", R"({"public_key":"AAAA"})", {{"Cookie", cookie}})
          ->status,
      403);
  EXPECT_EQ(http.Request("POST", "/api/v1/owner-keys", R"({"public_key":"AAAA"})",
                         {{"Cookie", cookie}, {"X-CSRF-Token", "csrf_wrong"}})
                ->status,
            403);
  // With the session's CSRF token it goes through to the real check (here: a malformed key).
  EXPECT_EQ(http.Request("POST", "/api/v1/owner-keys", R"({"public_key":"AAAA"})",
                         {{"Cookie", cookie}, {"X-CSRF-Token", session["csrf"].get<std::string>()}})
                ->status,
            400);
  auto out =
      http.Request("DELETE", "/api/v1/sessions", "",
                   {{"Cookie", cookie}, {"X-CSRF-Token", session["csrf"].get<std::string>()}});
  EXPECT_EQ(out->status, 200);
  EXPECT_EQ(http.Request("GET", "/api/v1/me", "", {{"Cookie", cookie}})->status, 401);
}

TEST_F(ApiTest, TheProviderInvitesTheClientsPeopleButNeverChoosesTheirSecrets) {
  const Json with_password = {{"user", "eve"},
                              {"role", "owner"},
                              {"client", "acme"},
                              {"password", "a long enough password"}};
  Reply refused = Call("pat", "POST", "/people", with_password);
  EXPECT_EQ(refused.status, 400) << refused.body.dump();
  Reply invited =
      Call("pat", "POST", "/people", {{"user", "eve"}, {"role", "owner"}, {"client", "acme"}});
  ASSERT_EQ(invited.status, 201) << invited.body.dump();
  EXPECT_FALSE(invited.body.contains("totp_uri"));
  const std::string code = invited.body["invitation"].get<std::string>();
  EXPECT_EQ(invited.body["invitation_url"], "/#/invitation/" + code);
  // Eve accepts it herself, once.
  client::HttpClient http(server_->host(), server_->port());
  const std::string accept =
      CanonicalJsonOf({{"code", code}, {"password", "eve's own passphrase"}});
  auto accepted = http.Request("POST", "/api/v1/invitations", accept);
  ASSERT_TRUE(accepted.ok());
  ASSERT_EQ(accepted->status, 200) << accepted->body;
  EXPECT_NE(accepted->body.find("otpauth://"), std::string::npos);
  EXPECT_EQ(http.Request("POST", "/api/v1/invitations", accept)->status, 401);
  // Nobody else sets her password: not the admin's API, not its command on the data folder.
  WriteTextFile(*dir_ + "/chosen", "chosen by the provider\n");
  auto password =
      RunProcess({QuartetBinary(), "admin", "--data", *data_, "user", "password", "--name", "eve"},
                 *dir_ + "/chosen");
  EXPECT_NE(password.status, 0);
  auto totp =
      RunProcess({QuartetBinary(), "admin", "--data", *data_, "user", "totp", "--name", "eve"});
  EXPECT_NE(totp.status, 0);
}

TEST_F(ApiTest, LoginCommandPrintsAWorkingToken) {
  WriteTextFile(*dir_ + "/login", "correct horse battery\n" + OliviaCode() + "\n");
  auto login = RunProcess(
      {QuartetBinary(), "--server", server_->url(), "login", "--user", "olivia"}, *dir_ + "/login");
  ASSERT_EQ(login.status, 0) << login.err;
  const std::string token = login.out.substr(0, login.out.find('\n'));
  auto grants =
      RunProcess({QuartetBinary(), "--server", server_->url(), "--token", token, "grants"});
  EXPECT_EQ(grants.status, 0) << grants.err;
  WriteTextFile(*dir_ + "/login", "wrong horse battery\n\n");
  auto refused = RunProcess(
      {QuartetBinary(), "--server", server_->url(), "login", "--user", "olivia"}, *dir_ + "/login");
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("wrong user name, password or code"), std::string::npos)
      << refused.err;
}

TEST_F(ApiTest, TheOwnerStartsTheTrustChainFromTheCommandLine) {
  auto quartet = [&](const std::string& user, std::vector<std::string> args) {
    std::vector<std::string> argv = {QuartetBinary(), "--server", server_->url(), "--token",
                                     tokens_->at(user)};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  };
  const std::string key = *dir_ + "/trust-olivia.key";
  const std::string recovery = *dir_ + "/trust-recovery.key";
  const std::string provider_key = *dir_ + "/trust-pat.key";
  ASSERT_EQ(RunProcess({QuartetBinary(), "owner-key", "create", "--out", key}).status, 0);
  ASSERT_EQ(RunProcess({QuartetBinary(), "owner-key", "create", "--out", provider_key}).status, 0);
  // The provider's side cannot found the client's chain with a key of its own.
  auto refused = quartet("pat", {"trust", "init", "--client", "acme", "--key", provider_key,
                                 "--recovery-out", *dir_ + "/trust-pat-recovery.key"});
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("only an owner of the client"), std::string::npos) << refused.err;

  auto init = quartet("olivia", {"trust", "init", "--key", key, "--recovery-out", recovery,
                                 "--device-name", "laptop"});
  ASSERT_EQ(init.status, 0) << init.err;
  EXPECT_NE(init.out.find("1 owner, 1 device; a change needs 1 owner's signature"),
            std::string::npos)
      << init.out;
  EXPECT_EQ(std::filesystem::status(recovery).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(quartet("olivia", {"trust", "init", "--key", key, "--recovery-out", recovery}).status,
            1);
  // The client's auditor checks it on her own side; another client's owner sees nothing.
  auto shown = quartet("audrey", {"trust", "show"});
  ASSERT_EQ(shown.status, 0) << shown.err;
  EXPECT_NE(shown.out.find("olivia: laptop"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("No agent confirmed yet"), std::string::npos) << shown.out;
  EXPECT_EQ(quartet("oscar", {"trust", "show", "--client", "acme"}).status, 1);
}

TEST_F(ApiTest, TheOwnersCodeTellsTheAgentWhoFoundsTheTrustChain) {
  const std::string key = *dir_ + "/pin-oscar.key";
  ASSERT_EQ(RunProcess({QuartetBinary(), "owner-key", "create", "--out", key}).status, 0);
  auto invited = RunProcess({QuartetBinary(), "--server", server_->url(), "--token",
                             tokens_->at("oscar"), "agent", "invite", "--key", key});
  ASSERT_EQ(invited.status, 0) << invited.err;
  const std::string code = invited.out.substr(0, invited.out.find('\n'));
  const size_t dot = code.find('.');
  ASSERT_NE(dot, std::string::npos) << code;
  const std::string founder = code.substr(dot + 1);
  EXPECT_EQ(founder.size(), 16u);
  // A code whose owner part was tampered with is refused before it is spent.
  const std::string agent = *dir_ + "/pin-agent";
  auto tampered = RunProcess({QuartetBinary(), "agent", "enrol", "--server", server_->url(),
                              "--code", code.substr(0, dot) + ".xyz", "--data", agent});
  EXPECT_EQ(tampered.status, 1);
  auto enrolled = RunProcess({QuartetBinary(), "agent", "enrol", "--server", server_->url(),
                              "--code", code, "--data", agent});
  ASSERT_EQ(enrolled.status, 0) << enrolled.err;
  EXPECT_NE(enrolled.out.find("confirmed by owner key " + founder + " only"), std::string::npos)
      << enrolled.out;
}

TEST_F(ApiTest, GrantListsFilterAndPage) {
  for (int i = 0; i < 3; ++i) Request("ana", "acme", "mail");
  Reply first = Call("olivia", "GET", "/clients/acme/grants?state=pending&limit=2");
  ASSERT_EQ(first.status, 200) << first.body.dump();
  ASSERT_EQ(first.body["grants"].size(), 2u);
  for (const Json& grant : first.body["grants"]) EXPECT_EQ(grant["state"], "pending");
  ASSERT_TRUE(first.body.contains("next"));
  Reply second = Call(
      "olivia", "GET",
      "/clients/acme/grants?state=pending&limit=2&before=" + first.body["next"].get<std::string>());
  ASSERT_EQ(second.status, 200);
  ASSERT_GE(second.body["grants"].size(), 1u);
  EXPECT_NE(second.body["grants"][0]["id"], first.body["grants"][1]["id"]);
  EXPECT_EQ(Call("olivia", "GET", "/clients/acme/grants?limit=0").status, 400);
  EXPECT_EQ(Call("olivia", "GET", "/clients/acme/grants?before=yesterday").status, 400);
  EXPECT_EQ(Call("olivia", "GET", "/clients/acme/grants?state=sleeping").status, 400);
  EXPECT_EQ(Call("olivia", "GET", "/clients/acme/grants?colour=red").status, 400);
}

TEST_F(ApiTest, PolicyProposalsNeedTheOwnersAcceptance) {
  const Json proposal_body = {
      {"policy",
       Json::parse(R"({"rules":[],"fallback":"ask-owners","max_duration_seconds":3600})")},
      {"note", "one hour at most"}};
  EXPECT_EQ(Call("olivia", "POST", "/clients/acme/policy/proposals", proposal_body).status, 403);
  EXPECT_EQ(Call("ben", "POST", "/clients/acme/policy/proposals", proposal_body).status, 404);
  Reply proposed = Call("ana", "POST", "/clients/acme/policy/proposals", proposal_body);
  ASSERT_EQ(proposed.status, 201) << proposed.body.dump();
  const std::string accept =
      "/clients/acme/policy/proposals/" + proposed.body["proposal"].get<std::string>() + "/accept";
  EXPECT_EQ(Call("pat", "POST", accept).status, 403);
  EXPECT_EQ(Call("oscar", "POST", accept).status, 403);
  Reply accepted = Call("olivia", "POST", accept);
  ASSERT_EQ(accepted.status, 200) << accepted.body.dump();
  EXPECT_EQ(accepted.body["policy"]["max_duration_seconds"], 3600);
}

TEST_F(ApiTest, RepeatedFailedSignInsAreThrottled) {
  client::HttpClient http(server_->host(), server_->port());
  std::vector<int> statuses;
  for (int i = 0; i < 8; ++i) {
    statuses.push_back(http.Request("POST", "/api/v1/sessions",
                                    R"({"user":"audrey","password":"guess number one"})")
                           ->status);
  }
  EXPECT_EQ(statuses.front(), 401);
  EXPECT_EQ(statuses.back(), 429);
  // Provider staff without a second factor cannot sign in with a password alone.
  EXPECT_NE(
      http.Request("POST", "/api/v1/sessions", R"({"user":"ana","password":"whatever it is"})")
          ->status,
      201);
}

// Every route, every role, against acme's grant: own client, other client, no relationship.
// A client's published log is its own: its owners and auditors read it, and read tokens its owners
// make; nobody else learns even whether it exists.
TEST_F(ApiTest, ALogIsReadOnlyByItsClientsPeopleAndReadTokens) {
  auto get = [&](const std::string& path, const std::string& credential) {
    client::HttpClient http(server_->host(), server_->port());
    std::map<std::string, std::string> headers;
    if (!credential.empty()) headers["Authorization"] = "Bearer " + credential;
    auto reply = http.Request("GET", path, "", headers);
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? *reply : client::HttpResult{};
  };
  for (const std::string path : {"/logs/acme/checkpoint", "/logs/acme/tile/entries/000.p/1",
                                 "/logs/nobody/checkpoint", "/logs/beta/tile/0/000.p/1"}) {
    const auto anonymous = get(path, "");
    EXPECT_EQ(anonymous.status, 401) << path;
    EXPECT_NE(anonymous.body.find("Bearer"), std::string::npos) << anonymous.body;
  }
  EXPECT_EQ(get("/logs/acme/checkpoint", "qt_not-a-token").status, 401);
  // The client's owner and auditor read it.
  for (const char* user : {"olivia", "audrey"}) {
    const auto read = get("/logs/acme/checkpoint", tokens_->at(user));
    EXPECT_EQ(read.status, 200) << user << ": " << read.body;
  }
  // Everyone else gets what a log that does not exist gets.
  const auto unknown = get("/logs/nobody/checkpoint", tokens_->at("olivia"));
  EXPECT_EQ(unknown.status, 404);
  for (const char* user : {"oscar", "pat", "ana", "ben", "sam"}) {
    const auto refused = get("/logs/acme/checkpoint", tokens_->at(user));
    EXPECT_EQ(refused.status, unknown.status) << user;
    EXPECT_EQ(refused.body, unknown.body) << user;
  }
  // A read token, made by the owner for an outside verifier: it reads this log and no other, and
  // nothing once revoked. Each making and revoking is in the client's log.
  Reply made = Call("olivia", "POST", "/clients/acme/log/tokens",
                    {{"name", "accountant"}, {"expires_at", std::time(nullptr) + 3600}});
  ASSERT_EQ(made.status, 201) << made.body.dump();
  const std::string token = made.body["token"].get<std::string>();
  EXPECT_TRUE(token.starts_with("ql_"));
  EXPECT_EQ(get("/logs/acme/checkpoint", token).status, 200);
  EXPECT_EQ(get("/logs/beta/checkpoint", token).status, 404);
  EXPECT_EQ(Call("audrey", "POST", "/clients/acme/log/tokens", {{"expires_at", 1}}).status, 403);
  EXPECT_EQ(
      Call("pat", "POST", "/clients/acme/log/tokens", {{"expires_at", std::time(nullptr) + 3600}})
          .status,
      403);
  EXPECT_EQ(Call("oscar", "GET", "/clients/acme/log/tokens").status, 404);
  Reply listed = Call("audrey", "GET", "/clients/acme/log/tokens");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body["tokens"].size(), 1u);
  EXPECT_FALSE(listed.body["tokens"][0].contains("token"));
  const std::string id = listed.body["tokens"][0]["id"].get<std::string>();
  EXPECT_EQ(Call("olivia", "DELETE", "/clients/acme/log/tokens/" + id).status, 200);
  EXPECT_EQ(get("/logs/acme/checkpoint", token).status, 401);
  // The timeline's index follows the log in the background.
  std::string entries;
  EXPECT_TRUE(WaitFor(
      [&] {
        Reply events = Call("olivia", "GET", "/clients/acme/events?limit=500");
        entries.clear();
        for (const Json& event : events.body["events"])
          entries += event["entry"].get<std::string>() + "\n";
        return entries.find("\"log.token_revoked\"") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << entries;
  EXPECT_NE(entries.find("\"log.token_created\""), std::string::npos) << entries;
  // The owner may publish the log for anyone; then it is cached publicly, and she may take it back.
  EXPECT_EQ(Call("pat", "PUT", "/clients/acme/log/visibility", {{"open", true}}).status, 403);
  EXPECT_EQ(Call("olivia", "PUT", "/clients/acme/log/visibility", {{"open", true}}).status, 200);
  const auto open = get("/logs/acme/checkpoint", "");
  EXPECT_EQ(open.status, 200);
  EXPECT_EQ(get("/logs/beta/checkpoint", "").status, 401);
  EXPECT_EQ(Call("olivia", "PUT", "/clients/acme/log/visibility", {{"open", false}}).status, 200);
  EXPECT_EQ(get("/logs/acme/checkpoint", "").status, 401);
}

TEST_F(ApiTest, TenantIsolationMatrix) {
  const std::string grant = Request("ana", "acme", "fileserver");
  const std::string g = "/clients/acme/grants/" + grant;
  const Json policy = Json::parse(R"({"rules":[],"fallback":"ask-owners"})");
  struct Route {
    std::string method, path;
    Json body;
  };
  const std::vector<Route> routes = {
      {"GET", "/clients/acme/grants", Json()},
      {"GET", g, Json()},
      {"GET", "/clients/acme/policy", Json()},
      {"POST",
       "/clients/acme/grants",
       {{"resource", "fileserver"}, {"login", "admin"}, {"reason", "x"}, {"duration_seconds", 60}}},
      {"POST", g + "/revoke", {{"reason", "matrix"}}},
      {"PUT", "/clients/acme/policy", policy},
  };
  // Expected status per user and route (same order). pat: provider admin; ana: related technician;
  // ben: technician of another client; olivia: acme's owner; oscar: another client's owner;
  // audrey: acme's auditor; sam: acme's staff.
  const std::map<std::string, std::vector<int>> expected = {
      {"ben", {404, 404, 404, 404, 403, 403}},    {"oscar", {404, 404, 404, 403, 404, 403}},
      {"audrey", {200, 200, 200, 403, 403, 403}}, {"sam", {200, 200, 200, 403, 403, 403}},
      {"ana", {200, 200, 200, 201, 403, 403}},    {"pat", {200, 200, 200, 404, 200, 403}},
      {"olivia", {200, 200, 200, 403, 409, 200}},
  };
  // Ordered so that state-changing calls that succeed come last.
  for (const char* user : {"ben", "oscar", "audrey", "sam", "ana", "pat", "olivia"}) {
    for (size_t i = 0; i < routes.size(); ++i) {
      Reply reply = Call(user, routes[i].method, routes[i].path, routes[i].body);
      EXPECT_EQ(reply.status, expected.at(user)[i])
          << user << " " << routes[i].method << " " << routes[i].path << " -> "
          << reply.body.dump();
    }
  }
  // The grant routes that remain, against a fresh pending request and a fresh break-glass grant.
  const std::string pending = Request("ana", "acme", "mail");
  Reply opened = Call("ana", "POST", "/clients/acme/grants",
                      {{"resource", "fileserver"},
                       {"login", "admin"},
                       {"reason", "outage"},
                       {"duration_seconds", 600},
                       {"breakglass", true}});
  ASSERT_EQ(opened.status, 201);
  const std::string breakglass = opened.body["id"].get<std::string>();
  const Json signature = {{"key_id", "0000000000000000"},
                          {"signature", Base64Encode(Bytes(64, 1))}};
  const std::string technician_key =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP6IU5wQfLMxk/naBBJRHkm7syk0xjtqB9u//PoJnQ+N";
  struct Case {
    std::string method, path;
    Json body;
    std::map<std::string, int> expected;
  };
  const std::vector<Case> cases = {
      // Only acme's owner gets past the role and tenant checks; then the unregistered key fails.
      {"POST",
       "/clients/acme/grants/" + pending + "/approve",
       signature,
       {{"ben", 403},
        {"oscar", 404},
        {"audrey", 403},
        {"sam", 403},
        {"ana", 403},
        {"pat", 403},
        {"olivia", 401}}},
      {"POST",
       "/clients/acme/grants/" + pending + "/deny",
       signature,
       {{"ben", 403},
        {"oscar", 404},
        {"audrey", 403},
        {"sam", 403},
        {"ana", 403},
        {"pat", 403},
        {"olivia", 401}}},
      {"POST",
       "/clients/acme/grants/" + breakglass + "/review",
       {{"verdict", "acknowledged"}},
       {{"ben", 403},
        {"oscar", 404},
        {"audrey", 403},
        {"sam", 403},
        {"ana", 403},
        {"pat", 403},
        {"olivia", 200}}},
      // The client's agent: its health, enrolment codes (an owner's), certificates (the grant's
      // technician's; acme has no agent yet), and the agent's own routes (no person's token works).
      {"GET",
       "/clients/acme/agent",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 200},
        {"sam", 200},
        {"ana", 200},
        {"pat", 200},
        {"olivia", 200}}},
      {"POST",
       "/clients/acme/agent/enrolment-codes",
       Json::object(),
       {{"ben", 403},
        {"oscar", 404},
        {"audrey", 403},
        {"sam", 403},
        {"ana", 403},
        {"pat", 403},
        {"olivia", 201}}},
      {"POST",
       "/clients/acme/grants/" + breakglass + "/certificates",
       {{"public_key", technician_key}},
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 403},
        {"olivia", 403},
        {"ana", 409}}},
      {"GET",
       "/clients/acme/certificates/c0000000000000000",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 404},
        {"sam", 404},
        {"pat", 404},
        {"olivia", 404},
        {"ana", 404}}},
      {"GET",
       "/agent/work?witnessed=0",
       Json(),
       {{"ben", 401},
        {"oscar", 401},
        {"audrey", 401},
        {"sam", 401},
        {"pat", 401},
        {"olivia", 401},
        {"ana", 401}}},
      {"GET",
       "/agent/credentials",
       Json(),
       {{"ben", 401},
        {"oscar", 401},
        {"audrey", 401},
        {"sam", 401},
        {"pat", 401},
        {"olivia", 401},
        {"ana", 401}}},
      {"POST",
       "/agent/rotations",
       {{"resource", "fileserver"},
        {"name", "root"},
        {"version", 2},
        {"grant", "g"},
        {"failed", "x"}},
       {{"ben", 401},
        {"oscar", 401},
        {"audrey", 401},
        {"sam", 401},
        {"pat", 401},
        {"olivia", 401},
        {"ana", 401}}},
      {"POST",
       "/agent/reveals/r0000000000000000",
       {{"refused", "no"}},
       {{"ben", 401},
        {"oscar", 401},
        {"audrey", 401},
        {"sam", 401},
        {"pat", 401},
        {"olivia", 401},
        {"ana", 401}}},
      // Ending is the requesting technician's alone (ana's comes last: it succeeds).
      {"POST",
       "/clients/acme/grants/" + breakglass + "/end",
       Json::object(),
       {{"ben", 404},
        {"oscar", 403},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 404},
        {"olivia", 403},
        {"ana", 200}}},
      {"POST",
       "/owner-keys",
       {{"public_key", Base64Encode(Bytes(32, 0))}},
       {{"ben", 403},
        {"audrey", 403},
        {"sam", 403},
        {"ana", 403},
        {"pat", 403},
        {"oscar", 400},
        {"olivia", 400}}},
      // The client's trust chain (acme's owner founded it above): anyone of the client reads it;
      // only its owners offer and claim links and acknowledge a recovery (here: a statement that
      // is not one, a code nobody made, a position that is the genesis).
      {"GET",
       "/clients/acme/trust",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 200},
        {"sam", 200},
        {"pat", 200},
        {"olivia", 200},
        {"ana", 200}}},
      // Who reads the client's log: its owners make and revoke read tokens and choose whether the
      // log is open; its auditors list the tokens too.
      {"GET",
       "/clients/acme/log/tokens",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 200},
        {"sam", 403},
        {"pat", 403},
        {"olivia", 200},
        {"ana", 403}}},
      {"POST",
       "/clients/acme/log/tokens",
       {{"name", "matrix"}, {"expires_at", std::time(nullptr) + 3600}},
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 403},
        {"ana", 403},
        {"olivia", 201}}},
      {"DELETE",
       "/clients/acme/log/tokens/0000000000000000",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 403},
        {"ana", 403},
        {"olivia", 404}}},
      {"GET",
       "/clients/acme/log/visibility",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 200},
        {"sam", 200},
        {"pat", 200},
        {"olivia", 200},
        {"ana", 200}}},
      {"PUT",
       "/clients/acme/log/visibility",
       {{"open", false}},
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 403},
        {"ana", 403},
        {"olivia", 200}}},
      {"GET",
       "/clients/acme/trust/pending",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 200},
        {"sam", 200},
        {"pat", 200},
        {"olivia", 200},
        {"ana", 200}}},
      {"POST",
       "/clients/acme/trust/links",
       {{"statement", "{}"}},
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 403},
        {"olivia", 400},
        {"ana", 403}}},
      {"GET",
       "/clients/acme/trust/links/ABCDE-FGHJK",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 403},
        {"olivia", 404},
        {"ana", 403}}},
      {"POST",
       "/clients/acme/trust/recovery-acknowledgements",
       {{"seq", 0}},
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 403},
        {"olivia", 404},
        {"ana", 403}}},
      // What the dashboard reads: the client, its timeline and the timeline's filters.
      {"GET",
       "/clients/acme",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 200},
        {"sam", 200},
        {"pat", 200},
        {"olivia", 200},
        {"ana", 200}}},
      {"GET",
       "/clients/acme/events?limit=500",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 200},
        {"sam", 200},
        {"pat", 200},
        {"olivia", 200},
        {"ana", 200}}},
      {"GET",
       "/clients/acme/event-facets",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 200},
        {"sam", 200},
        {"pat", 200},
        {"olivia", 200},
        {"ana", 200}}},
      {"GET",
       "/clients/acme/policy/proposals",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 200},
        {"sam", 200},
        {"pat", 200},
        {"olivia", 200},
        {"ana", 200}}},
      {"GET",
       "/clients",
       Json(),
       {{"ben", 200},
        {"oscar", 200},
        {"audrey", 200},
        {"sam", 200},
        {"pat", 200},
        {"olivia", 200},
        {"ana", 200}}},
      // The provider admin's routes.
      {"GET",
       "/staff",
       Json(),
       {{"ben", 403},
        {"oscar", 403},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 200},
        {"olivia", 403},
        {"ana", 403}}},
      {"POST",
       "/clients",
       {{"tenant", "gamma"}, {"name", "Gamma"}, {"time_zone", "UTC"}},
       {{"ben", 403},
        {"oscar", 403},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 201},
        {"olivia", 403},
        {"ana", 403}}},
      {"POST",
       "/clients/acme/resources",
       {{"name", "router"}, {"kind", "network-device"}},
       {{"ben", 403},
        {"oscar", 403},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 201},
        {"olivia", 403},
        {"ana", 403}}},
      {"POST",
       "/people",
       {{"user", "zed"}, {"role", "technician"}, {"password", "a long enough password"}},
       {{"ben", 403},
        {"oscar", 403},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 201},
        {"olivia", 403},
        {"ana", 403}}},
      {"POST",
       "/people/zed/offboard",
       Json::object(),
       {{"ben", 403},
        {"oscar", 403},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 200},
        {"olivia", 403},
        {"ana", 403}}},
      // Credentials: anyone who may see the client lists them; only its owners and the
      // provider's admins store one (here refused further on: no agent is confirmed to seal to).
      {"GET",
       "/clients/acme/credentials",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 200},
        {"sam", 200},
        {"pat", 200},
        {"olivia", 200},
        {"ana", 200}}},
      {"POST",
       "/clients/acme/credentials",
       {{"resource", "fileserver"},
        {"name", "root"},
        {"version", 1},
        {"commitment", std::string(64, 'a')},
        {"sealed",
         {{"enc", Base64Encode(Bytes(32, 9))},
          {"ciphertext", Base64Encode(Bytes(40, 7))},
          {"sealed_to", Base64Encode(Bytes(32, 9))}}}},
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 409},
        {"olivia", 409},
        {"ana", 403}}},
      // Reveals: only the technician of a reveal-credential grant asks (ana's is a login).
      {"POST",
       g + "/reveals",
       {{"public_key", Base64Encode(Bytes(32, 9))}},
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 403},
        {"olivia", 403},
        {"ana", 409}}},
      {"GET",
       "/clients/acme/reveals/r0000000000000000",
       Json(),
       {{"ben", 404},
        {"oscar", 404},
        {"audrey", 404},
        {"sam", 404},
        {"pat", 404},
        {"olivia", 404},
        {"ana", 404}}},
      // Last: it relates ben to acme.
      {"POST",
       "/clients/acme/technicians",
       {{"technician", "ben"}},
       {{"ben", 403},
        {"oscar", 403},
        {"audrey", 403},
        {"sam", 403},
        {"pat", 201},
        {"olivia", 403},
        {"ana", 403}}},
  };
  for (const Case& c : cases) {
    for (const char* user : {"ben", "oscar", "audrey", "sam", "pat", "olivia", "ana"}) {
      Reply reply = Call(user, c.method, c.path, c.body);
      EXPECT_EQ(reply.status, c.expected.at(user))
          << user << " " << c.method << " " << c.path << " -> " << reply.body.dump();
    }
  }
  for (const char* user : {"ben", "oscar", "audrey", "sam", "pat", "olivia", "ana"}) {
    EXPECT_EQ(Call(user, "GET", "/me").status, 200) << user;
  }

  // No one of beta, and no technician without a relationship, learned anything about acme.
  EXPECT_EQ(Call("ben", "GET", "/clients/acme/grants").body.dump().find(grant), std::string::npos);
  EXPECT_EQ(Call("oscar", "GET", "/clients").body["clients"].size(), 1u);
  EXPECT_EQ(Call("oscar", "GET", "/clients").body["clients"][0]["tenant"], "beta");
  // A technician's timeline holds the events about them only: their grants, their relationship.
  Reply timeline = Call("ana", "GET", "/clients/acme/events?limit=500");
  ASSERT_FALSE(timeline.body["events"].empty());
  for (const Json& item : timeline.body["events"]) {
    const Json event = Json::parse(item["entry"].get<std::string>());
    if (!event.contains("grant")) {
      EXPECT_EQ(event["technician"], "ana") << event.dump();
      continue;
    }
    const Json grant_view =
        Call("ana", "GET", "/clients/acme/grants/" + event["grant"].get<std::string>()).body;
    EXPECT_EQ(grant_view["technician"], "ana") << event.dump();
  }
  EXPECT_LT(timeline.body["events"].size(),
            Call("olivia", "GET", "/clients/acme/events?limit=500").body["events"].size());
}

}  // namespace
}  // namespace quartet::testing

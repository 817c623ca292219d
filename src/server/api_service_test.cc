// The API in process: HttpRequest values through ApiService::Handle, on a real data folder with a
// fake clock. Every route of the table is probed as someone who may not see the client.
#include "server/api_service.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "access/approval.h"
#include "access/policy.h"
#include "base/json.h"
#include "base/temp_directory_testing.h"
#include "identity/totp.h"
#include "server/api/routes.h"
#include "trust/chain.h"

namespace quartet::server {
namespace {

// Wednesday 2026-07-01 10:00 UTC: business hours.
const auto kStart = std::chrono::system_clock::time_point(std::chrono::seconds(1782900000));

class ApiServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = std::move(*store::DataFolder::Open(directory_.path().string()));
    access_ = std::move(*governance::AccessService::Open(*folder_, clock_, random_));
    agents_ = std::move(*governance::AgentService::Open(
        access_->committer(), access_->permissions(), access_->grants(), access_->trust()));
    events_ = std::move(*governance::EventIndex::Open(*folder_));
    readers_ = std::make_unique<governance::LogReaders>(access_->committer(), access_->sessions(),
                                                        *agents_);
    api_ = std::make_unique<ApiService>(*access_, *agents_, *events_, *readers_, *folder_, clock_);

    auto& sessions = access_->sessions();
    auto& directory = access_->directory();
    ASSERT_TRUE(sessions.CreateProviderAdmin("pat").ok());
    const governance::Actor admin = *sessions.FindActor("pat");
    ASSERT_TRUE(directory.CreateClient(admin, "acme", "Acme", "UTC").ok());
    ASSERT_TRUE(directory.CreateClient(admin, "beta", "Beta", "UTC").ok());
    ASSERT_TRUE(directory.AddUser(admin, "ana", governance::Role::kTechnician, "").ok());
    ASSERT_TRUE(directory.AddUser(admin, "ben", governance::Role::kTechnician, "").ok());
    ASSERT_TRUE(directory.AddUser(admin, "olivia", governance::Role::kOwner, "acme").ok());
    ASSERT_TRUE(directory.AddUser(admin, "oscar", governance::Role::kOwner, "beta").ok());
    ASSERT_TRUE(directory.AddUser(admin, "audrey", governance::Role::kAuditor, "acme").ok());
    ASSERT_TRUE(directory.Relate(admin, "acme", "ana").ok());
    ASSERT_TRUE(directory.Relate(admin, "beta", "ben").ok());
    ASSERT_TRUE(
        directory.AddResource(admin, "acme", "fileserver", access::ResourceKind::kSshHost, 0).ok());
    for (const char* user : {"pat", "ana", "ben", "olivia", "oscar", "audrey"})
      tokens_[user] = *sessions.IssueToken(user, 3600);
    auto grant = access_->grants().RequestAccess(
        *sessions.FindActor("ana"), {"acme", "fileserver", access::Action::kLogin, "admin",
                                     "patching", "T-1", 3600, 0, false, ""});
    ASSERT_TRUE(grant.ok()) << grant.status().ToString();
    grant_ = grant->request.id;
  }

  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& user = "", const std::string& body = "") {
    HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.remote_address = "127.0.0.1";
    if (!body.empty()) request.headers["content-type"] = "application/json";
    if (!user.empty()) request.headers["authorization"] = "Bearer " + tokens_[user];
    return api_->Handle(request);
  }
  static Json BodyOf(const HttpResponse& response) {
    auto parsed = ParseJson(*response.body, "the reply");
    EXPECT_TRUE(parsed.ok()) << *response.body;
    return parsed.ok() ? *parsed : Json();
  }

  TempDirectory directory_{"quartet-api"};
  FakeClock clock_{kStart};
  FakeRandom random_{3};
  std::unique_ptr<store::DataFolder> folder_;
  std::unique_ptr<governance::AccessService> access_;
  std::unique_ptr<governance::AgentService> agents_;
  std::unique_ptr<governance::EventIndex> events_;
  std::unique_ptr<governance::LogReaders> readers_;
  std::unique_ptr<ApiService> api_;
  std::map<std::string, std::string> tokens_;
  std::string grant_;
};

TEST_F(ApiServiceTest, RoutesAnswerTheirMethodsOnly) {
  EXPECT_EQ(Send("GET", "/api/v1/nothing", "pat").status, 404);
  EXPECT_EQ(Send("GET", "/api/v2/clients", "pat").status, 404);
  EXPECT_EQ(Send("GET", "/api/v1/clients//grants", "pat").status, 404);
  EXPECT_EQ(Send("DELETE", "/api/v1/clients", "pat").status, 405);
  EXPECT_EQ(Send("PATCH", "/api/v1/clients/acme/policy", "olivia").status, 405);
  const HttpResponse me = Send("GET", "/api/v1/me", "olivia");
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(BodyOf(me)["role"], "owner");
  EXPECT_EQ(BodyOf(me)["client"], "acme");
}

TEST_F(ApiServiceTest, EveryPersonsRouteNeedsACredential) {
  for (const api::Route& route : api::AllRoutes()) {
    if (route.caller == api::Caller::kAnyone) continue;
    std::string path(route.pattern);
    for (size_t open; (open = path.find('{')) != std::string::npos;)
      path.replace(open, path.find('}', open) - open + 1, "x");
    SCOPED_TRACE(std::string(route.method) + " " + path);
    EXPECT_EQ(Send(std::string(route.method), path).status, 401);
    tokens_["nobody"] = "qt_not-a-token";
    EXPECT_EQ(Send(std::string(route.method), path, "nobody").status, 401);
  }
}

TEST_F(ApiServiceTest, AnotherClientsRoutesLookTheSameAsThoseOfNoClient) {
  // oscar owns beta; ben serves beta only. For each of them, acme's routes must answer exactly
  // as those of a client that does not exist: nothing tells them acme is there.
  for (const char* outsider : {"oscar", "ben"}) {
    for (const api::Route& route : api::AllRoutes()) {
      if (route.caller != api::Caller::kPerson ||
          route.pattern.find("{client}") == std::string_view::npos)
        continue;
      auto path_for = [&](const std::string& client) {
        std::string path(route.pattern);
        path.replace(path.find("{client}"), 8, client);
        for (const char* name : {"{grant}", "{proposal}", "{id}", "{code}"}) {
          if (size_t at = path.find(name); at != std::string::npos)
            path.replace(at, std::string_view(name).size(), grant_);
        }
        return path;
      };
      SCOPED_TRACE(std::string(outsider) + ": " + std::string(route.method) + " " +
                   path_for("acme"));
      const std::string body = R"({"resource":"fileserver","reason":"x","duration_seconds":600,
          "public_key":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
          "key_id":"k","signature":"AAAA","verdict":"disputed","name":"n","kind":"ssh-host",
          "technician":"ben"})";
      const HttpResponse real = Send(std::string(route.method), path_for("acme"), outsider, body);
      const HttpResponse none = Send(std::string(route.method), path_for("nope"), outsider, body);
      EXPECT_GE(real.status, 400);
      EXPECT_EQ(real.status, none.status);
      EXPECT_EQ(*real.body, *none.body);
    }
  }
}

TEST_F(ApiServiceTest, MalformedBodiesAreRefusedAndChangeNothing) {
  const std::string grants = "/api/v1/clients/acme/grants";
  auto count = [&] { return BodyOf(Send("GET", grants, "pat"))["grants"].size(); };
  const size_t before = count();
  for (const std::string& body : std::vector<std::string>{
           "not json", "[1,2]", "\"text\"", R"({"resource":7,"reason":"x","duration_seconds":60})",
           R"({"resource":"fileserver","reason":"x","duration_seconds":"60"})",
           R"({"resource":"fileserver","reason":"x","duration_seconds":60,"breakglass":"yes"})",
           R"({"resource":"fileserver","duration_seconds":60})", std::string(65 * 1024, ' ')}) {
    SCOPED_TRACE(body.substr(0, 80));
    const HttpResponse response = Send("POST", grants, "ana", body);
    EXPECT_EQ(response.status, 400);
    EXPECT_FALSE(BodyOf(response)["error"].get<std::string>().empty());
  }
  EXPECT_EQ(count(), before);
  // The same request, well formed, goes through.
  EXPECT_EQ(Send("POST", grants, "ana",
                 R"({"resource":"fileserver","reason":"x","duration_seconds":60,"login":"admin"})")
                .status,
            201);
  EXPECT_EQ(count(), before + 1);
}

// Olivia accepts an invitation with `password`: the sign-in body with her current TOTP code.
std::string AcceptedSignIn(governance::AccessService& access, FakeClock& clock,
                           const std::string& password) {
  auto invitation = access.sessions().Invite("olivia");
  EXPECT_TRUE(invitation.ok()) << invitation.status().ToString();
  auto accepted = access.sessions().AcceptInvitation(*invitation, password);
  EXPECT_TRUE(accepted.ok()) << accepted.status().ToString();
  const size_t at = accepted->totp_uri.find("secret=") + 7;
  const Bytes secret = *identity::Base32Decode(accepted->totp_uri.substr(at, 32));
  return CanonicalJsonOf(
      {{"user", "olivia"},
       {"password", password},
       {"code", identity::TotpCode(secret, clock.NowUnixSeconds(), identity::TotpParameters{})}});
}

TEST_F(ApiServiceTest, ABrowserSessionNeedsItsCsrfTokenToChangeAnything) {
  const HttpResponse signed_in =
      Send("POST", "/api/v1/sessions", "",
           AcceptedSignIn(*access_, clock_, "correct horse battery staple"));
  ASSERT_EQ(signed_in.status, 201) << *signed_in.body;
  const std::string cookie = signed_in.headers.at("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  const std::string session = cookie.substr(0, cookie.find(';'));
  const std::string csrf = BodyOf(signed_in)["csrf"].get<std::string>();

  auto with_cookie = [&](const std::string& method, const std::string& target,
                         const std::string& token) {
    HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = R"({"reason":"not needed"})";
    request.headers["cookie"] = "theme=dark; " + session;
    if (!token.empty()) request.headers["x-csrf-token"] = token;
    return api_->Handle(request);
  };
  EXPECT_EQ(with_cookie("GET", "/api/v1/me", "").status, 200);
  const std::string revoke = "/api/v1/clients/acme/grants/" + grant_ + "/revoke";
  EXPECT_EQ(with_cookie("POST", revoke, "").status, 403);
  EXPECT_EQ(with_cookie("POST", revoke, "csrf_wrong").status, 403);
  EXPECT_EQ(BodyOf(Send("GET", "/api/v1/clients/acme/grants/" + grant_, "olivia"))["state"],
            "approved");
  EXPECT_EQ(with_cookie("POST", revoke, csrf).status, 200);
  // Signed out, the cookie opens nothing.
  HttpRequest sign_out;
  sign_out.method = "DELETE";
  sign_out.target = "/api/v1/sessions";
  sign_out.headers["cookie"] = session;
  sign_out.headers["x-csrf-token"] = csrf;
  EXPECT_EQ(api_->Handle(sign_out).status, 200);
  EXPECT_EQ(with_cookie("GET", "/api/v1/me", "").status, 401);
}

// Another site's page can post a form to the sign-in route (a login CSRF); it is not JSON, and so
// not a sign-in.
TEST_F(ApiServiceTest, ASignInIsJsonOnly) {
  const std::string body = AcceptedSignIn(*access_, clock_, "correct horse battery staple");
  for (const char* type : {"application/x-www-form-urlencoded", "text/plain", ""}) {
    HttpRequest request;
    request.method = "POST";
    request.target = "/api/v1/sessions";
    request.body = body;
    request.remote_address = "127.0.0.1";
    if (*type != '\0') request.headers["content-type"] = type;
    const HttpResponse refused = api_->Handle(request);
    EXPECT_EQ(refused.status, 415) << type;
    EXPECT_EQ(refused.headers.count("Set-Cookie"), 0u) << type;
  }
}

// Wrong passwords sent all at once: only a few run argon2id at a time (64 MiB each), one per
// account, so each failure is counted before the account's next guess is hashed; the rest are told
// when to come back.
TEST_F(ApiServiceTest, ConcurrentGuessesHashOneAtATimePerAccount) {
  AcceptedSignIn(*access_, clock_, "correct horse battery staple");
  std::atomic<int> refused{0}, later{0};
  std::atomic<bool> retry_after{true};
  std::vector<std::thread> guessers;
  for (int i = 0; i < 8; ++i) {
    guessers.emplace_back([&, i] {
      const HttpResponse reply =
          Send("POST", "/api/v1/sessions", "",
               R"({"user":"olivia","password":"guess )" + std::to_string(i) + R"("})");
      if (reply.status == 401) ++refused;
      if (reply.status == 429) {
        ++later;
        if (!reply.headers.contains("Retry-After")) retry_after = false;
      }
    });
  }
  for (std::thread& guesser : guessers) guesser.join();
  EXPECT_EQ(refused + later, 8);
  EXPECT_GE(later.load(), 1);
  EXPECT_TRUE(retry_after.load());
}

// A technician (or one stolen account) cannot flood a client's log and its owners' inbox.
TEST_F(ApiServiceTest, RequestsAndProposalsAreLimitedPerTechnicianAndClient) {
  const std::string request =
      R"({"resource":"fileserver","login":"admin","reason":"patching","ticket":"T-1",)"
      R"("duration_seconds":600})";
  int made = 0;
  HttpResponse limited;
  for (int i = 0; i < 25; ++i) {
    HttpResponse reply = Send("POST", "/api/v1/clients/acme/grants", "ana", request);
    if (reply.status == 201) ++made;
    if (reply.status == 429) {
      limited = reply;
      break;
    }
  }
  EXPECT_EQ(made, 20);
  ASSERT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers.at("Retry-After"), "60");
  // A client the technician does not serve says so first, whatever the limits.
  EXPECT_EQ(Send("POST", "/api/v1/clients/beta/grants", "ana", request).status, 404);
  clock_.Advance(std::chrono::seconds(60));
  EXPECT_EQ(Send("POST", "/api/v1/clients/acme/grants", "ana", request).status, 201);
  EXPECT_EQ(Send("POST", "/api/v1/clients/acme/grants", "ana", request).status, 429);

  const std::string proposal =
      R"({"policy":)" + access::ToJson(access::Policy::SafeDefault("UTC")) + R"(,"note":"n"})";
  int proposed = 0;
  for (int i = 0; i < 6; ++i)
    proposed +=
        Send("POST", "/api/v1/clients/acme/policy/proposals", "ana", proposal).status == 201;
  EXPECT_EQ(proposed, 5);
  EXPECT_EQ(Send("POST", "/api/v1/clients/acme/policy/proposals", "ana", proposal).status, 429);
}

TEST_F(ApiServiceTest, WrongPasswordsAreThrottled) {
  AcceptedSignIn(*access_, clock_, "correct horse battery staple");
  int refused = 0, throttled = 0;
  for (int i = 0; i < 8; ++i) {
    const int status =
        Send("POST", "/api/v1/sessions", "", R"({"user":"olivia","password":"guess"})").status;
    refused += status == 401;
    throttled += status == 429;
  }
  EXPECT_EQ(refused, 6);
  EXPECT_EQ(throttled, 2);
  // Even the right password waits until the lockout has passed.
  const std::string right = R"({"user":"olivia","password":"correct horse battery staple"})";
  EXPECT_EQ(Send("POST", "/api/v1/sessions", "", right).status, 429);
  clock_.Advance(std::chrono::minutes(20));
  // Past the lockout the password is checked again (and her second factor asked for).
  EXPECT_EQ(Send("POST", "/api/v1/sessions", "", right).status, 401);
}

TEST_F(ApiServiceTest, TheAgentsRoutesTakeOnlyTheAgentsToken) {
  EXPECT_EQ(Send("GET", "/api/v1/agent/work?witnessed=0", "pat").status, 401);
  EXPECT_EQ(Send("POST", "/api/v1/agent/enrolment", "",
                 R"({"code":"qe_wrong","name":"a","witness_key":"x","ssh_ca_key":"y"})")
                .status,
            400);
  auto code = agents_->CreateEnrolmentCode(*access_->sessions().FindActor("olivia"), "acme");
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(Send("POST", "/api/v1/clients/acme/agent/enrolment-codes", "pat").status, 403);
  EXPECT_EQ(Send("POST", "/api/v1/clients/acme/agent/enrolment-codes", "olivia").status, 201);
}

TEST_F(ApiServiceTest, TheServerKeepsOnlyStatementsTheTrustChainAccepts) {
  const std::string trust = "/api/v1/clients/acme/trust";
  const access::OwnerSigner device = access::OwnerSigner::Generate(random_);
  const access::OwnerSigner recovery = access::OwnerSigner::Generate(random_);
  trust::Chain chain("acme");
  auto submit = [&](const std::string& kind, Json fields, std::vector<access::OwnerSigner> signers,
                    const std::string& user) {
    const std::string statement =
        trust::SignStatement(chain.NextBody(kind, std::move(fields), 1782900000), signers);
    const HttpResponse response =
        Send("POST", trust, user, CanonicalJsonOf({{"statement", statement}}));
    if (response.status == 201) {
      EXPECT_TRUE(chain.Apply(statement).ok());
    }
    return response;
  };
  const Json genesis = {{"owner", "olivia"},
                        {"device", trust::DeviceJson(device.key(), "laptop")},
                        {"recovery_key", Base64Encode(recovery.key().public_key)}};
  // A genesis not signed by the device it names is refused, even from the owner.
  const access::OwnerSigner provider_key = access::OwnerSigner::Generate(random_);
  EXPECT_EQ(submit("genesis", genesis, {provider_key}, "olivia").status, 401);
  // Or names its own key as the founding owner's device: only the client's owners found a chain.
  const Json provider_genesis = {{"owner", "olivia"},
                                 {"device", trust::DeviceJson(provider_key.key(), "laptop")},
                                 {"recovery_key", Base64Encode(recovery.key().public_key)}};
  EXPECT_EQ(submit("genesis", provider_genesis, {provider_key}, "pat").status, 403);
  EXPECT_EQ(submit("genesis", provider_genesis, {provider_key}, "ana").status, 403);
  // The owner's own device founds it.
  const HttpResponse founded = submit("genesis", genesis, {device}, "olivia");
  ASSERT_EQ(founded.status, 201) << *founded.body;
  EXPECT_EQ(BodyOf(founded)["chain"]["owners"]["olivia"].size(), 1u);
  // Nothing the chain does not sign is kept, whoever relays it.
  const Json policy = {{"policy", access::ToJson(access::Policy::SafeDefault("UTC"))}};
  EXPECT_EQ(submit("policy.signed", policy, {provider_key}, "pat").status, 401);
  EXPECT_EQ(submit("owner.added",
                   {{"owner", "mallory"}, {"device", trust::DeviceJson(provider_key.key(), "")}},
                   {provider_key}, "pat")
                .status,
            401);
  EXPECT_EQ(submit("policy.signed", policy, {device}, "olivia").status, 201);
  // Under the chain, the client's resources hold what the owners signed: everything until then.
  const Json described = BodyOf(Send("GET", "/api/v1/clients/acme", "olivia"));
  for (const Json& resource : described["resources"]) {
    EXPECT_FALSE(resource["signed"].get<bool>()) << resource.dump();
    EXPECT_EQ(resource["labels"].size(), 8u) << resource.dump();
  }
  // Another client's owner neither reads nor writes it.
  EXPECT_EQ(Send("GET", trust, "oscar").status, 404);
  const HttpResponse read = Send("GET", trust, "audrey");
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(BodyOf(read)["statements"].size(), 2u);
  EXPECT_TRUE(BodyOf(read)["chain"]["policy_signed"].get<bool>());
  // Each statement is an entry of the client's log.
  auto stored =
      trust::Chain::Replay("acme", BodyOf(read)["statements"].get<std::vector<std::string>>());
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->state().head, chain.state().head);
  std::vector<std::string> entries;
  ASSERT_TRUE(
      folder_->logs().ReadEntries("acme", 0, *folder_->logs().EntryCount("acme"), entries).ok());
  int logged = 0;
  for (const std::string& entry : entries)
    logged += entry.find("\"trust.statement\"") != std::string::npos;
  EXPECT_EQ(logged, 2);

  // From now on olivia decides with her chain's device; a key registered the old way does not.
  const governance::Actor admin = *access_->sessions().FindActor("pat");
  ASSERT_TRUE(access_->directory()
                  .AddResource(admin, "acme", "mail", access::ResourceKind::kMailbox,
                               static_cast<access::LabelSet>(access::Label::kEmail))
                  .ok());
  const access::OwnerSigner registered = access::OwnerSigner::Generate(random_);
  ASSERT_EQ(Send("POST", "/api/v1/owner-keys", "olivia",
                 CanonicalJsonOf({{"public_key", Base64Encode(registered.key().public_key)}}))
                .status,
            201);
  const HttpResponse asked =
      Send("POST", "/api/v1/clients/acme/grants", "ana",
           R"({"resource":"mail","action":"open-mailbox","reason":"x","duration_seconds":600})");
  ASSERT_EQ(asked.status, 201) << *asked.body;
  ASSERT_EQ(BodyOf(asked)["state"], "pending");
  const std::string id = BodyOf(asked)["id"].get<std::string>();
  const std::string request = BodyOf(asked)["request"].get<std::string>();
  auto approve = [&](const access::OwnerSigner& signer) {
    return Send(
        "POST", "/api/v1/clients/acme/grants/" + id + "/approve", "olivia",
        CanonicalJsonOf(
            {{"key_id", signer.key().Id()},
             {"signature", Base64Encode(signer.Sign(access::OwnerDecision::kApprove, request))}}));
  };
  EXPECT_EQ(approve(registered).status, 401);
  EXPECT_EQ(approve(device).status, 200);
}

TEST_F(ApiServiceTest, ALinkRelaysANewDeviceButOnlyTheOwnersDeviceMakesItJoin) {
  const std::string trust = "/api/v1/clients/acme/trust";
  const std::string links = trust + "/links";
  const access::OwnerSigner laptop = access::OwnerSigner::Generate(random_);
  const access::OwnerSigner recovery = access::OwnerSigner::Generate(random_);
  trust::Chain chain("acme");
  const std::string genesis = trust::SignStatement(
      chain.NextBody("genesis",
                     {{"owner", "olivia"},
                      {"device", trust::DeviceJson(laptop.key(), "laptop")},
                      {"recovery_key", Base64Encode(recovery.key().public_key)}},
                     1782900000),
      std::vector<access::OwnerSigner>{laptop});
  auto post = [&](const std::string& target, const std::string& user, const std::string& text) {
    return Send("POST", target, user, CanonicalJsonOf({{"statement", text}}));
  };
  // No chain, no link.
  const access::OwnerSigner phone = access::OwnerSigner::Generate(random_);
  auto offer_of = [&](const access::OwnerSigner& device, const std::string& owner) {
    return trust::SignStatement(
        chain.NextBody("device.added",
                       {{"owner", owner}, {"device", trust::DeviceJson(device.key(), "phone")}},
                       1782900000),
        std::vector<access::OwnerSigner>{device});
  };
  EXPECT_EQ(post(links, "olivia", offer_of(phone, "olivia")).status, 409);
  ASSERT_EQ(post(trust, "olivia", genesis).status, 201);
  ASSERT_TRUE(chain.Apply(genesis).ok());

  // Only the client's owners offer a link, for themselves; outsiders learn nothing of acme.
  const std::string offered = offer_of(phone, "olivia");
  for (const char* user : {"pat", "ana", "audrey"})
    EXPECT_EQ(post(links, user, offered).status, 403) << user;
  for (const char* user : {"oscar", "ben"}) {
    const HttpResponse real = post(links, user, offered);
    const HttpResponse none = post("/api/v1/clients/nope/trust/links", user, offered);
    EXPECT_EQ(real.status, 404) << user;
    EXPECT_EQ(*real.body, *none.body) << user;
  }
  // Not a device the phone signed alone, for the chain's head.
  EXPECT_EQ(post(links, "olivia", offer_of(phone, "oscar")).status, 409);
  EXPECT_EQ(post(links, "olivia",
                 trust::SignStatement(trust::Statement::Parse(offered)->body,
                                      std::vector<access::OwnerSigner>{laptop}))
                .status,
            400);
  const HttpResponse made = post(links, "olivia", offered);
  ASSERT_EQ(made.status, 201) << *made.body;
  const std::string code = BodyOf(made)["code"].get<std::string>();
  EXPECT_EQ(code.size(), 11u);
  EXPECT_EQ(BodyOf(made)["key_id"], phone.key().Id());
  EXPECT_EQ(BodyOf(made)["expires_at"], 1782900000 + 600);

  // Claimed by an owner of acme only, once.
  EXPECT_EQ(Send("GET", links + "/" + code, "pat").status, 403);
  EXPECT_EQ(Send("GET", links + "/" + code, "audrey").status, 403);
  const HttpResponse outsider = Send("GET", links + "/" + code, "oscar");
  EXPECT_EQ(outsider.status, 404);
  EXPECT_EQ(*outsider.body, *Send("GET", "/api/v1/clients/nope/trust/links/" + code, "oscar").body);
  EXPECT_EQ(Send("GET", links + "/WRONG-CODE0", "olivia").status, 404);
  std::string typed = code;
  typed.erase(typed.find('-'), 1);
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const HttpResponse claimed = Send("GET", links + "/" + typed, "olivia");
  ASSERT_EQ(claimed.status, 200) << *claimed.body;
  EXPECT_EQ(BodyOf(claimed)["statement"], offered);
  EXPECT_EQ(BodyOf(claimed)["offered_by"], "olivia");
  EXPECT_EQ(Send("GET", links + "/" + code, "olivia").status, 404);

  // What the server relayed counts for nothing by itself, nor with a key of the provider's; the
  // laptop's signature makes the phone join.
  EXPECT_EQ(post(trust, "olivia", offered).status, 401);
  const access::OwnerSigner provider_key = access::OwnerSigner::Generate(random_);
  EXPECT_EQ(post(trust, "pat", *trust::AddSignature(offered, provider_key)).status, 401);
  const std::string approved = *trust::AddSignature(offered, laptop);
  const HttpResponse joined = post(trust, "olivia", approved);
  ASSERT_EQ(joined.status, 201) << *joined.body;
  EXPECT_EQ(BodyOf(joined)["chain"]["owners"]["olivia"].size(), 2u);
  ASSERT_TRUE(chain.Apply(approved).ok());

  // A code lasts ten minutes.
  const access::OwnerSigner tablet = access::OwnerSigner::Generate(random_);
  const HttpResponse late = post(links, "olivia", offer_of(tablet, "olivia"));
  ASSERT_EQ(late.status, 201);
  clock_.Advance(std::chrono::minutes(11));
  EXPECT_EQ(Send("GET", links + "/" + BodyOf(late)["code"].get<std::string>(), "olivia").status,
            404);
  // Twenty may wait at once; the expired ones do not count.
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(
        post(links, "olivia", offer_of(access::OwnerSigner::Generate(random_), "olivia")).status,
        201);
  }
  EXPECT_EQ(
      post(links, "olivia", offer_of(access::OwnerSigner::Generate(random_), "olivia")).status,
      409);
  clock_.Advance(std::chrono::minutes(11));
  EXPECT_EQ(
      post(links, "olivia", offer_of(access::OwnerSigner::Generate(random_), "olivia")).status,
      201);
  // Offering and claiming are in the log.
  std::vector<std::string> entries;
  ASSERT_TRUE(
      folder_->logs().ReadEntries("acme", 0, *folder_->logs().EntryCount("acme"), entries).ok());
  int offers = 0, claims = 0;
  for (const std::string& entry : entries) {
    offers += entry.find("\"trust.link_offered\"") != std::string::npos;
    claims += entry.find("\"trust.link_claimed\"") != std::string::npos;
  }
  EXPECT_EQ(offers, 23);
  EXPECT_EQ(claims, 1);
}

TEST_F(ApiServiceTest, AUseOfTheRecoveryKeyIsToldToTheOwnersAndStaysUntilOneAcknowledgesIt) {
  const std::string trust = "/api/v1/clients/acme/trust";
  const std::string acknowledge = trust + "/recovery-acknowledgements";
  const governance::Actor admin = *access_->sessions().FindActor("pat");
  ASSERT_TRUE(access_->outbox().SetEmail(admin, "olivia", "olivia@acme.test").ok());
  const access::OwnerSigner laptop = access::OwnerSigner::Generate(random_);
  const access::OwnerSigner recovery = access::OwnerSigner::Generate(random_);
  const access::OwnerSigner fresh = access::OwnerSigner::Generate(random_);
  const access::OwnerSigner next = access::OwnerSigner::Generate(random_);
  trust::Chain chain("acme");
  auto submit = [&](const std::string& kind, Json fields,
                    std::vector<access::OwnerSigner> signers) {
    const std::string statement =
        trust::SignStatement(chain.NextBody(kind, std::move(fields), 1782900000), signers);
    ASSERT_EQ(Send("POST", trust, "olivia", CanonicalJsonOf({{"statement", statement}})).status,
              201);
    ASSERT_TRUE(chain.Apply(statement).ok());
  };
  submit("genesis",
         {{"owner", "olivia"},
          {"device", trust::DeviceJson(laptop.key(), "laptop")},
          {"recovery_key", Base64Encode(recovery.key().public_key)}},
         {laptop});
  auto due = [&] { return *access_->outbox().DueNotifications(100); };
  const size_t before = due().size();
  submit("recovered",
         {{"owner", "olivia"},
          {"device", trust::DeviceJson(fresh.key(), "new laptop")},
          {"recovery_key", Base64Encode(next.key().public_key)}},
         {recovery, fresh});
  // The owners hear of it at once.
  const auto notices = due();
  ASSERT_EQ(notices.size(), before + 1);
  EXPECT_EQ(notices.back().recipient, "olivia@acme.test");
  EXPECT_NE(notices.back().subject.find("recovery key"), std::string::npos);
  EXPECT_NE(notices.back().body.find(fresh.key().Id()), std::string::npos);
  EXPECT_TRUE(BodyOf(Send("GET", trust, "audrey"))["recovery_acknowledgements"].empty());

  // Only the client's owners acknowledge it, and only a use of the recovery key.
  const std::string body = R"({"seq":1})";
  EXPECT_EQ(Send("POST", acknowledge, "audrey", body).status, 403);
  EXPECT_EQ(Send("POST", acknowledge, "pat", body).status, 403);
  const HttpResponse outsider = Send("POST", acknowledge, "oscar", body);
  EXPECT_EQ(outsider.status, 404);
  EXPECT_EQ(
      *outsider.body,
      *Send("POST", "/api/v1/clients/nope/trust/recovery-acknowledgements", "oscar", body).body);
  EXPECT_EQ(Send("POST", acknowledge, "olivia", R"({"seq":0})").status, 404);
  EXPECT_EQ(Send("POST", acknowledge, "olivia", R"({"seq":7})").status, 404);
  const HttpResponse acknowledged = Send("POST", acknowledge, "olivia", body);
  ASSERT_EQ(acknowledged.status, 201) << *acknowledged.body;
  EXPECT_EQ(BodyOf(acknowledged)["acknowledged"]["by"], "olivia");
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_EQ(BodyOf(Send("POST", acknowledge, "olivia", body))["acknowledged"]["at"],
            BodyOf(acknowledged)["acknowledged"]["at"]);
  const Json read = BodyOf(Send("GET", trust, "audrey"));
  ASSERT_EQ(read["recovery_acknowledgements"].size(), 1u);
  EXPECT_EQ(read["recovery_acknowledgements"][0]["seq"], 1);
  EXPECT_EQ(read["recovery_acknowledgements"][0]["by"], "olivia");
  std::vector<std::string> entries;
  ASSERT_TRUE(
      folder_->logs().ReadEntries("acme", 0, *folder_->logs().EntryCount("acme"), entries).ok());
  int logged = 0;
  for (const std::string& entry : entries)
    logged += entry.find("\"trust.recovery_acknowledged\"") != std::string::npos;
  EXPECT_EQ(logged, 1);
}

}  // namespace
}  // namespace quartet::server

// `quartet demo`: a provider with technicians, two clients with owners, resources, policies and three
// weeks of believable history, all made through the same code paths as real use (so the demo logs
// verify), then the server. One client (Birch & Lane) has gone the whole way: its owner started
// its trust chain, signed what each resource holds and confirmed its agent by the safety code, and
// that agent runs beside the server as its own process, cosigning the log and signing
// certificates.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <iostream>
#include <span>
#include <sstream>

#include "access/approval.h"
#include "agent/agent_store.h"
#include "base/clock.h"
#include "base/random.h"
#include "cli/commands.h"
#include "governance/access_service.h"
#include "governance/agent_service.h"
#include "ssh/key.h"
#include "store/data_folder.h"
#include "trust/chain.h"
#include "vault/sealing_key.h"

namespace quartet::cli {
namespace {

using access::Action;
using access::Label;
using access::ResourceKind;
using governance::Actor;
using governance::Role;

struct DemoResource {
  const char* name;
  ResourceKind kind;
  access::LabelSet labels;
};

struct DemoClient {
  const char* tenant;
  const char* name;
  const char* time_zone;
  const char* owner;
  const char* auditor;
  std::vector<const char*> technicians;
  std::vector<DemoResource> resources;
};

const std::vector<DemoClient>& DemoClients() {
  static const std::vector<DemoClient> clients = {
      {"harbor-dental",
       "Harbor Dental Practice",
       "Europe/London",
       "olivia",
       "fiona.accountant",
       {"ana", "ben"},
       {{"fileserver-01", ResourceKind::kSshHost, 0},
        {"reception-mail", ResourceKind::kMailbox, static_cast<access::LabelSet>(Label::kEmail)},
        {"patient-records", ResourceKind::kFileShare,
         static_cast<access::LabelSet>(Label::kPersonal) |
             static_cast<access::LabelSet>(Label::kHealth)},
        {"practice-accounts", ResourceKind::kFinanceSystem,
         static_cast<access::LabelSet>(Label::kFinancial)},
        {"backup-nas", ResourceKind::kBackup, static_cast<access::LabelSet>(Label::kBackups)}}},
      {"kestrel-law",
       "Kestrel & Moss Solicitors",
       "Europe/Dublin",
       "oscar",
       "",
       {"ben", "chloe"},
       {{"dms-server", ResourceKind::kSshHost, static_cast<access::LabelSet>(Label::kLegal)},
        {"partner-mail", ResourceKind::kMailbox, static_cast<access::LabelSet>(Label::kEmail)},
        {"core-switch", ResourceKind::kNetworkDevice, 0},
        {"m365-admin", ResourceKind::kSaasConsole, 0}}},
      {"birch-accounts",
       "Birch & Lane Accountants",
       "Europe/London",
       "bella",
       "",
       {"ana", "chloe"},
       {{"files-01", ResourceKind::kSshHost, 0},
        {"ledger", ResourceKind::kFinanceSystem, static_cast<access::LabelSet>(Label::kFinancial)},
        {"office-mail", ResourceKind::kMailbox, static_cast<access::LabelSet>(Label::kEmail)}}},
  };
  return clients;
}

const char* const kReasons[] = {
    "Apply monthly security updates", "Investigate slow logins reported by reception",
    "Renew TLS certificate",          "Check backup job failures",
    "Restore a deleted folder",       "Rotate service account password"};

// Three weeks of history: routine work approved by policy, sensitive requests approved or denied by
// the owner with a signature, an early end, a revocation, an expiry, a break-glass night and its review.
Status MakeHistory(governance::AccessService& service, FakeClock& clock, const DemoClient& client,
                   const access::OwnerSigner& owner_key, const std::string& key_id) {
  auto owner = service.sessions().FindActor(client.owner);
  RETURN_IF_ERROR(owner.status());
  // Days start at 08:30 UTC, 21 days ago; work is spread over the office day.
  const auto first_day =
      std::chrono::floor<std::chrono::days>(clock.Now()) + std::chrono::minutes(8 * 60 + 30);
  int n = 0;
  for (int day = 0; day < 21; ++day) {
    const auto morning = first_day + std::chrono::days(day);
    // Weekends are quiet, but outages are not: the break-glass night may fall on any day.
    const bool weekend =
        std::chrono::weekday(std::chrono::floor<std::chrono::days>(morning)).iso_encoding() >= 6;
    for (int slot = 0; slot < 3 && !weekend; ++slot, ++n) {
      clock.Set(morning + std::chrono::minutes(slot * 150 + (n * 37) % 60));
      const DemoResource& resource = client.resources[n % client.resources.size()];
      ASSIGN_OR_RETURN(Actor technician, service.sessions().FindActor(
                                             client.technicians[n % client.technicians.size()]));
      const bool login = resource.kind == ResourceKind::kSshHost;
      governance::AccessRequest request{client.tenant,
                                        resource.name,
                                        login ? Action::kLogin : Action::kAdminister,
                                        login ? "admin" : "",
                                        kReasons[n % 6],
                                        "T-" + std::to_string(4100 + n),
                                        (1 + n % 3) * 1800,
                                        0,
                                        false,
                                        ""};
      ASSIGN_OR_RETURN(governance::GrantView grant,
                       service.grants().RequestAccess(technician, request));
      const std::string& id = grant.request.id;
      if (grant.progress.state == access::GrantState::kPending) {
        clock.Advance(std::chrono::minutes(12 + n % 20));
        if (n % 11 == 5) continue;  // left unanswered: it expires
        const bool approve = n % 9 != 4;
        const auto decision =
            approve ? access::OwnerDecision::kApprove : access::OwnerDecision::kDeny;
        RETURN_IF_ERROR(service.grants().Decide(*owner, client.tenant, id, decision, key_id,
                                                owner_key.Sign(decision, grant.canonical_request),
                                                approve ? "ok" : "please do this after hours"));
      }
      if (n % 8 == 3) {
        clock.Advance(std::chrono::minutes(10));
        (void)service.grants().End(technician, client.tenant, id);
      }
      if (n % 17 == 16)
        RETURN_IF_ERROR(
            service.grants().Revoke(*owner, client.tenant, id, "the ticket was closed"));
    }
    clock.Set(morning + std::chrono::hours(14));
    RETURN_IF_ERROR(service.grants().ExpireStale().status());
    if (day == 9) {
      // A night-time outage: break-glass at 02:10, reviewed by the owner the next morning.
      clock.Set(morning + std::chrono::minutes(17 * 60 + 40));
      ASSIGN_OR_RETURN(Actor technician, service.sessions().FindActor(client.technicians[0]));
      ASSIGN_OR_RETURN(governance::GrantView grant,
                       service.grants().RequestAccess(
                           technician, {client.tenant, client.resources[0].name, Action::kLogin,
                                        "admin", "Server down overnight, on-call restart",
                                        "T-OUTAGE", 3600, 0, true, ""}));
      clock.Set(morning + std::chrono::hours(24) + std::chrono::minutes(5));
      RETURN_IF_ERROR(service.grants().Review(*owner, client.tenant, grant.request.id,
                                              access::BreakglassReview::kAcknowledged,
                                              "thanks for the quick fix"));
    }
  }
  return Status::Ok();
}

const char* const kDemoUsers[] = {"pat",    "ana",   "ben",   "chloe",
                                  "olivia", "oscar", "bella", "fiona.accountant"};

std::string Base32Lower(std::span<const uint8_t> bytes) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

// The client whose agent the demo runs, and where the agent keeps its folder.
constexpr const char* kAgentClient = "birch-accounts";
std::string AgentFolder(const store::DataFolder& folder) {
  return folder.path() + "/demo/agent-" + kAgentClient;
}

// The owner of `client` goes the whole way, as docs/trust-chain.md tells a real owner to: starts the
// trust chain with her key, signs what each resource holds, enrols the agent with a code naming her
// key and confirms it by its safety code. Returns the safety code.
StatusOr<std::string> ChainAndConfirmAgent(store::DataFolder& folder,
                                           governance::AccessService& service,
                                           const DemoClient& client, Clock& clock, Random& random) {
  ASSIGN_OR_RETURN(const access::OwnerSigner owner_key,
                   LoadOwnerKey(folder.path() + "/demo/" + client.owner + ".key"));
  ASSIGN_OR_RETURN(const Actor owner, service.sessions().FindActor(client.owner));
  trust::Chain chain(client.tenant);
  auto sign = [&](std::string_view kind, Json fields) -> Status {
    const std::string statement =
        trust::SignStatement(chain.NextBody(kind, std::move(fields), clock.NowUnixSeconds()),
                             std::vector<access::OwnerSigner>{owner_key});
    RETURN_IF_ERROR(chain.Apply(statement));
    return service.trust().Submit(owner, client.tenant, statement).status();
  };
  const access::OwnerSigner recovery = access::OwnerSigner::Generate(random);
  RETURN_IF_ERROR(WriteSecretFile(folder.path() + "/demo/" + client.owner + ".recovery",
                                  "quartet-owner-key v1\n" + Base64Encode(recovery.Seed()) + "\n"));
  RETURN_IF_ERROR(sign("genesis", {{"owner", client.owner},
                                   {"device", trust::DeviceJson(owner_key.key(), "laptop")},
                                   {"recovery_key", Base64Encode(recovery.key().public_key)}}));
  for (const DemoResource& resource : client.resources) {
    Json labels = Json::array();
    for (access::LabelSet bit = 1; bit <= resource.labels && bit != 0; bit <<= 1) {
      if (resource.labels & bit)
        labels.push_back(std::string(access::LabelName(static_cast<Label>(bit))));
    }
    RETURN_IF_ERROR(
        sign("resource.signed", {{"resource", resource.name},
                                 {"resource_kind", std::string(access::KindName(resource.kind))},
                                 {"labels", labels}}));
  }
  // The agent, on the client's premises: its keys are made there, and only their public halves
  // leave.
  ASSIGN_OR_RETURN(auto agents,
                   governance::AgentService::Open(service.committer(), service.permissions(),
                                                  service.grants(), service.trust()));
  ASSIGN_OR_RETURN(const std::string code, agents->CreateEnrolmentCode(owner, client.tenant));
  ASSIGN_OR_RETURN(auto store, agent::AgentStore::Create(AgentFolder(folder), random));
  ASSIGN_OR_RETURN(const ledger::NoteSigner witness, store->WitnessKey());
  ASSIGN_OR_RETURN(const ssh::KeyPair ca, store->CertificateAuthority());
  ASSIGN_OR_RETURN(const vault::HpkeKeyPair sealing, store->SealingKey());
  const std::string ca_key = ssh::FormatPublicKey(ca.public_key(), "");
  const std::string sealing_key = vault::SealingKeyString(sealing.public_key);
  const std::string name = std::string(client.tenant) + "-agent";
  ASSIGN_OR_RETURN(const governance::AgentService::Enrolment enrolment,
                   agents->Enrol(code, name, {witness.VerifierKeyString(), ca_key, sealing_key}));
  RETURN_IF_ERROR(store->SaveEnrolment(
      {"", enrolment.client, name, enrolment.log_key, enrolment.origin, owner_key.key().Id()},
      enrolment.token));
  // The owner compares the code the agent printed with the one her computer works out, and signs.
  const std::string safety_code =
      trust::SafetyCode(owner_key.key().Id(), witness.VerifierKeyString(), ca_key, sealing_key);
  RETURN_IF_ERROR(sign("agent.confirmed", {{"name", name},
                                           {"witness_key", witness.VerifierKeyString()},
                                           {"ssh_ca_key", ca_key},
                                           {"sealing_key", sealing_key}}));
  RETURN_IF_ERROR(WriteFileAtomically(FileSystem::Posix(), AgentFolder(folder) + "/safety-code",
                                      safety_code + "\n"));
  return safety_code;
}

// `quartet agent run` for the demo's agent, as a process of its own that ends with the demo.
void StartDemoAgent(const store::DataFolder& folder, const std::string& base_url) {
  // Everything the child needs is made before the fork: between fork and exec it calls nothing
  // that allocates (another thread may hold the allocator's lock).
  const std::string data = AgentFolder(folder);
  const std::string log = data + "/agent.log";  // its log, rather than over the server's
  const long open_max = ::sysconf(_SC_OPEN_MAX);
  const int last_fd = open_max > 0 && open_max < 65536 ? static_cast<int>(open_max) : 65536;
  const pid_t child = ::fork();
  if (child != 0) return;
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  // Nothing of the server's goes with it: its listening socket above all, which would keep the
  // port taken after the demo stops.
  for (int fd = 3; fd < last_fd; ++fd) ::close(fd);
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (log_fd >= 0) ::dup2(log_fd, STDERR_FILENO);
  const int null = ::open("/dev/null", O_WRONLY);
  if (null >= 0) ::dup2(null, STDOUT_FILENO);
  ::execl("/proc/self/exe", "quartet", "--server", base_url.c_str(), "agent", "run", "--data",
          data.c_str(), static_cast<char*>(nullptr));
  ::_exit(127);
}

// Creates the demo world once; a second run finds it and serves it as it is.
Status CreateDemo(store::DataFolder& folder) {
  Random& random = Random::System();
  const auto now = Clock::System().Now();
  FakeClock clock(now - std::chrono::hours(24 * 21));
  ASSIGN_OR_RETURN(auto service, governance::AccessService::Open(folder, clock, random));
  if (service->sessions().FindActor("pat").ok()) return Status::Ok();
  const Actor admin{"local-admin", Role::kProviderAdmin, ""};
  RETURN_IF_ERROR(service->sessions().CreateProviderAdmin("pat"));
  for (const char* technician : {"ana", "ben", "chloe"}) {
    RETURN_IF_ERROR(service->directory().AddUser(admin, technician, Role::kTechnician, ""));
  }
  RETURN_IF_ERROR(FileSystem::Posix().CreateDirectories(folder.path() + "/demo"));
  for (const DemoClient& client : DemoClients()) {
    RETURN_IF_ERROR(
        service->directory().CreateClient(admin, client.tenant, client.name, client.time_zone));
    RETURN_IF_ERROR(service->directory().AddUser(admin, client.owner, Role::kOwner, client.tenant));
    if (*client.auditor)
      RETURN_IF_ERROR(
          service->directory().AddUser(admin, client.auditor, Role::kAuditor, client.tenant));
    for (const DemoResource& resource : client.resources) {
      RETURN_IF_ERROR(service->directory().AddResource(admin, client.tenant, resource.name,
                                                       resource.kind, resource.labels));
    }
    for (const char* technician : client.technicians)
      RETURN_IF_ERROR(service->directory().Relate(admin, client.tenant, technician));
    const access::OwnerSigner owner_key = access::OwnerSigner::Generate(random);
    RETURN_IF_ERROR(
        WriteSecretFile(folder.path() + "/demo/" + client.owner + ".key",
                        "quartet-owner-key v1\n" + Base64Encode(owner_key.Seed()) + "\n"));
    ASSIGN_OR_RETURN(Actor owner, service->sessions().FindActor(client.owner));
    ASSIGN_OR_RETURN(std::string key_id,
                     service->directory().RegisterOwnerKey(owner, owner_key.key().public_key));
    RETURN_IF_ERROR(MakeHistory(*service, clock, client, owner_key, key_id));
    clock.Set(now - std::chrono::hours(24 * 21));
  }
  // Browser sign-ins: a password and TOTP for everyone (provider staff must have it; owners sign
  // with MFA too), kept in the demo folder so that every later run can print them again.
  std::string sign_ins;
  for (const char* user : kDemoUsers) {
    uint8_t bytes[10];
    random.Fill(bytes);
    const std::string password = "demo-" + Base32Lower(bytes);
    // Provider staff are given theirs; the demo's owners and auditors accept an invitation, as the
    // people of a real client do.
    ASSIGN_OR_RETURN(const Actor actor, service->sessions().FindActor(user));
    std::string uri;
    if (IsProviderRole(actor.role)) {
      RETURN_IF_ERROR(service->sessions().SetPassword(user, password));
      ASSIGN_OR_RETURN(uri, service->sessions().EnrolTotp(user));
    } else {
      ASSIGN_OR_RETURN(const std::string invitation, service->sessions().Invite(user));
      ASSIGN_OR_RETURN(auto accepted, service->sessions().AcceptInvitation(invitation, password));
      uri = accepted.totp_uri;
    }
    const size_t secret = uri.find("secret=") + 7;
    sign_ins += std::string(user) + " " + password + " " +
                uri.substr(secret, uri.find('&', secret) - secret) + "\n";
  }
  RETURN_IF_ERROR(WriteSecretFile(folder.path() + "/demo/sign-ins.txt", sign_ins));
  // Requests waiting for the owners right now.
  FakeClock today(now - std::chrono::minutes(20));
  ASSIGN_OR_RETURN(auto current, governance::AccessService::Open(folder, today, random));
  ASSIGN_OR_RETURN(Actor ana, current->sessions().FindActor("ana"));
  ASSIGN_OR_RETURN(Actor chloe, current->sessions().FindActor("chloe"));
  RETURN_IF_ERROR(current->grants()
                      .RequestAccess(ana, {"harbor-dental", "reception-mail", Action::kOpenMailbox,
                                           "", "Trace a phishing email reported by reception",
                                           "T-4301", 3600, 0, false, ""})
                      .status());
  RETURN_IF_ERROR(current->grants()
                      .RequestAccess(chloe, {"kestrel-law", "partner-mail", Action::kOpenMailbox,
                                             "", "Mailbox over quota: archive old items", "T-4302",
                                             1800, 0, false, ""})
                      .status());
  for (const DemoClient& client : DemoClients()) {
    if (std::string_view(client.tenant) != kAgentClient) continue;
    RETURN_IF_ERROR(ChainAndConfirmAgent(folder, *current, client, today, random).status());
  }
  return Status::Ok();
}

}  // namespace

int Demo(const std::string& data, const std::string& listen) {
  auto folder = store::DataFolder::Open(data);
  if (!folder.ok()) return Fail(folder.status().message());
  if (Status created = CreateDemo(**folder); !created.ok())
    return Fail("demo: " + created.message());
  auto service = governance::AccessService::Open(**folder, Clock::System(), Random::System());
  if (!service.ok()) return Fail(service.status().message());
  std::vector<std::pair<std::string, std::string>> sign_ins;
  for (const char* user : kDemoUsers) {
    auto token = (*service)->sessions().IssueToken(user, 7 * 86400);
    if (!token.ok()) return Fail(token.status().message());
    sign_ins.emplace_back(user, *token);
  }
  return Serve(**folder, listen, MailOptions{}, TlsFiles{}, [&](const std::string& base_url) {
    StartDemoAgent(**folder, base_url);
    std::cout
        << "\ndemo sign-ins (bearer tokens, valid 7 days; use with --token or QUARTET_TOKEN):\n";
    for (const auto& [user, token] : sign_ins) {
      auto actor = (*service)->sessions().FindActor(user);
      std::cout << "  " << user << " (" << (actor.ok() ? governance::RoleName(actor->role) : "?")
                << (actor.ok() && !actor->client.empty() ? " of " + actor->client : "")
                << "): " << token << "\n";
    }
    if (auto sign_in_file = FileSystem::Posix().ReadFile((*folder)->path() + "/demo/sign-ins.txt");
        sign_in_file.ok()) {
      std::cout << "\ndashboard: " << base_url
                << "/  (user, password, TOTP secret for an authenticator app or "
                << "`oathtool --totp -b SECRET`):\n";
      std::istringstream lines(*sign_in_file);
      for (std::string user, password, secret; lines >> user >> password >> secret;) {
        std::cout << "  " << user << "  " << password << "  " << secret << "\n";
      }
    }
    std::cout << "owner signing keys: " << (*folder)->path() << "/demo/olivia.key, "
              << (*folder)->path() << "/demo/oscar.key, " << (*folder)->path()
              << "/demo/bella.key\n\nclients and their logs:\n";
    // A log is its client's: its owner's token reads it (and makes read tokens for others).
    for (const DemoClient& client : DemoClients()) {
      auto config = (*folder)->logs().GetLog(client.tenant);
      std::string owner_token = "<token>";
      for (const auto& [user, token] : sign_ins) {
        if (user == client.owner) owner_token = token;
      }
      std::cout << "  " << client.name << ": " << base_url << "/logs/" << client.tenant
                << "\n    check it: quartet verify --url " << base_url << "/logs/" << client.tenant
                << " --key '" << (config.ok() ? config->verifier_key : "?") << "' --token "
                << owner_token << "\n";
    }
    auto safety_code = FileSystem::Posix().ReadFile(AgentFolder(**folder) + "/safety-code");
    std::cout
        << "\nBirch & Lane's own agent is running (its folder: " << AgentFolder(**folder)
        << "): bella started the client's trust chain, signed what each resource holds and "
           "confirmed the agent with its safety code "
        << (safety_code.ok() ? safety_code->substr(0, 14) : std::string("?"))
        << "; it cosigns the log and signs SSH certificates for approved grants alone.\n"
        << "  a technician's certificate from it (chloe serves Birch & Lane):\n"
        << "    export QUARTET_SERVER=" << base_url << " QUARTET_TOKEN=<chloe's token>\n"
        << "    quartet request --client birch-accounts --resource files-01 --login admin --for "
           "30m --reason 'Renew the TLS certificate' --ticket T-4400\n"
        << "    (outside business hours bella approves it: QUARTET_TOKEN=<bella's token> "
           "quartet approve <grant> --key "
        << (*folder)->path() << "/demo/bella.key)\n"
        << "    quartet cert --client birch-accounts --grant <grant> --out /tmp/birch-key\n"
        << "\ntry: QUARTET_SERVER=" << base_url
        << " QUARTET_TOKEN=<olivia's token> quartet grants\n"
        << std::flush;
  });
}

}  // namespace quartet::cli

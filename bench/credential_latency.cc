// Credential custody on loopback, with a real `quartet server` and `quartet agent run` for a client
// set up as one is now (bench/confirmed_client.h):
//
//   1. Reveal: request to secret, for a grant the agent has cosigned. Over HTTP as the CLI does it
//      (a one-time X25519 key, POST .../reveals waiting for the agent's answer, the HPKE answer
//      opened), one after another on one keep-alive connection; then `quartet reveal` end to end,
//      process start to secret on stdout. Baselines in the same run: GET /api/v1/me on the same
//      connection, and `quartet vault list` (one authenticated GET) as a process.
//   2. Rotation: 100 credentials of accounts in a real slapd, revealed under 10 grants; the owner
//      revokes the 10 grants at once, and the time is taken until the agent has rotated all 100 on
//      slapd and the server lists each at version 2.
//
//   QUARTET_BENCH_DIR=/work/benchdata build/default/bench/credential_latency [reveals]
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "base/bytes.h"
#include "base/random.h"
#include "bench/confirmed_client.h"
#include "vault/credential.h"
#include "vault/sealing_key.h"

namespace quartet::bench {
namespace {

using Json = nlohmann::json;
using testing::RunProcess;

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

void Print(const char* what, const Percentiles& p) {
  std::printf("%-40s %8.2f %8.2f %8.2f\n", what, p.p50, p.p95, p.p99);
}

std::string RevealGrant(ConfirmedClient& client, const std::string& resource) {
  const Json grant = Json::parse(
      client
          .Quartet("tom", {"--json", "request", "--client", "acme", "--resource", resource,
                           "--action", "reveal-credential", "--for", "8h", "--reason", "benchmark"})
          .out);
  const std::string id = grant["id"].get<std::string>();
  client.Quartet("olivia", {"approve", id, "--key", client.owner_key()});
  return id;
}

// One reveal over HTTP: the secret, or "" after printing why not.
std::string RevealOverHttp(ConfirmedClient& client, const std::string& grant,
                           const std::string& name) {
  const vault::HpkeKeyPair one_time = vault::GenerateHpkeKeyPair(Random::System());
  auto answer = client.Call("tom", "POST", "/clients/acme/grants/" + grant + "/reveals",
                            {{"public_key", vault::SealingKeyString(one_time.public_key)},
                             {"name", name},
                             {"wait_seconds", 20}});
  if (!answer.ok() || answer->status != 201) {
    std::fprintf(stderr, "reveal: %s\n",
                 answer.ok() ? answer->body.c_str() : answer.status().ToString().c_str());
    return "";
  }
  const Json reply = Json::parse(answer->body);
  auto enc = Base64Decode(reply["sealed"]["enc"].get<std::string>());
  auto ciphertext = Base64Decode(reply["sealed"]["ciphertext"].get<std::string>());
  if (!enc.ok() || !ciphertext.ok()) return "";
  auto secret = vault::OpenReveal(
      {{"acme", reply["resource"].get<std::string>(), name, reply["version"].get<uint64_t>()},
       reply["id"].get<std::string>()},
      one_time, *enc, *ciphertext);
  if (!secret.ok()) {
    std::fprintf(stderr, "reveal does not open: %s\n", secret.status().ToString().c_str());
    return "";
  }
  return *secret;
}

int Reveals(int reveals) {
  ConfirmedClient client("credential-latency", {{"books", "finance-system"}});
  if (!client.ok()) return 1;
  testing::WriteTextFile(client.dir() + "/secret", "the books' admin password\n");
  client.Quartet("olivia",
                 {"vault", "put", "--client", "acme", "--resource", "books", "--name", "admin",
                  "--key", client.owner_key()},
                 client.dir() + "/secret");
  const std::string grant = RevealGrant(client, "books");
  client.WaitForAgent();
  std::vector<double> reveal_ms, baseline_ms;
  for (int i = 0; i < reveals; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto me = client.Call("tom", "GET", "/me", Json());
    baseline_ms.push_back(MsSince(start));
    start = std::chrono::steady_clock::now();
    const std::string secret = RevealOverHttp(client, grant, "admin");
    reveal_ms.push_back(MsSince(start));
    if (secret != "the books' admin password" || !me.ok()) return 1;
  }
  std::vector<double> cli_ms, cli_baseline_ms;
  for (int i = 0; i < std::max(10, reveals / 10); ++i) {
    auto start = std::chrono::steady_clock::now();
    auto listed = client.Quartet("tom", {"vault", "list", "--client", "acme"});
    cli_baseline_ms.push_back(MsSince(start));
    start = std::chrono::steady_clock::now();
    auto revealed = client.Quartet("tom", {"reveal", "--client", "acme", "--grant", grant});
    cli_ms.push_back(MsSince(start));
    if (revealed.status != 0 || revealed.out != "the books' admin password\n" ||
        listed.status != 0) {
      std::fprintf(stderr, "quartet reveal: %s\n", revealed.err.c_str());
      return 1;
    }
  }
  std::printf("%d reveals over HTTP and %zu with `quartet reveal`, one after another, loopback\n",
              reveals, cli_ms.size());
  std::printf("%-40s %8s %8s %8s\n", "", "p50 ms", "p95 ms", "p99 ms");
  const Percentiles base = Summarise(baseline_ms), reveal = Summarise(reveal_ms);
  Print("baseline: GET /api/v1/me", base);
  Print("request -> secret (HTTP)", reveal);
  Print("baseline: quartet vault list", Summarise(cli_baseline_ms));
  Print("quartet reveal -> secret on stdout", Summarise(cli_ms));
  std::printf("ratio at p95 (HTTP): %.1fx the baseline\n", reveal.p95 / base.p95);
  client.StopAgentAndReport();
  return 0;
}

int Rotations(int credentials) {
  ConfirmedClient client("credential-rotation", {{"directory", "saas-console"}},
                         {"--rotation-retry", "1"});
  if (!client.ok()) return 1;
  // slapd with one account per credential.
  const std::string ldap = client.dir() + "/ldap";
  std::filesystem::create_directories(ldap + "/db");
  const int port = testing::FreePort();
  testing::WriteTextFile(
      ldap + "/slapd.conf",
      "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n"
      "include /etc/ldap/schema/inetorgperson.schema\nmodulepath /usr/lib/ldap\n"
      "moduleload back_mdb\npidfile " +
          ldap +
          "/slapd.pid\ndatabase mdb\n"
          "suffix \"dc=acme,dc=test\"\nrootdn \"cn=admin,dc=acme,dc=test\"\nrootpw admin\n"
          "directory " +
          ldap +
          "/db\n"
          "access to attrs=userPassword by self write by anonymous auth by * none\n"
          "access to * by * read\n");
  std::string tree =
      "dn: dc=acme,dc=test\nobjectClass: dcObject\nobjectClass: organization\no: Acme\ndc: acme\n\n"
      "dn: ou=people,dc=acme,dc=test\nobjectClass: organizationalUnit\nou: people\n";
  auto name_of = [](int i) {
    char name[16];
    std::snprintf(name, sizeof name, "u%03d", i);
    return std::string(name);
  };
  for (int i = 0; i < credentials; ++i) {
    tree += "\ndn: uid=" + name_of(i) +
            ",ou=people,dc=acme,dc=test\nobjectClass: inetOrgPerson\n"
            "uid: " +
            name_of(i) + "\ncn: " + name_of(i) + "\nsn: " + name_of(i) + "\nuserPassword: first-" +
            name_of(i) + "\n";
  }
  testing::WriteTextFile(ldap + "/tree.ldif", tree);
  if (RunProcess({"/usr/sbin/slapadd", "-f", ldap + "/slapd.conf", "-l", ldap + "/tree.ldif"})
          .status != 0)
    return 1;
  auto slapd = testing::Subprocess::Start({"/usr/sbin/slapd", "-d", "0", "-f", ldap + "/slapd.conf",
                                           "-h", "ldap://127.0.0.1:" + std::to_string(port) + "/"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (int i = 0; i < credentials; ++i) {
    testing::WriteTextFile(client.dir() + "/secret", "first-" + name_of(i) + "\n");
    client.Quartet("olivia",
                   {"vault", "put", "--client", "acme", "--resource", "directory", "--name",
                    name_of(i), "--rotate",
                    "ldap://127.0.0.1:" + std::to_string(port) + "/uid=" + name_of(i) +
                        ",ou=people,dc=acme,dc=test",
                    "--key", client.owner_key()},
                   client.dir() + "/secret");
  }
  std::vector<std::string> grants;
  for (int g = 0; g < 10; ++g) grants.push_back(RevealGrant(client, "directory"));
  client.WaitForAgent();
  for (int i = 0; i < credentials; ++i) {
    if (RevealOverHttp(client, grants[i % grants.size()], name_of(i)) != "first-" + name_of(i))
      return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& grant : grants) {
    auto revoked = client.Call("olivia", "POST", "/clients/acme/grants/" + grant + "/revoke",
                               {{"reason", "benchmark"}});
    if (!revoked.ok() || revoked->status != 200) std::fprintf(stderr, "revoke failed\n");
  }
  const double revoked_ms = MsSince(start);
  int rotated = 0;
  while (MsSince(start) < 120000) {
    auto listed = client.Call("olivia", "GET", "/clients/acme/credentials", Json());
    rotated = 0;
    if (listed.ok()) {
      const Json reply = Json::parse(listed->body);
      for (const Json& credential : reply["credentials"])
        rotated += credential["version"] == 2 && credential["state"] == "current";
    }
    if (rotated == credentials) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double total_ms = MsSince(start);
  if (rotated != credentials) {
    auto listed = client.Call("olivia", "GET", "/clients/acme/credentials", Json());
    if (listed.ok()) std::fprintf(stderr, "%s\n", listed->body.substr(0, 1500).c_str());
  }
  int old_still_works = 0;
  for (int i = 0; i < credentials; i += 10) {
    old_still_works +=
        RunProcess({"ldapwhoami", "-x", "-H", "ldap://127.0.0.1:" + std::to_string(port), "-D",
                    "uid=" + name_of(i) + ",ou=people,dc=acme,dc=test", "-w",
                    "first-" + name_of(i)})
            .status == 0;
  }
  std::printf("\n%d credentials in slapd, revealed under 10 grants; the owner revokes the 10\n",
              credentials);
  std::printf("revoking the 10 grants                   %8.0f ms\n", revoked_ms);
  std::printf("revoke -> all %d rotated and recorded   %8.0f ms (%d rotated)\n", credentials,
              total_ms, rotated);
  std::printf("old passwords that still bind (of %d tried): %d\n", (credentials + 9) / 10,
              old_still_works);
  client.StopAgentAndReport();
  slapd.Signal(SIGTERM);
  slapd.Wait();
  return rotated == credentials && old_still_works == 0 ? 0 : 1;
}

}  // namespace
}  // namespace quartet::bench

int main(int argc, char** argv) {
  const int reveals = argc > 1 ? std::atoi(argv[1]) : 300;
  if (int status = quartet::bench::Reveals(reveals); status != 0) return status;
  return quartet::bench::Rotations(100);
}

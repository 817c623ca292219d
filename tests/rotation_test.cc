// Credentials revealed under a grant and rotated by the client's agent when the grant is over, each
// against the real thing started here: a PostgreSQL role (initdb in a temporary folder), an LDAP
// account in Debian's slapd, and a Linux account on a host whose sshd trusts the client's SSH CA.
// After the grant ends the old password no longer logs in and the new one does; the log records the
// rotation with a commitment to the new version, never the secret. An exclusive credential has one
// holder at a time, and a reveal asked while the agent is offline waits for it and loses nothing.
#include <pwd.h>
#include <unistd.h>

#include <filesystem>

#include <libpq-fe.h>

#include "tests/vault_fixture.h"

namespace quartet::testing {
namespace {

// The folder of Debian's PostgreSQL programs (initdb, pg_ctl).
std::string PostgresqlBin() {
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql")) {
    if (std::filesystem::exists(entry.path() / "bin" / "initdb"))
      return (entry.path() / "bin").string();
  }
  return "";
}

// A command as the postgres user when the test runs as root (initdb refuses root).
std::vector<std::string> AsPostgres(std::vector<std::string> argv) {
  if (::geteuid() != 0) return argv;
  std::vector<std::string> out = {"runuser", "-u", "postgres", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

bool PostgresqlTakes(int port, const std::string& role, const std::string& password) {
  const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port) + " user=" + role +
                               " password=" + password + " dbname=postgres connect_timeout=5";
  PGconn* connection = PQconnectdb(conninfo.c_str());
  const bool ok = PQstatus(connection) == CONNECTION_OK;
  PQfinish(connection);
  return ok;
}

bool LdapTakes(int port, const std::string& dn, const std::string& password) {
  return RunProcess({"ldapwhoami", "-x", "-H", "ldap://127.0.0.1:" + std::to_string(port), "-D", dn,
                     "-w", password})
             .status == 0;
}

class RotationTest : public VaultFixture {
 protected:
  void SetUp() override {
    VaultFixture::SetUp();
    for (auto [name, kind] :
         {std::pair{"books", "finance-system"}, std::pair{"directory", "saas-console"},
          std::pair{"web-1", "ssh-host"}}) {
      auto added = RunProcess({QuartetBinary(), "admin", "--data", data_, "resource", "add",
                               "--client", "acme", "--name", name, "--kind", kind});
      ASSERT_EQ(added.status, 0) << added.err;
    }
    EnrolAndConfirmAgent();
  }
  void TearDown() override {
    for (auto it = stops_.rbegin(); it != stops_.rend(); ++it) (*it)();
    VaultFixture::TearDown();
  }

  // `quartet vault put` of `secret` for `resource`, rotated at `target`.
  void Store(const std::string& resource, const std::string& secret, const std::string& target,
             bool exclusive = false) {
    WriteTextFile(dir_ + "/" + resource + ".secret", secret + "\n");
    std::vector<std::string> args = {"vault",      "put",    "--client", "acme",
                                     "--resource", resource, "--name",   "admin",
                                     "--rotate",   target,   "--key",    Key("olivia")};
    if (exclusive) args.push_back("--exclusive");
    auto stored = Quartet("olivia", args, dir_ + "/" + resource + ".secret");
    ASSERT_EQ(stored.status, 0) << stored.err;
  }
  // A grant to reveal `resource`'s credential, approved by olivia.
  std::string ApprovedReveal(const std::string& resource) {
    const std::string grant = RequestReveal(resource);
    auto approved = Quartet("olivia", {"approve", grant, "--key", Key("olivia")});
    EXPECT_EQ(approved.status, 0) << approved.err;
    return grant;
  }
  // The secret tom sees under `grant` (without its newline), or "" and a failure.
  std::string Revealed(const std::string& grant) {
    auto revealed = Reveal(grant);
    EXPECT_EQ(revealed.status, 0) << revealed.err;
    if (revealed.status != 0 || revealed.out.empty()) return "";
    return revealed.out.substr(0, revealed.out.size() - 1);
  }
  Json Credential(const std::string& resource) {
    for (const Json& credential : List("olivia"))
      if (credential["resource"] == resource) return credential;
    return Json::object();
  }
  // Waits for the agent to rotate `resource`'s credential to `version`.
  bool RotatedTo(const std::string& resource, int version) {
    return WaitFor(
        [&] {
          const Json credential = Credential(resource);
          return credential.value("version", 0) == version && credential["state"] == "current";
        },
        std::chrono::seconds(60));
  }
  bool LogHolds(const std::string& text) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(data_)) {
      if (entry.is_regular_file() &&
          ReadTextFile(entry.path().string()).find(text) != std::string::npos)
        return true;
    }
    return false;
  }
  // The whole sequence for one target: reveal, use, end, rotation, old out and new in.
  void RevealEndAndRotate(const std::string& resource, const std::string& old_secret,
                          const std::function<bool(const std::string&)>& takes) {
    ASSERT_TRUE(takes(old_secret));
    const std::string grant = ApprovedReveal(resource);
    EXPECT_EQ(Revealed(grant), old_secret);
    EXPECT_EQ(Credential(resource)["state"], "rotation due");
    ASSERT_EQ(Quartet("tom", {"end", grant, "--client", "acme"}).status, 0);
    ASSERT_TRUE(RotatedTo(resource, 2)) << Credential(resource).dump() << AgentLog();
    EXPECT_FALSE(takes(old_secret));
    const std::string next = Revealed(ApprovedReveal(resource));
    ASSERT_FALSE(next.empty());
    EXPECT_NE(next, old_secret);
    EXPECT_TRUE(takes(next));
    EXPECT_TRUE(LogHolds("\"kind\":\"credential.rotated\""));
    EXPECT_TRUE(
        LogHolds("\"commitment\":\"" + Credential(resource)["commitment"].get<std::string>()));
    EXPECT_FALSE(LogHolds(next));
    EXPECT_FALSE(LogHolds(old_secret));
  }
  void StartRotatingAgent() {
    agent_process_ = std::make_unique<Subprocess>(
        Subprocess::Start({QuartetBinary(), "--server", server_->url(), "agent", "run", "--data",
                           agent_, "--unknown-grant-wait", "5", "--rotation-retry", "1"}));
  }

  std::vector<std::function<void()>> stops_;
};

TEST_F(RotationTest, APostgresqlRoleIsRotatedWhenTheGrantEnds) {
  const std::string bin = PostgresqlBin();
  ASSERT_FALSE(bin.empty()) << "Debian's postgresql is not installed (scripts/setup installs it)";
  const std::string pg = dir_ + "/pg";
  std::filesystem::create_directories(pg);
  WriteTextFile(pg + "/superuser", "superuser-password\n");
  if (::geteuid() == 0) {
    const passwd* postgres = ::getpwnam("postgres");
    ASSERT_NE(postgres, nullptr);
    for (const std::string& path : {dir_, pg, pg + "/superuser"})
      ASSERT_EQ(::chown(path.c_str(), postgres->pw_uid, postgres->pw_gid), 0) << path;
  }
  auto initdb = RunProcess(
      AsPostgres({bin + "/initdb", "-D", pg + "/data", "-U", "postgres", "-A", "scram-sha-256",
                  "--pwfile", pg + "/superuser", "--no-sync", "--no-locale", "-E", "UTF8"}));
  ASSERT_EQ(initdb.status, 0) << initdb.err;
  const int port = FreePort();
  auto started = RunProcess(AsPostgres(
      {bin + "/pg_ctl", "-D", pg + "/data", "-w", "-l", pg + "/log", "-o",
       "-p " + std::to_string(port) + " -k " + pg + " -c listen_addresses=127.0.0.1 -c fsync=off",
       "start"}));
  ASSERT_EQ(started.status, 0) << started.err << ReadTextFile(pg + "/log");
  stops_.push_back([=] {
    RunProcess(AsPostgres({bin + "/pg_ctl", "-D", pg + "/data", "-m", "immediate", "stop"}));
  });
  {
    const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port) +
                                 " user=postgres password=superuser-password dbname=postgres";
    PGconn* connection = PQconnectdb(conninfo.c_str());
    ASSERT_EQ(PQstatus(connection), CONNECTION_OK) << PQerrorMessage(connection);
    PGresult* result =
        PQexec(connection, "CREATE ROLE books LOGIN PASSWORD 'books-first-password'");
    EXPECT_EQ(PQresultStatus(result), PGRES_COMMAND_OK) << PQerrorMessage(connection);
    PQclear(result);
    PQfinish(connection);
  }
  Store("books", "books-first-password", "postgresql://books@127.0.0.1:" + std::to_string(port),
        /*exclusive=*/true);
  StartRotatingAgent();
  auto takes = [&](const std::string& password) {
    return PostgresqlTakes(port, "books", password);
  };
  ASSERT_TRUE(takes("books-first-password"));

  // Exclusive: while tom's first grant holds it, a second grant reveals nothing.
  const std::string first = ApprovedReveal("books");
  EXPECT_EQ(Revealed(first), "books-first-password");
  const std::string second = ApprovedReveal("books");
  auto refused = Reveal(second);
  EXPECT_NE(refused.status, 0);
  EXPECT_TRUE(refused.out.empty());
  EXPECT_NE(refused.err.find("exclusive"), std::string::npos) << refused.err;
  ASSERT_EQ(Quartet("tom", {"end", second, "--client", "acme"}).status, 0);

  // The grant ends: the agent changes the role's password; the old one no longer logs in.
  ASSERT_EQ(Quartet("tom", {"end", first, "--client", "acme"}).status, 0);
  ASSERT_TRUE(RotatedTo("books", 2)) << Credential("books").dump() << AgentLog();
  EXPECT_FALSE(takes("books-first-password"));
  const Json rotated = Credential("books");
  EXPECT_EQ(rotated["stored_by"], "agent");
  auto listed = Quartet("olivia", {"vault", "list", "--client", "acme"});
  EXPECT_NE(listed.out.find("books/admin  version 2  exclusive  rotates postgresql://books@"),
            std::string::npos)
      << listed.out;
  EXPECT_NE(listed.out.find(" UTC  current"), std::string::npos) << listed.out;
  EXPECT_GT(rotated["rotated_at"].get<int64_t>(), 0);
  // Free again, and the new version opens the role.
  const std::string next = Revealed(ApprovedReveal("books"));
  ASSERT_EQ(next.size(), 32u);
  EXPECT_TRUE(takes(next));
  EXPECT_TRUE(LogHolds("\"kind\":\"credential.rotated\""));
  EXPECT_FALSE(LogHolds(next));
}

TEST_F(RotationTest, AnLdapAccountIsRotatedByPasswordModify) {
  const std::string ldap = dir_ + "/ldap";
  std::filesystem::create_directories(ldap + "/db");
  const int port = FreePort();
  WriteTextFile(ldap + "/slapd.conf",
                "include /etc/ldap/schema/core.schema\n"
                "include /etc/ldap/schema/cosine.schema\n"
                "include /etc/ldap/schema/inetorgperson.schema\n"
                "include /etc/ldap/schema/nis.schema\n"
                "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
                "pidfile " +
                    ldap +
                    "/slapd.pid\n"
                    "database mdb\nsuffix \"dc=acme,dc=test\"\n"
                    "rootdn \"cn=admin,dc=acme,dc=test\"\nrootpw admin-password\n"
                    "directory " +
                    ldap +
                    "/db\n"
                    "access to attrs=userPassword by self write by anonymous auth by * none\n"
                    "access to * by * read\n");
  WriteTextFile(ldap + "/tree.ldif",
                "dn: dc=acme,dc=test\nobjectClass: dcObject\nobjectClass: organization\n"
                "o: Acme Ltd\ndc: acme\n\n"
                "dn: ou=people,dc=acme,dc=test\nobjectClass: organizationalUnit\nou: people\n\n"
                "dn: uid=ana,ou=people,dc=acme,dc=test\nobjectClass: inetOrgPerson\n"
                "uid: ana\ncn: Ana Admin\nsn: Admin\nuserPassword: directory-first-password\n");
  auto loaded =
      RunProcess({"/usr/sbin/slapadd", "-f", ldap + "/slapd.conf", "-l", ldap + "/tree.ldif"});
  ASSERT_EQ(loaded.status, 0) << loaded.err;
  auto slapd = std::make_shared<Subprocess>(
      Subprocess::Start({"/usr/sbin/slapd", "-d", "0", "-f", ldap + "/slapd.conf", "-h",
                         "ldap://127.0.0.1:" + std::to_string(port) + "/"}));
  stops_.push_back([slapd] {
    slapd->Signal(SIGTERM);
    slapd->Wait();
  });
  const std::string dn = "uid=ana,ou=people,dc=acme,dc=test";
  auto takes = [&](const std::string& password) { return LdapTakes(port, dn, password); };
  ASSERT_TRUE(WaitFor([&] { return takes("directory-first-password"); }, std::chrono::seconds(10)));
  Store("directory", "directory-first-password",
        "ldap://127.0.0.1:" + std::to_string(port) + "/" + dn);
  StartRotatingAgent();
  RevealEndAndRotate("directory", "directory-first-password", takes);
}

TEST_F(RotationTest, ALinuxAccountIsRotatedOverSshWithTheAgentsOwnCertificate) {
  if (::geteuid() != 0) GTEST_SKIP() << "making a Linux account for the test needs root";
  const std::string user = "qrot" + std::to_string(::getpid() % 100000);
  ASSERT_EQ(RunProcess({"useradd", "-m", "-s", "/bin/sh", user}).status, 0);
  stops_.push_back([user] { RunProcess({"userdel", "-r", "-f", user}); });
  WriteTextFile(dir_ + "/chpasswd", user + ":host-first-password\n");
  ASSERT_EQ(RunProcess({"chpasswd"}, dir_ + "/chpasswd").status, 0);

  // sshd trusts the client's CA, asks the agent about each certificate, and takes passwords (for
  // the test to check which one works).
  auto ca = RunProcess({QuartetBinary(), "agent", "ca", "--data", agent_});
  ASSERT_EQ(ca.status, 0) << ca.err;
  WriteTextFile(dir_ + "/ca.pub", ca.out);
  ASSERT_EQ(
      RunProcess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir_ + "/host_key"}).status,
      0);
  std::filesystem::create_directories("/run/sshd");
  // sshd runs AuthorizedPrincipalsCommand only from folders that root owns and no one else writes.
  char folder[] = "/run/quartet-rotation-XXXXXX";
  ASSERT_NE(::mkdtemp(folder), nullptr);
  ::chmod(folder, 0755);
  const std::string principals = std::string(folder) + "/quartet";
  std::filesystem::copy_file(QuartetBinary(), principals);
  stops_.push_back([dir = std::string(folder)] { std::filesystem::remove_all(dir); });
  const int port = FreePort();
  const std::string log = dir_ + "/sshd.log";
  WriteTextFile(dir_ + "/sshd_config",
                "Port " + std::to_string(port) + "\nListenAddress 127.0.0.1\nHostKey " + dir_ +
                    "/host_key\nPidFile " + dir_ + "/sshd.pid\nTrustedUserCAKeys " + dir_ +
                    "/ca.pub\nAuthorizedPrincipalsCommand " + principals +
                    " agent principals --data " + agent_ +
                    " --user %u --key-id %i --serial %s\nAuthorizedPrincipalsCommandUser root\n"
                    "AuthorizedKeysFile none\nPasswordAuthentication yes\n"
                    "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\n"
                    "StrictModes no\nLogLevel VERBOSE\n");
  auto sshd = std::make_shared<Subprocess>(
      Subprocess::Start({"/usr/sbin/sshd", "-D", "-e", "-f", dir_ + "/sshd_config", "-E", log}));
  stops_.push_back([sshd] {
    sshd->Signal(SIGTERM);
    sshd->Wait();
  });
  ASSERT_TRUE(
      WaitFor([&] { return ReadTextFile(log).find("Server listening") != std::string::npos; },
              std::chrono::seconds(10)))
      << ReadTextFile(log);
  // Whether sshd lets `user` in with `password`.
  auto takes = [&](const std::string& password) {
    WriteTextFile(dir_ + "/askpass", "#!/bin/sh\necho '" + password + "'\n");
    ::chmod((dir_ + "/askpass").c_str(), 0700);
    return RunProcess({"env",
                       "SSH_ASKPASS=" + dir_ + "/askpass",
                       "SSH_ASKPASS_REQUIRE=force",
                       "ssh",
                       "-F",
                       "/dev/null",
                       "-o",
                       "PreferredAuthentications=password",
                       "-o",
                       "PubkeyAuthentication=no",
                       "-o",
                       "StrictHostKeyChecking=no",
                       "-o",
                       "UserKnownHostsFile=/dev/null",
                       "-o",
                       "NumberOfPasswordPrompts=1",
                       "-p",
                       std::to_string(port),
                       "-l",
                       user,
                       "127.0.0.1",
                       "true"})
               .status == 0;
  };
  Store("web-1", "host-first-password", "ssh://" + user + "@127.0.0.1:" + std::to_string(port));
  StartRotatingAgent();
  RevealEndAndRotate("web-1", "host-first-password", takes);
  // The agent logged in with a certificate of its own, named in the rotation's entry.
  EXPECT_NE(ReadTextFile(log).find("ID rotation:acme:" + user), std::string::npos)
      << ReadTextFile(log);
  EXPECT_TRUE(LogHolds("\"key_id\":\"rotation:acme:" + user + "\""));
}

TEST_F(RotationTest, ARevealWaitsForAnOfflineAgentAndLosesNothing) {
  Store("books", "books-first-password", "postgresql://books@127.0.0.1:1");
  const std::string grant = ApprovedReveal("books");
  // No agent runs: the technician's reveal waits, and is answered once the agent is back.
  auto waiting = std::make_unique<Subprocess>(
      Subprocess::Start({QuartetBinary(), "--server", server_->url(), "--token", tokens_.at("tom"),
                         "reveal", "--client", "acme", "--grant", grant, "--wait", "60"}));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  StartRotatingAgent();
  EXPECT_EQ(waiting->Wait(), 0) << waiting->Stderr() << AgentLog();
  EXPECT_EQ(waiting->RemainingStdout(), "books-first-password\n");
  // Nothing listens at the target: the rotation fails, is recorded, and the credential stays at
  // risk until it succeeds.
  ASSERT_EQ(Quartet("tom", {"end", grant, "--client", "acme"}).status, 0);
  EXPECT_TRUE(WaitFor([&] { return Credential("books")["state"] == "rotation failed"; },
                      std::chrono::seconds(30)))
      << Credential("books").dump();
  EXPECT_EQ(Credential("books")["version"], 1);
  EXPECT_TRUE(LogHolds("\"kind\":\"credential.rotation_failed\""));
  auto listed = Quartet("olivia", {"vault", "list", "--client", "acme"});
  EXPECT_NE(listed.out.find("rotation failed: PostgreSQL at 127.0.0.1:1 refused books"),
            std::string::npos)
      << listed.out;
}

}  // namespace
}  // namespace quartet::testing

// The client's agent against real OpenSSH: a real `quartet server`, a real `quartet agent run`,
// Debian's sshd started on a loopback port with its own configuration (TrustedUserCAKeys from
// `quartet agent ca`, AuthorizedPrincipalsCommand `quartet agent principals`), and the real `ssh`
// client. Each case is judged by ssh's exit status and by sshd's own log.
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "access/grant.h"
#include "base/bytes.h"
#include "base/random.h"
#include "client/http_client.h"
#include "ledger/note.h"
#include "ssh/certificate.h"
#include "ssh/key.h"
#include "store/sqlite.h"
#include "store/sqlite_log_store.h"
#include "tests/forgery.h"
#include "tests/test_util.h"

namespace quartet::testing {
namespace {

using Json = nlohmann::json;

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

class AgentSshTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(FreshDirectory("agent-ssh"));
    data_ = new std::string(*dir_ + "/server");
    agent_data_ = new std::string(*dir_ + "/agent");
    login_ = new std::string(::getpwuid(::geteuid())->pw_name);
    auto admin = [](std::vector<std::string> args) {
      std::vector<std::string> argv = {QuartetBinary(), "admin", "--data", *data_};
      argv.insert(argv.end(), args.begin(), args.end());
      auto result = RunProcess(argv);
      ASSERT_EQ(result.status, 0) << result.err;
    };
    admin({"client", "add", "--tenant", "acme", "--name", "Acme Ltd"});
    admin({"resource", "add", "--client", "acme", "--name", "web-1", "--kind", "ssh-host"});
    admin({"user", "add", "--name", "tom", "--role", "technician"});
    admin({"user", "add", "--name", "olivia", "--role", "owner", "--client", "acme"});
    // The provider's admin makes an "owner" of the client for itself.
    admin({"user", "add", "--name", "mallory", "--role", "owner", "--client", "acme"});
    admin({"relate", "--client", "acme", "--technician", "tom"});
    tokens_ = new std::map<std::string, std::string>();
    for (const char* user : {"tom", "olivia", "mallory"}) {
      auto token = RunProcess(
          {QuartetBinary(), "admin", "--data", *data_, "token", "create", "--user", user});
      ASSERT_EQ(token.status, 0) << token.err;
      (*tokens_)[user] = token.out.substr(0, token.out.find('\n'));
    }
    server_ = new RunningServer(*data_);
    owner_key_ = new std::string(*dir_ + "/olivia.key");
    ASSERT_EQ(Quartet("olivia", {"owner-key", "create", "--out", *owner_key_}).status, 0);
    ASSERT_EQ(Quartet("olivia", {"owner-key", "register", "--key", *owner_key_}).status, 0);
    // Olivia starts the client's trust chain with her key, and signs what web-1 holds (nothing
    // sensitive: routine work on it needs no approval under the safe default).
    auto init = Quartet("olivia", {"trust", "init", "--key", *owner_key_, "--recovery-out",
                                   *dir_ + "/olivia.recovery"});
    ASSERT_EQ(init.status, 0) << init.err;
    auto resource = Quartet("olivia", {"resource", "sign", "--key", *owner_key_, "--resource",
                                       "web-1", "--labels", "none"});
    ASSERT_EQ(resource.status, 0) << resource.err;

    // The owner invites the agent with her key; the agent enrols with the code, prints its safety
    // code, and the owner confirms it with that code.
    auto code = Quartet("olivia", {"agent", "invite", "--key", *owner_key_});
    ASSERT_EQ(code.status, 0) << code.err;
    auto enrol =
        RunProcess({QuartetBinary(), "agent", "enrol", "--server", server_->url(), "--code",
                    code.out.substr(0, code.out.find('\n')), "--data", *agent_data_});
    ASSERT_EQ(enrol.status, 0) << enrol.err;
    const size_t at = enrol.out.rfind("safety code: ");
    ASSERT_NE(at, std::string::npos) << enrol.out;
    const std::string safety_code = enrol.out.substr(at + 13, 14);
    StartAgent();
    // Until it is confirmed, the agent opens no door.
    {
      const std::string grant = RequestFor("tom", *login_);
      ASSERT_EQ(Quartet("olivia", {"approve", grant, "--key", *owner_key_}).status, 0);
      auto refused = Quartet("tom", {"cert", "--client", "acme", "--grant", grant, "--out",
                                     *dir_ + "/unconfirmed", "--wait", "20"});
      ASSERT_NE(refused.status, 0);
      ASSERT_NE(refused.err.find("not confirmed this agent"), std::string::npos) << refused.err;
      // Ended, so that the tests' own grants are the only live ones (`quartet ssh` picks one).
      auto ended = Quartet("tom", {"end", grant, "--client", "acme"});
      ASSERT_EQ(ended.status, 0) << ended.err;
    }
    auto wrong = Quartet(
        "olivia", {"agent", "confirm", "--key", *owner_key_, "--safety-code", "0000-0000-0000"});
    ASSERT_NE(wrong.status, 0);
    ASSERT_NE(wrong.err.find("does not match"), std::string::npos) << wrong.err;
    auto confirm =
        Quartet("olivia", {"agent", "confirm", "--key", *owner_key_, "--safety-code", safety_code});
    ASSERT_EQ(confirm.status, 0) << confirm.err;
    ASSERT_TRUE(WaitFor(AgentCaughtUp, std::chrono::seconds(20)));

    // sshd trusts the client's CA and asks the agent about each certificate.
    auto ca = RunProcess({QuartetBinary(), "agent", "ca", "--data", *agent_data_});
    ASSERT_EQ(ca.status, 0) << ca.err;
    WriteTextFile(*dir_ + "/ca.pub", ca.out);
    auto host_key = RunProcess(
        {"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", *dir_ + "/host_key"});
    ASSERT_EQ(host_key.status, 0) << host_key.err;
    std::filesystem::create_directories("/run/sshd");
    // sshd runs AuthorizedPrincipalsCommand only from folders that root owns and no one else can
    // write: a build tree under /tmp is not one. As root, run a copy from such a folder.
    principals_binary_ = new std::string(QuartetBinary());
    if (::geteuid() == 0) {
      char folder[] = "/run/quartet-test-XXXXXX";
      ASSERT_NE(::mkdtemp(folder), nullptr);
      ::chmod(folder, 0755);
      principals_folder_ = new std::string(folder);
      *principals_binary_ = *principals_folder_ + "/quartet";
      std::filesystem::copy_file(QuartetBinary(), *principals_binary_);
    }
    ssh_port_ = FreePort();
    sshd_log_ = new std::string(*dir_ + "/sshd.log");
    WriteTextFile(*dir_ + "/sshd_config",
                  "Port " + std::to_string(ssh_port_) + "\nListenAddress 127.0.0.1\nHostKey " +
                      *dir_ + "/host_key\nPidFile " + *dir_ + "/sshd.pid\nTrustedUserCAKeys " +
                      *dir_ + "/ca.pub\nAuthorizedPrincipalsCommand " + *principals_binary_ +
                      " agent principals --data " + *agent_data_ +
                      " --user %u --key-id %i --serial %s\nAuthorizedPrincipalsCommandUser " +
                      *login_ +
                      "\nAuthorizedKeysFile none\nPasswordAuthentication "
                      "no\nKbdInteractiveAuthentication no\n"
                      "PubkeyAuthentication yes\nUsePAM no\nStrictModes no\nPermitRootLogin "
                      "prohibit-password\n"
                      "LogLevel VERBOSE\n");
    sshd_ = new Subprocess(Subprocess::Start(
        {"/usr/sbin/sshd", "-D", "-e", "-f", *dir_ + "/sshd_config", "-E", *sshd_log_}));
    ASSERT_TRUE(WaitFor(
        [] { return ReadTextFile(*sshd_log_).find("Server listening") != std::string::npos; },
        std::chrono::seconds(10)))
        << ReadTextFile(*sshd_log_);
  }

  static void TearDownTestSuite() {
    sshd_->Signal(SIGTERM);
    sshd_->Wait();
    delete sshd_;
    StopAgent();
    delete server_;
    std::filesystem::remove_all(*dir_);
    if (principals_folder_ != nullptr) std::filesystem::remove_all(*principals_folder_);
    delete principals_folder_;
    principals_folder_ = nullptr;
    for (std::string* text :
         {dir_, data_, agent_data_, login_, owner_key_, sshd_log_, principals_binary_})
      delete text;
    delete tokens_;
  }

  static void StartAgent() {
    agent_ = new Subprocess(
        Subprocess::Start({QuartetBinary(), "--server", server_->url(), "agent", "run", "--data",
                           *agent_data_, "--unknown-grant-wait", "2"}));
  }
  // The size of the last checkpoint the agent cosigned, from its own record.
  static uint64_t WitnessedSize() {
    auto status =
        RunProcess({QuartetBinary(), "agent", "status", "--data", *agent_data_, "--json"});
    return status.status == 0 ? Json::parse(status.out)["witnessed_size"].get<uint64_t>() : 0;
  }
  // What the agent said on stderr, stopping it (for failure messages).
  static std::string AgentLog() {
    if (agent_ == nullptr) return "";
    agent_->Signal(SIGTERM);
    agent_->Wait();
    const std::string text = agent_->Stderr();
    delete agent_;
    agent_ = nullptr;
    return text;
  }
  // The agent has cosigned the log's latest checkpoint.
  static bool AgentCaughtUp() {
    client::HttpClient http(server_->host(), server_->port());
    auto reply = http.Request("GET", "/api/v1/clients/acme/agent", "",
                              {{"Authorization", "Bearer " + tokens_->at("olivia")}});
    if (!reply.ok() || reply->status != 200) return false;
    const Json view = Json::parse(reply->body);
    return view["witnessed_size"] == view["log_size"];
  }
  static void StopAgent() {
    if (agent_ == nullptr) return;
    agent_->Signal(SIGTERM);
    agent_->Wait();
    delete agent_;
    agent_ = nullptr;
  }

  static RunResult Quartet(const std::string& user, std::vector<std::string> args) {
    std::vector<std::string> argv = {QuartetBinary(), "--server", server_->url(), "--token",
                                     tokens_->at(user)};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }

  // A request by `technician` for `login` on web-1 (no ticket: the safe default asks the owner),
  // naming the technician's SSH key (`ssh_key`, the default one when empty). Its id.
  static std::string RequestFor(const std::string& technician, const std::string& login,
                                std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--json",     "request", "--client", "acme",
                                     "--resource", "web-1",   "--login",  login,
                                     "--for",      "30m",     "--reason", "disk full on web-1"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto result = Quartet(technician, args);
    EXPECT_EQ(result.status, 0) << result.err;
    return result.status == 0 ? Json::parse(result.out)["id"].get<std::string>() : "";
  }
  std::string Request(const std::string& login) { return RequestFor("tom", login); }
  std::string ApprovedGrant(const std::string& login) {
    const std::string id = Request(login);
    auto approve =
        Quartet("olivia", {"approve", id, "--key", *owner_key_, "--comment", "go ahead"});
    EXPECT_EQ(approve.status, 0) << approve.err;
    return id;
  }
  RunResult Certificate(const std::string& grant, const std::string& key, int wait_seconds = 20) {
    std::filesystem::remove(key);
    std::filesystem::remove(key + ".pub");
    std::filesystem::remove(key + "-cert.pub");
    return Quartet("tom", {"cert", "--client", "acme", "--grant", grant, "--out", key, "--wait",
                           std::to_string(wait_seconds)});
  }
  // ssh's exit status: 0 logged in and ran `true`, 255 refused.
  int Ssh(const std::string& key, const std::string& user) {
    std::vector<std::string> argv = {"/usr/bin/ssh",
                                     "-F",
                                     "/dev/null",
                                     "-i",
                                     key,
                                     "-o",
                                     "IdentitiesOnly=yes",
                                     "-o",
                                     "BatchMode=yes",
                                     "-o",
                                     "StrictHostKeyChecking=no",
                                     "-o",
                                     "UserKnownHostsFile=/dev/null",
                                     "-o",
                                     "ConnectTimeout=10",
                                     "-p",
                                     std::to_string(ssh_port_),
                                     "-l",
                                     user};
    if (std::filesystem::exists(key + "-cert.pub")) {
      argv.insert(argv.end(), {"-o", "CertificateFile=" + key + "-cert.pub"});
    }
    argv.insert(argv.end(), {"127.0.0.1", "true"});
    return RunProcess(argv).status;
  }
  static std::string SshdLog() { return ReadTextFile(*sshd_log_); }
  static bool Accepted(const std::string& grant) {
    return SshdLog().find("ID grant-" + grant + ":tom (serial") != std::string::npos &&
           SshdLog().find("Accepted publickey for " + *login_) != std::string::npos;
  }
  static size_t CountAccepted(const std::string& grant) {
    const std::string log = SshdLog();
    const std::string needle = "ID grant-" + grant + ":tom (serial";
    size_t count = 0;
    for (size_t at = log.find("Accepted publickey"); at != std::string::npos;
         at = log.find("Accepted publickey", at + 1)) {
      const size_t end = log.find('\n', at);
      if (log.substr(at, end - at).find(needle) != std::string::npos) ++count;
    }
    return count;
  }
  std::string Key(const std::string& name) { return *dir_ + "/" + name; }

  static inline std::string* dir_ = nullptr;
  static inline std::string* data_ = nullptr;
  static inline std::string* agent_data_ = nullptr;
  static inline std::string* login_ = nullptr;
  static inline std::string* owner_key_ = nullptr;
  static inline std::string* sshd_log_ = nullptr;
  static inline std::string* principals_binary_ = nullptr;
  static inline std::string* principals_folder_ = nullptr;
  static inline std::map<std::string, std::string>* tokens_ = nullptr;
  static inline RunningServer* server_ = nullptr;
  static inline Subprocess* agent_ = nullptr;
  static inline Subprocess* sshd_ = nullptr;
  static inline int ssh_port_ = 0;
};

TEST_F(AgentSshTest, ApprovedGrantLogsInAndTheCertificateIsLogged) {
  const std::string grant = ApprovedGrant(*login_);
  auto cert = Certificate(grant, Key("approved"));
  ASSERT_EQ(cert.status, 0) << cert.err;
  // The certificate is what the issue asks: principal = login, key ID, serial, the grant's window.
  auto parsed = ssh::ParseCertificate(ReadTextFile(Key("approved") + "-cert.pub"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->principals, std::vector<std::string>{*login_});
  EXPECT_EQ(parsed->key_id, "grant-" + grant + ":tom");
  EXPECT_GT(parsed->serial, 0u);
  EXPECT_EQ(parsed->valid_before - parsed->valid_after, 1800u);
  EXPECT_EQ(Ssh(Key("approved"), *login_), 0) << SshdLog();
  // sshd writes its log a moment after ssh has gone.
  EXPECT_TRUE(WaitFor([&] { return Accepted(grant); }, std::chrono::seconds(5))) << SshdLog();
  // The certificate's serial and fingerprint are in the client's log.
  auto logs = store::SqliteLogStore::Open(*data_ + "/quartet.db");
  ASSERT_TRUE(logs.ok());
  auto count = (*logs)->EntryCount("acme");
  ASSERT_TRUE(count.ok());
  std::vector<std::string> entries;
  ASSERT_TRUE((*logs)->ReadEntries("acme", 0, *count, entries).ok());
  bool logged = false;
  for (const std::string& entry : entries) {
    const Json event = Json::parse(entry);
    if (event["kind"] == "certificate.issued" && event["grant"] == grant) {
      EXPECT_EQ(event["serial"], std::to_string(parsed->serial));
      EXPECT_EQ(event["fingerprint"], ssh::Fingerprint(parsed->subject));
      logged = true;
    }
  }
  EXPECT_TRUE(logged);
}

// `quartet ssh` does it all: finds the live grant, gets a certificate, runs ssh, removes the key.
TEST_F(AgentSshTest, QuartetSshLogsInWithALiveGrant) {
  const std::string grant = ApprovedGrant(*login_);
  auto ssh = Quartet("tom", {"ssh", "web-1", "--client", "acme", "--host", "127.0.0.1", "--port",
                             std::to_string(ssh_port_), "--ssh-option", "StrictHostKeyChecking=no",
                             "--ssh-option", "UserKnownHostsFile=/dev/null", "--ssh-option",
                             "BatchMode=yes", "--", "echo", "inside"});
  EXPECT_EQ(ssh.status, 0) << ssh.err;
  EXPECT_NE(ssh.out.find("inside"), std::string::npos);
  // sshd writes its log a moment after ssh has gone.
  EXPECT_TRUE(WaitFor([&] { return Accepted(grant); }, std::chrono::seconds(5))) << SshdLog();
}

// A grant's window ends by itself: the certificate stops working with it.
TEST_F(AgentSshTest, ExpiredGrantNoLongerLogsIn) {
  auto requested = Quartet("tom", {"--json", "request", "--client", "acme", "--resource", "web-1",
                                   "--login", *login_, "--for", "5s", "--reason", "a quick look"});
  ASSERT_EQ(requested.status, 0) << requested.err;
  const std::string grant = Json::parse(requested.out)["id"].get<std::string>();
  ASSERT_EQ(Quartet("olivia", {"approve", grant, "--key", *owner_key_}).status, 0);
  auto cert = Certificate(grant, Key("short"));
  ASSERT_EQ(cert.status, 0) << cert.err;
  EXPECT_EQ(Ssh(Key("short"), *login_), 0) << SshdLog();
  std::this_thread::sleep_for(std::chrono::seconds(6));
  EXPECT_EQ(Ssh(Key("short"), *login_), 255);
  EXPECT_TRUE(WaitFor([&] { return CountAccepted(grant) == 1; }, std::chrono::seconds(5)))
      << SshdLog();
  // And the agent issues no new one for it.
  cert = Certificate(grant, Key("short-again"));
  EXPECT_NE(cert.status, 0);
}

TEST_F(AgentSshTest, NoCertificateOrAnotherCaDoesNotLogIn) {
  // A plain key, and a certificate from a CA the host does not trust.
  ASSERT_EQ(RunProcess({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Key("plain")})
                .status,
            0);
  EXPECT_EQ(Ssh(Key("plain"), *login_), 255);
  ASSERT_EQ(
      RunProcess({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Key("rogue-ca")})
          .status,
      0);
  ASSERT_EQ(RunProcess({"/usr/bin/ssh-keygen", "-q", "-s", Key("rogue-ca"), "-I", "grant-x:tom",
                        "-n", *login_, "-z", "1", "-V", "-5m:+1h", Key("plain") + ".pub"})
                .status,
            0);
  EXPECT_EQ(Ssh(Key("plain"), *login_), 255);
  EXPECT_EQ(CountAccepted("x"), 0u) << SshdLog();
}

TEST_F(AgentSshTest, PendingAndDeniedGrantsGetNoCertificate) {
  const std::string pending = Request(*login_);
  auto cert = Certificate(pending, Key("pending"));
  EXPECT_NE(cert.status, 0);
  EXPECT_NE(cert.err.find("not live"), std::string::npos) << cert.err;
  EXPECT_FALSE(std::filesystem::exists(Key("pending") + "-cert.pub"));
  ASSERT_EQ(Quartet("olivia", {"deny", pending, "--key", *owner_key_}).status, 0);
  cert = Certificate(pending, Key("denied"));
  EXPECT_NE(cert.status, 0);
  EXPECT_FALSE(std::filesystem::exists(Key("denied") + "-cert.pub"));
  EXPECT_FALSE(Accepted(pending));
}

TEST_F(AgentSshTest, WrongLoginIsRefusedBySshd) {
  const std::string grant = ApprovedGrant("backup");
  ASSERT_EQ(Certificate(grant, Key("wrong-login")).status, 0);
  EXPECT_EQ(Ssh(Key("wrong-login"), *login_), 255);
  EXPECT_EQ(CountAccepted(grant), 0u) << SshdLog();
}

TEST_F(AgentSshTest, EndingOrRevokingAGrantClosesTheDoorAtOnce) {
  const std::string ended = ApprovedGrant(*login_);
  ASSERT_EQ(Certificate(ended, Key("ended")).status, 0);
  ASSERT_EQ(Ssh(Key("ended"), *login_), 0) << SshdLog();
  ASSERT_EQ(Quartet("tom", {"end", ended, "--client", "acme"}).status, 0);
  // The certificate is still within its validity; the agent's principals check closes the door as
  // soon as it has cosigned the checkpoint with the end in it.
  EXPECT_TRUE(WaitFor([&] { return Ssh(Key("ended"), *login_) == 255; }, std::chrono::seconds(10)));
  const size_t logins = CountAccepted(ended);
  EXPECT_EQ(Ssh(Key("ended"), *login_), 255);
  EXPECT_EQ(CountAccepted(ended), logins);

  const std::string revoked = ApprovedGrant(*login_);
  ASSERT_EQ(Certificate(revoked, Key("revoked")).status, 0);
  ASSERT_EQ(Ssh(Key("revoked"), *login_), 0);
  ASSERT_EQ(Quartet("olivia", {"revoke", revoked, "--reason", "done"}).status, 0);
  EXPECT_TRUE(
      WaitFor([&] { return Ssh(Key("revoked"), *login_) == 255; }, std::chrono::seconds(10)));
  EXPECT_EQ(Ssh(Key("revoked"), *login_), 255);

  // Hosts that cannot ask the agent get a KRL with both serials.
  auto krl = RunProcess(
      {QuartetBinary(), "agent", "krl", "--data", *agent_data_, "--out", Key("revoked.krl")});
  ASSERT_EQ(krl.status, 0) << krl.err;
  for (const char* name : {"ended", "revoked"}) {
    auto query = RunProcess(
        {"/usr/bin/ssh-keygen", "-Q", "-f", Key("revoked.krl"), Key(name) + "-cert.pub"});
    EXPECT_NE(query.status, 0) << name << ": " << query.out;
    EXPECT_NE(query.out.find("REVOKED"), std::string::npos) << query.out;
  }
}

// A server that writes into the log what no owner signed: the agent replays the log itself and
// refuses.
TEST_F(AgentSshTest, ForgedOwnerApprovalInTheLogGetsNoCertificate) {
  const std::string grant = Request(*login_);
  ForgeApproval(*data_, "acme", grant, "olivia", Key("forged.jsonl"));
  auto cert = Certificate(grant, Key("forged"));
  EXPECT_NE(cert.status, 0);
  EXPECT_NE(cert.err.find("refused"), std::string::npos) << cert.err;
  EXPECT_FALSE(std::filesystem::exists(Key("forged") + "-cert.pub"));
  EXPECT_EQ(Ssh(Key("forged"), *login_), 255);
}

// A grant the server has in its tables but never wrote to the log.
TEST_F(AgentSshTest, GrantMissingFromTheLogGetsNoCertificate) {
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  access::GrantRequest request;
  request.id = "g-unlogged";
  request.client = "acme";
  request.technician = "tom";
  request.resource = "web-1";
  request.login = *login_;
  request.reason = "not in the log";
  request.duration_seconds = 1800;
  request.requested_at = now;
  access::GrantProgress progress;
  progress.state = access::GrantState::kApproved;
  progress.window_start = now;
  progress.window_end = now + 1800;
  auto db = store::Database::Open(*data_ + "/quartet.db");
  ASSERT_TRUE(db.ok());
  auto insert = (*db)->Prepare(
      "INSERT INTO grants (client, id, technician, state, requested_at, request, progress) VALUES "
      "('acme', ?, 'tom', "
      "'approved', ?, ?, ?)");
  ASSERT_TRUE(insert.ok());
  (*insert)
      ->Bind(1, request.id)
      .Bind(2, now)
      .Bind(3, access::CanonicalRequest(request))
      .Bind(4, access::ProgressToJson(progress));
  ASSERT_TRUE((*insert)->Run().ok());
  auto cert = Certificate(request.id, Key("unlogged"));
  EXPECT_NE(cert.status, 0);
  EXPECT_NE(cert.err.find("not in the log"), std::string::npos) << cert.err;
  EXPECT_EQ(Ssh(Key("unlogged"), *login_), 255);
}

// Nothing in the server's data folder can sign a certificate the host accepts.
TEST_F(AgentSshTest, ServerDataFolderCannotMintAccess) {
  // The CA's secret never reached the server: no file of its folder holds it.
  auto ca = ssh::KeyPair::ParsePrivateKeyFile(ReadTextFile(*agent_data_ + "/keys/ssh-ca"));
  ASSERT_TRUE(ca.ok());
  const Bytes seed = ca->Seed();
  const std::string secret(seed.begin(), seed.end());
  const std::string encoded = Base64Encode(seed);
  for (const auto& file : std::filesystem::recursive_directory_iterator(*data_)) {
    if (!file.is_regular_file()) continue;
    const std::string contents = ReadTextFile(file.path());
    EXPECT_EQ(contents.find(secret), std::string::npos) << file.path();
    EXPECT_EQ(contents.find(encoded), std::string::npos) << file.path();
  }
  // Every key the server holds, tried as an SSH CA for a live grant's certificate: refused.
  const std::string grant = ApprovedGrant(*login_);
  ASSERT_EQ(RunProcess({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        Key("server-minted")})
                .status,
            0);
  auto subject = ssh::ParsePublicKey(ReadTextFile(Key("server-minted") + ".pub"));
  ASSERT_TRUE(subject.ok());
  int tried = 0;
  for (const auto& file : std::filesystem::directory_iterator(*data_ + "/keys")) {
    std::string text = ReadTextFile(file.path());
    while (!text.empty() && text.back() == '\n') text.pop_back();
    auto signer = ledger::NoteSigner::Parse(text);
    ASSERT_TRUE(signer.ok()) << file.path();
    // PRIVATE+KEY+<name>+<key ID>+base64(type || seed); names hold no '+', base64 may.
    size_t plus = 0;
    for (int i = 0; i < 4; ++i) plus = text.find('+', plus) + 1;
    const std::string seed_text = text.substr(plus);
    auto raw = Base64Decode(seed_text);
    ASSERT_TRUE(raw.ok());
    auto key = ssh::KeyPair::FromSeed(ByteView(*raw).subspan(1));
    ASSERT_TRUE(key.ok());
    ssh::CertificateTemplate tmpl;
    tmpl.subject = *subject;
    tmpl.serial = 1;  // the agent's first serial, too
    tmpl.key_id = "grant-" + grant + ":tom";
    tmpl.principals = {*login_};
    const uint64_t now = static_cast<uint64_t>(std::time(nullptr));
    tmpl.valid_after = now - 60;
    tmpl.valid_before = now + 1800;
    tmpl.extensions = {"permit-pty"};
    FakeRandom random(1);
    auto cert = ssh::SignUserCertificate(tmpl, *key, random, "");
    ASSERT_TRUE(cert.ok());
    WriteTextFile(Key("server-minted") + "-cert.pub", *cert + "\n");
    EXPECT_EQ(Ssh(Key("server-minted"), *login_), 255);
    ++tried;
  }
  EXPECT_GE(tried, 1);
  EXPECT_EQ(CountAccepted(grant), 0u);
}

// The agent offline: the request waits, nothing is issued, nothing is lost; back online, it is
// answered.
TEST_F(AgentSshTest, RequestsWaitWhileTheAgentIsOffline) {
  const std::string grant = ApprovedGrant(*login_);
  StopAgent();
  auto cert = Certificate(grant, Key("offline"), 2);
  EXPECT_NE(cert.status, 0);
  EXPECT_NE(cert.err.find("has not answered"), std::string::npos) << cert.err;
  EXPECT_FALSE(std::filesystem::exists(Key("offline") + "-cert.pub"));
  StartAgent();
  cert = Certificate(grant, Key("online"), 30);
  ASSERT_EQ(cert.status, 0) << cert.err;
  EXPECT_EQ(Ssh(Key("online"), *login_), 0) << SshdLog();
  // The request made while it was away was answered too, not lost.
  auto db = store::Database::Open(*data_ + "/quartet.db");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto count = (*db)->Prepare(
            "SELECT count(*) FROM certificate_requests WHERE grant_id = ? AND state = 'pending'");
        (*count)->Bind(1, grant);
        const bool none = *(*count)->Step() && (*count)->ColumnInt(0) == 0;
        (*count)->Reset();
        return none;
      },
      std::chrono::seconds(10)));
}

// The client holds the root of trust: whatever the provider's side makes of the client's owners,
// keys, policy and agent, nothing it makes opens a door.

TEST_F(AgentSshTest, AnOwnerTheProviderMadeCannotOpenTheDoor) {
  // mallory is an "owner" the provider's admin made, with a key the server registered for her.
  const std::string key = Key("mallory.key");
  ASSERT_EQ(Quartet("mallory", {"owner-key", "create", "--out", key}).status, 0);
  Quartet("mallory", {"owner-key", "register", "--key", key});
  const std::string grant = Request(*login_);
  auto approve = Quartet("mallory", {"approve", grant, "--key", key});
  EXPECT_NE(approve.status, 0);
  EXPECT_NE(approve.err.find("trust chain"), std::string::npos) << approve.err;
  // Nor can she sign anything into the chain, or confirm an agent.
  auto resource = Quartet(
      "mallory", {"resource", "sign", "--key", key, "--resource", "web-1", "--labels", "none"});
  EXPECT_NE(resource.status, 0);
  EXPECT_NE(resource.err.find("not an owner's device"), std::string::npos) << resource.err;
  auto cert = Certificate(grant, Key("mallory-grant"), 3);
  EXPECT_NE(cert.status, 0);
  EXPECT_EQ(Ssh(Key("mallory-grant"), *login_), 255);
  EXPECT_EQ(CountAccepted(grant), 0u);
}

TEST_F(AgentSshTest, ASecondAgentCannotTakeTheConfirmedAgentsPlace) {
  auto code = Quartet("mallory", {"agent", "invite"});
  ASSERT_EQ(code.status, 0) << code.err;
  const std::string rogue = Key("rogue-agent");
  auto enrol = RunProcess({QuartetBinary(), "agent", "enrol", "--server", server_->url(), "--code",
                           code.out.substr(0, code.out.find('\n')), "--data", rogue});
  ASSERT_EQ(enrol.status, 0) << enrol.err;
  // It waits for the owners: the server gives it no work and takes no cosignature from it...
  EXPECT_NE(enrol.out.find("replaces agent"), std::string::npos) << enrol.out;
  const std::string token = ReadTextFile(rogue + "/keys/agent.token");
  client::HttpClient http(server_->host(), server_->port());
  const std::map<std::string, std::string> headers = {
      {"Authorization", "Bearer " + token.substr(0, token.find('\n'))},
      {"Content-Type", "application/json"}};
  auto work = http.Request("GET", "/api/v1/agent/work?witnessed=0&wait=0", "", headers);
  ASSERT_TRUE(work.ok());
  EXPECT_EQ(work->status, 200) << work->body;
  EXPECT_NE(work->body.find("have not confirmed this agent"), std::string::npos) << work->body;
  auto cosign = http.Request("POST", "/api/v1/agent/cosignatures",
                             R"({"size":1,"cosignature":"x\n"})", headers);
  ASSERT_TRUE(cosign.ok());
  EXPECT_EQ(cosign->status, 409) << cosign->body;
  // ...and the "owner" the provider made cannot confirm it: her key is not in the chain.
  const std::string key = Key("mallory-2.key");
  ASSERT_EQ(Quartet("mallory", {"owner-key", "create", "--out", key}).status, 0);
  auto confirm =
      Quartet("mallory", {"agent", "confirm", "--key", key, "--safety-code", "0000-0000-0000"});
  EXPECT_NE(confirm.status, 0);
  EXPECT_NE(confirm.err.find("not an owner's device"), std::string::npos) << confirm.err;
  // The client's own agent goes on opening the doors its owners approve.
  const std::string grant = ApprovedGrant(*login_);
  auto cert = Certificate(grant, Key("still-ours"));
  ASSERT_EQ(cert.status, 0) << cert.err;
  EXPECT_EQ(Ssh(Key("still-ours"), *login_), 0) << SshdLog();
}

TEST_F(AgentSshTest, TheOwnersReplaceTheAgentAndTheNewOneGoesOnFromTheOldOnesCheckpoint) {
  ASSERT_TRUE(WaitFor(AgentCaughtUp, std::chrono::seconds(20)));
  const uint64_t cosigned_by_old = WitnessedSize();
  ASSERT_GT(cosigned_by_old, 0u);
  // The owner invites the new agent with her key; it enrols and waits for her.
  auto code = Quartet("olivia", {"agent", "invite", "--key", *owner_key_});
  ASSERT_EQ(code.status, 0) << code.err;
  const std::string second = Key("second-agent");
  auto enrol =
      RunProcess({QuartetBinary(), "agent", "enrol", "--server", server_->url(), "--code",
                  code.out.substr(0, code.out.find('\n')), "--data", second, "--name", "agent-2"});
  ASSERT_EQ(enrol.status, 0) << enrol.err;
  EXPECT_NE(enrol.out.find("replaces agent"), std::string::npos) << enrol.out;
  const size_t at = enrol.out.rfind("safety code: ");
  ASSERT_NE(at, std::string::npos) << enrol.out;
  const std::string safety_code = enrol.out.substr(at + 13, 14);
  Subprocess replacement =
      Subprocess::Start({QuartetBinary(), "--server", server_->url(), "agent", "run", "--data",
                         second, "--unknown-grant-wait", "2"});
  // Until the owners confirm it, the agent they confirmed keeps the doors.
  {
    const std::string grant = ApprovedGrant(*login_);
    auto cert = Certificate(grant, Key("before-the-swap"));
    ASSERT_EQ(cert.status, 0) << cert.err;
    EXPECT_EQ(Ssh(Key("before-the-swap"), *login_), 0) << SshdLog();
  }
  auto confirm =
      Quartet("olivia", {"agent", "confirm", "--key", *owner_key_, "--safety-code", safety_code});
  ASSERT_EQ(confirm.status, 0) << confirm.err;
  EXPECT_NE(confirm.out.find("agent-2 confirmed"), std::string::npos) << confirm.out;
  // The new agent is the log's witness now, and cosigns it all.
  auto ca = RunProcess({QuartetBinary(), "agent", "ca", "--data", second});
  ASSERT_EQ(ca.status, 0) << ca.err;
  client::HttpClient http(server_->host(), server_->port());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto reply = http.Request("GET", "/api/v1/clients/acme/agent", "",
                                  {{"Authorization", "Bearer " + tokens_->at("olivia")}});
        if (!reply.ok() || reply->status != 200) return false;
        const Json view = Json::parse(reply->body);
        return view["name"] == "agent-2" && view["witnessed_size"] == view["log_size"];
      },
      std::chrono::seconds(30)));
  // The client's hosts take its CA and ask it about each certificate (sshd reloads its
  // configuration on SIGHUP).
  WriteTextFile(*dir_ + "/ca.pub", ca.out);
  std::string config = ReadTextFile(*dir_ + "/sshd_config");
  const std::string old_data = "--data " + *agent_data_ + " ";
  config.replace(config.find(old_data), old_data.size(), "--data " + second + " ");
  WriteTextFile(*dir_ + "/sshd_config", config);
  const size_t listening = CountOf(SshdLog(), "Server listening");
  sshd_->Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return CountOf(SshdLog(), "Server listening") > listening; },
                      std::chrono::seconds(10)))
      << SshdLog();
  const std::string grant = ApprovedGrant(*login_);
  auto cert = Certificate(grant, Key("after-the-swap"), 30);
  ASSERT_EQ(cert.status, 0) << cert.err;
  EXPECT_EQ(Ssh(Key("after-the-swap"), *login_), 0) << SshdLog();
  // A certificate of the agent it replaced no longer gets in.
  EXPECT_EQ(Ssh(Key("before-the-swap"), *login_), 255);
  // The witness's view never started again: the new agent's first checkpoint extended the last
  // one the old agent cosigned.
  replacement.Signal(SIGTERM);
  replacement.Wait();
  const std::string log = replacement.Stderr();
  const size_t continued = log.find("continues from checkpoint ");
  ASSERT_NE(continued, std::string::npos) << log;
  EXPECT_GE(std::stoull(log.substr(continued + 26)), cosigned_by_old) << log;
  // The old agent's token opens nothing now.
  const std::string old_token = ReadTextFile(*agent_data_ + "/keys/agent.token");
  auto work =
      http.Request("GET", "/api/v1/agent/work?witnessed=0&wait=0", "",
                   {{"Authorization", "Bearer " + old_token.substr(0, old_token.find('\n'))}});
  ASSERT_TRUE(work.ok());
  EXPECT_EQ(work->status, 401) << work->body;
}

TEST_F(AgentSshTest, APolicyTheOwnersDidNotSignOpensNothing) {
  const std::string open_door = R"({"fallback":"approve","rules":[],"time_zone":"UTC"})";
  // Through the API, an unsigned change is refused outright...
  client::HttpClient http(server_->host(), server_->port());
  auto put = http.Request("PUT", "/api/v1/clients/acme/policy", open_door,
                          {{"Authorization", "Bearer " + tokens_->at("mallory")},
                           {"Content-Type", "application/json"}});
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->status, 409) << put->body;
  // ...so the provider writes it into the server's own database, which it holds. The server then
  // approves at once what the owners' policy sends to them; the agent does not.
  {
    auto db = store::Database::Open(*data_ + "/quartet.db");
    ASSERT_TRUE(db.ok());
    auto update = (*db)->Prepare("UPDATE clients SET policy = ? WHERE tenant = 'acme'");
    ASSERT_TRUE(update.ok());
    (*update)->Bind(1, open_door);
    ASSERT_TRUE((*update)->Run().ok());
  }
  const std::string grant = Request(*login_);
  auto view = Quartet("tom", {"--json", "grants", "--client", "acme"});
  ASSERT_EQ(view.status, 0) << view.err;
  EXPECT_NE(view.out.find("\"approved\""), std::string::npos) << view.out;
  auto cert = Certificate(grant, Key("open-door"), 5);
  EXPECT_NE(cert.status, 0);
  EXPECT_NE(cert.err.find("break the rules"), std::string::npos) << cert.err;
  EXPECT_EQ(Ssh(Key("open-door"), *login_), 255);
  // The breach is reported to the owners.
  EXPECT_TRUE(WaitFor(
      [] {
        client::HttpClient client(server_->host(), server_->port());
        auto health = client.Request("GET", "/api/v1/clients/acme/agent", "",
                                     {{"Authorization", "Bearer " + tokens_->at("olivia")}});
        return health.ok() && health->body.find("rule-violation") != std::string::npos;
      },
      std::chrono::seconds(10)));
}

TEST_F(AgentSshTest, BreakGlassUnderAPolicyThatForbidsItIsRefused) {
  access::Policy policy = access::Policy::SafeDefault("UTC");
  policy.breakglass.allowed = false;
  WriteTextFile(Key("no-breakglass.json"), access::ToJson(policy));
  auto sign = Quartet(
      "olivia", {"policy", "sign", "--key", *owner_key_, "--file", Key("no-breakglass.json")});
  ASSERT_EQ(sign.status, 0) << sign.err;
  EXPECT_NE(sign.out.find("never allowed"), std::string::npos) << sign.out;
  auto breakglass = Quartet("tom", {"breakglass", "--client", "acme", "--resource", "web-1",
                                    "--login", *login_, "--for", "30m", "--reason", "site down"});
  EXPECT_NE(breakglass.status, 0);
  EXPECT_NE(breakglass.err.find("never allows break-glass"), std::string::npos) << breakglass.err;
  // The signed policy is the one in force, as the owner's own replay of the chain says.
  auto show = Quartet("olivia", {"policy", "show"});
  ASSERT_EQ(show.status, 0) << show.err;
  EXPECT_NE(show.out.find("signed by the owners"), std::string::npos) << show.out;
}

TEST_F(AgentSshTest, TheKeyTheOwnerApprovedIsTheOnlyKeyThatGetsIn) {
  // tom's request names his key; olivia approves that request.
  const std::string grant = RequestFor("tom", *login_, {"--ssh-key", Key("tom-approved.key")});
  ASSERT_EQ(Quartet("olivia", {"approve", grant, "--key", *owner_key_}).status, 0);
  // Another key is refused by the server...
  auto other = Quartet("tom", {"cert", "--client", "acme", "--grant", grant, "--out",
                               Key("swapped"), "--ssh-key", Key("tom-other.key")});
  EXPECT_NE(other.status, 0);
  EXPECT_NE(other.err.find("names another SSH key"), std::string::npos) << other.err;
  // ...and, asked for straight from the server's database, by the agent.
  auto pub = ssh::ParsePublicKey(ReadTextFile(Key("tom-other.key") + ".pub"));
  ASSERT_TRUE(pub.ok());
  auto db = store::Database::Open(*data_ + "/quartet.db");
  ASSERT_TRUE(db.ok());
  {
    auto insert = (*db)->Prepare(
        "INSERT INTO certificate_requests (client, id, grant_id, technician, public_key, "
        "created_at) VALUES ('acme', 'cswapped', ?, 'tom', ?, ?)");
    ASSERT_TRUE(insert.ok());
    (*insert)->Bind(1, grant).Bind(2, ssh::FormatPublicKey(*pub, "")).Bind(3, std::time(nullptr));
    ASSERT_TRUE((*insert)->Run().ok());
  }
  // A request of the server's own wakes the agent's long poll only when it comes from the API:
  // the honest request below does that.
  auto cert = Quartet("tom", {"cert", "--client", "acme", "--grant", grant, "--out",
                              Key("approved"), "--ssh-key", Key("tom-approved.key")});
  ASSERT_EQ(cert.status, 0) << cert.err;
  EXPECT_EQ(Ssh(Key("approved"), *login_), 0) << SshdLog();
  std::string state, reason;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto select = (*db)->Prepare(
            "SELECT state, reason FROM certificate_requests WHERE client = 'acme' AND id = "
            "'cswapped'");
        if (!select.ok() || !*(*select)->Step()) return false;
        state = std::string((*select)->ColumnText(0));
        reason = std::string((*select)->ColumnText(1));
        (*select)->Reset();
        return state != "pending";
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(state, "refused");
  EXPECT_NE(reason.find("not the one the request names"), std::string::npos) << reason;
}

// `quartet verify --witness` accepts the published log only with the agent's cosignature.
TEST_F(AgentSshTest, VerifyChecksTheAgentsCosignature) {
  ApprovedGrant(*login_);
  ASSERT_TRUE(WaitFor(AgentCaughtUp, std::chrono::seconds(10)));
  auto log_key = RunProcess({QuartetBinary(), "log", "key", "--data", *data_, "--tenant", "acme"});
  ASSERT_EQ(log_key.status, 0) << log_key.err;
  const std::string key = log_key.out.substr(0, log_key.out.find('\n'));
  auto status = RunProcess({QuartetBinary(), "agent", "status", "--data", *agent_data_, "--json"});
  const std::string witness = Json::parse(status.out)["witness_key"].get<std::string>();
  auto verify = RunProcess({QuartetBinary(), "verify", "--url", server_->url() + "/logs/acme",
                            "--key", key, "--witness", witness, "--state", Key("verify.state"),
                            "--token", tokens_->at("olivia")});
  EXPECT_EQ(verify.status, 0) << verify.err;
  EXPECT_NE(verify.out.find("cosigned by its witness"), std::string::npos) << verify.out;
  // The published checkpoint carries both signatures, the log's first.
  const std::string note = ReadTextFile(Key("verify.state"));
  const std::string signatures = note.substr(note.find("\n\n") + 2);
  EXPECT_EQ(signatures.find("\u2014 " + key.substr(0, key.find('+')) + " "), 0u) << note;
  EXPECT_NE(signatures.find("\u2014 quartet-agent "), std::string::npos) << note;
  FakeRandom random(11);
  auto stranger =
      ledger::NoteSigner::Generate("quartet-agent", ledger::SignatureType::kCosignatureV1, random);
  ASSERT_TRUE(stranger.ok());
  verify =
      RunProcess({QuartetBinary(), "verify", "--url", server_->url() + "/logs/acme", "--key", key,
                  "--witness", stranger->VerifierKeyString(), "--token", tokens_->at("olivia")});
  EXPECT_NE(verify.status, 0);
  EXPECT_NE(verify.err.find("lacks the cosignature"), std::string::npos) << verify.err;
}

// A server that serves a rewritten history: the agent refuses it for good, keeps the alarm in its
// own record, and from then on no certificate is issued and no certificate opens the door.
class AgentRewrittenHistoryTest : public AgentSshTest {
 protected:
  // Each case halts the agent: a fresh world for each.
  static void SetUpTestSuite() {}
  static void TearDownTestSuite() {}
  void SetUp() override { AgentSshTest::SetUpTestSuite(); }
  void TearDown() override { AgentSshTest::TearDownTestSuite(); }

  static uint64_t LogSize() {
    client::HttpClient http(server_->host(), server_->port());
    auto reply = http.Request("GET", "/api/v1/clients/acme/agent", "",
                              {{"Authorization", "Bearer " + tokens_->at("olivia")}});
    return reply.ok() && reply->status == 200 ? Json::parse(reply->body)["log_size"].get<uint64_t>()
                                              : 0;
  }

  // The agent caught up, the server is copied (the branch point) and the real history goes on,
  // the agent cosigning it; the agent is stopped then. Whether it cosigned past the branch point.
  bool CopyTheServerAndGoOn() {
    if (!WaitFor(AgentCaughtUp, std::chrono::seconds(10))) return false;
    StopAgent();
    const uint64_t branch = WitnessedSize();
    server_->Stop();
    delete server_;
    std::filesystem::copy(*data_, Copy(), std::filesystem::copy_options::recursive);
    server_ = new RunningServer(*data_);
    StartAgent();
    ApprovedGrant(*login_);
    const bool cosigned = WaitFor([&] { return WitnessedSize() > branch && AgentCaughtUp(); },
                                  std::chrono::seconds(10));
    StopAgent();
    return cosigned;
  }
  // The server serves the copy in place of the real history.
  void ServeTheCopy() {
    server_->Stop();
    delete server_;
    std::filesystem::remove_all(*data_);
    std::filesystem::rename(Copy(), *data_);
    server_ = new RunningServer(*data_);
  }
  std::string Copy() { return *dir_ + "/server-copy"; }

  // The server is copied (the branch point), the real history goes on and the agent cosigns it;
  // then the copy is served instead, with `requests` requests of its own (another story).
  // Returns the size the agent cosigned on the real branch.
  uint64_t ServeAnotherBranch(int requests) {
    const std::string before = ApprovedGrant(*login_);
    EXPECT_EQ(Certificate(before, Key("before")).status, 0);
    EXPECT_EQ(Ssh(Key("before"), *login_), 0);
    EXPECT_TRUE(CopyTheServerAndGoOn());
    const uint64_t cosigned = WitnessedSize();
    ServeTheCopy();
    for (int i = 0; i < requests; ++i) Request("other-account");
    if (requests > 0) {
      EXPECT_TRUE(WaitFor([&] { return LogSize() > cosigned; }, std::chrono::seconds(10)));
    }
    StartAgent();
    return cosigned;
  }

  // The agent halts for `kind`, keeps its record, and nothing opens any more: not the certificate
  // issued before, not a new grant; the owners hear of it through the server.
  void ExpectHaltedFor(const std::string& kind, uint64_t cosigned) {
    ASSERT_TRUE(WaitFor(
        [&] {
          auto now =
              RunProcess({QuartetBinary(), "agent", "status", "--data", *agent_data_, "--json"});
          return now.status == 0 && !Json::parse(now.out)["halted"].get<std::string>().empty();
        },
        std::chrono::seconds(15)))
        << AgentLog();
    auto status =
        RunProcess({QuartetBinary(), "agent", "status", "--data", *agent_data_, "--json"});
    const Json state = Json::parse(status.out);
    EXPECT_EQ(state["witnessed_size"].get<uint64_t>(), cosigned);
    EXPECT_EQ(state["halted"].get<std::string>().rfind(kind + ":", 0), 0u) << state.dump();
    EXPECT_EQ(Ssh(Key("before"), *login_), 255);
    const std::string after = ApprovedGrant(*login_);
    auto cert = Certificate(after, Key("after"));
    EXPECT_NE(cert.status, 0);
    EXPECT_NE(cert.err.find("refuses all access"), std::string::npos) << cert.err;
    EXPECT_TRUE(WaitFor(
        [&] {
          client::HttpClient http(server_->host(), server_->port());
          auto reply = http.Request("GET", "/api/v1/clients/acme/agent", "",
                                    {{"Authorization", "Bearer " + tokens_->at("olivia")}});
          return reply.ok() && reply->body.find("\"kind\":\"" + kind + "\"") != std::string::npos;
        },
        std::chrono::seconds(10)));
  }
};

TEST_F(AgentRewrittenHistoryTest, ForkedLogHaltsTheAgent) {
  const uint64_t cosigned = ServeAnotherBranch(3);
  ExpectHaltedFor("fork", cosigned);
}

TEST_F(AgentRewrittenHistoryTest, RolledBackLogHaltsTheAgent) {
  const uint64_t cosigned = ServeAnotherBranch(0);
  ExpectHaltedFor("rollback", cosigned);
}

// The provider keeps a copy of its server, lets the old agent cosign the real history, then serves
// the copy — a story of its own — to the agent the owners confirm in the old one's place, and hands
// it the old agent's real last checkpoint as where to go on from. The new agent's view does not
// start again from nothing: it refuses to cosign a history that does not extend that checkpoint.
TEST_F(AgentRewrittenHistoryTest, ANewAgentRefusesAHistoryOtherThanTheOneTheOldAgentCosigned) {
  ASSERT_TRUE(CopyTheServerAndGoOn());
  // The old agent's last cosigned checkpoint on the real branch.
  int64_t size = 0;
  Bytes root;
  std::string note;
  {
    auto db = store::Database::Open(*data_ + "/quartet.db");
    ASSERT_TRUE(db.ok());
    auto select = (*db)->Prepare(
        "SELECT size, root, note FROM cosigned_checkpoints ORDER BY size DESC LIMIT 1");
    ASSERT_TRUE(select.ok() && *(*select)->Step());
    size = (*select)->ColumnInt(0);
    const ByteView blob = (*select)->ColumnBlob(1);
    root.assign(blob.begin(), blob.end());
    note = std::string((*select)->ColumnText(2));
  }
  ServeTheCopy();
  for (int i = 0; i < 3; ++i) Request("other-account");
  // The owner replaces her agent on the branch she is shown.
  auto code = Quartet("olivia", {"agent", "invite", "--key", *owner_key_});
  ASSERT_EQ(code.status, 0) << code.err;
  const std::string second = Key("second-agent");
  auto enrol = RunProcess({QuartetBinary(), "agent", "enrol", "--server", server_->url(), "--code",
                           code.out.substr(0, code.out.find('\n')), "--data", second});
  ASSERT_EQ(enrol.status, 0) << enrol.err;
  const std::string safety_code = enrol.out.substr(enrol.out.rfind("safety code: ") + 13, 14);
  ASSERT_EQ(
      Quartet("olivia", {"agent", "confirm", "--key", *owner_key_, "--safety-code", safety_code})
          .status,
      0);
  // The real checkpoint, as the old agent's last.
  {
    auto db = store::Database::Open(*data_ + "/quartet.db");
    ASSERT_TRUE(db.ok());
    auto insert = (*db)->Prepare(
        "INSERT INTO cosigned_checkpoints (log_id, size, root, note) VALUES ((SELECT id FROM logs "
        "WHERE tenant = 'acme'), ?, ?, ?)");
    ASSERT_TRUE(insert.ok()) << insert.status().ToString();
    (*insert)->Bind(1, size).BindBlob(2, root).Bind(3, note);
    const Status inserted = (*insert)->Run();
    ASSERT_TRUE(inserted.ok()) << inserted.ToString();
  }
  Subprocess replacement = Subprocess::Start(
      {QuartetBinary(), "--server", server_->url(), "agent", "run", "--data", second});
  std::string halted;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto now = RunProcess({QuartetBinary(), "agent", "status", "--data", second, "--json"});
        if (now.status != 0) return false;
        halted = Json::parse(now.out)["halted"].get<std::string>();
        return !halted.empty();
      },
      std::chrono::seconds(20)));
  replacement.Signal(SIGTERM);
  replacement.Wait();
  EXPECT_TRUE(halted.rfind("fork:", 0) == 0 || halted.rfind("rollback:", 0) == 0) << halted;
  EXPECT_NE(halted.find("cosigned by agent"), std::string::npos) << halted;
  // It cosigned nothing, and opens no door.
  auto status = RunProcess({QuartetBinary(), "agent", "status", "--data", second, "--json"});
  EXPECT_EQ(Json::parse(status.out)["witnessed_size"].get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace quartet::testing

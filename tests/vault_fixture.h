// A real `quartet server` with one client, acme, whose owner olivia has started its trust chain,
// a technician tom who serves it, a provider admin pat, an "owner" mallory the provider made, and
// another client beta with its owner oscar; the client's agent, enrolled and confirmed on demand.
// For the tests of credentials: storing, revealing, rotating.
#pragma once

#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/json.h"
#include "tests/test_util.h"
#include "vault/credential.h"
#include "vault/sealing_key.h"

namespace quartet::testing {

inline constexpr std::string_view kSecret = "Tr0ub4dor&3 of the reception mailbox";

class VaultFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDirectory(std::string("vault-") +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    data_ = dir_ + "/server";
    agent_ = dir_ + "/agent";
    auto admin = [&](std::vector<std::string> args) {
      std::vector<std::string> argv = {QuartetBinary(), "admin", "--data", data_};
      argv.insert(argv.end(), args.begin(), args.end());
      auto result = RunProcess(argv);
      ASSERT_EQ(result.status, 0) << result.err;
    };
    admin({"user", "add", "--name", "pat", "--role", "provider-admin"});
    admin({"client", "add", "--tenant", "acme", "--name", "Acme Ltd"});
    admin({"client", "add", "--tenant", "beta", "--name", "Beta Ltd"});
    admin({"resource", "add", "--client", "acme", "--name", "mail", "--kind", "mailbox"});
    admin({"user", "add", "--name", "olivia", "--role", "owner", "--client", "acme"});
    admin({"user", "add", "--name", "oscar", "--role", "owner", "--client", "beta"});
    admin({"user", "add", "--name", "tom", "--role", "technician"});
    admin({"relate", "--client", "acme", "--technician", "tom"});
    // The provider's admin makes an "owner" of the client for itself.
    admin({"user", "add", "--name", "mallory", "--role", "owner", "--client", "acme"});
    for (const char* user : {"pat", "olivia", "oscar", "tom", "mallory"}) {
      auto token = RunProcess(
          {QuartetBinary(), "admin", "--data", data_, "token", "create", "--user", user});
      ASSERT_EQ(token.status, 0) << token.err;
      tokens_[user] = token.out.substr(0, token.out.find('\n'));
    }
    server_ = std::make_unique<RunningServer>(data_);
    for (const char* key : {"olivia", "mallory"})
      ASSERT_EQ(RunProcess({QuartetBinary(), "owner-key", "create", "--out", Key(key)}).status, 0);
    auto init = Quartet("olivia", {"trust", "init", "--key", Key("olivia"), "--recovery-out",
                                   dir_ + "/olivia.recovery"});
    ASSERT_EQ(init.status, 0) << init.err;
    WriteTextFile(dir_ + "/secret", std::string(kSecret) + "\n");
  }
  void TearDown() override {
    AgentLog();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string Key(const std::string& name) const { return dir_ + "/" + name + ".key"; }
  RunResult Quartet(const std::string& user, std::vector<std::string> args,
                    const std::string& stdin_path = "") {
    std::vector<std::string> argv = {QuartetBinary(), "--server", server_->url(), "--token",
                                     tokens_.at(user)};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, stdin_path);
  }
  RunResult Put(const std::string& user, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "vault", "put",    "--client", "acme",       "--resource",
        "mail",  "--name", "admin",    "--username", "admin@acme.example"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Quartet(user, args, dir_ + "/secret");
  }
  // The owner enrols the agent and confirms it by the safety code it printed.
  void EnrolAndConfirmAgent() {
    auto code = Quartet("olivia", {"agent", "invite", "--key", Key("olivia")});
    ASSERT_EQ(code.status, 0) << code.err;
    auto enrol = RunProcess({QuartetBinary(), "agent", "enrol", "--server", server_->url(),
                             "--code", code.out.substr(0, code.out.find('\n')), "--data", agent_});
    ASSERT_EQ(enrol.status, 0) << enrol.err;
    ASSERT_NE(enrol.out.find("sealing key: "), std::string::npos) << enrol.out;
    const std::string safety_code = enrol.out.substr(enrol.out.rfind("safety code: ") + 13, 14);
    auto confirm = Quartet(
        "olivia", {"agent", "confirm", "--key", Key("olivia"), "--safety-code", safety_code});
    ASSERT_EQ(confirm.status, 0) << confirm.err;
  }
  Json List(const std::string& user) {
    auto listed = Quartet(user, {"vault", "list", "--client", "acme", "--json"});
    EXPECT_EQ(listed.status, 0) << listed.err;
    auto parsed = ParseJson(listed.out, "vault list");
    return parsed.ok() ? (*parsed)["credentials"] : Json::array();
  }
  vault::HpkeKeyPair AgentSealingKey() const {
    return *vault::ParseSealingKeyFile(ReadTextFile(agent_ + "/keys/sealing.key"));
  }

  void StartAgent() {
    agent_process_ = std::make_unique<Subprocess>(
        Subprocess::Start({QuartetBinary(), "--server", server_->url(), "agent", "run", "--data",
                           agent_, "--unknown-grant-wait", "2"}));
  }
  std::string AgentLog() {
    if (agent_process_ == nullptr) return "";
    agent_process_->Signal(SIGTERM);
    agent_process_->Wait();
    const std::string log = agent_process_->Stderr();
    agent_process_.reset();
    return log;
  }
  // tom asks to reveal a credential of `resource`; the grant's ID.
  std::string RequestReveal(const std::string& resource = "mail") {
    auto result = Quartet("tom", {"--json", "request", "--client", "acme", "--resource", resource,
                                  "--action", "reveal-credential", "--for", "30m", "--reason",
                                  "reset the reception mailbox rules"});
    EXPECT_EQ(result.status, 0) << result.err;
    return result.status == 0 ? Json::parse(result.out)["id"].get<std::string>() : "";
  }
  RunResult Reveal(const std::string& grant) {
    return Quartet("tom", {"reveal", "--client", "acme", "--grant", grant, "--wait", "30"});
  }

  std::unique_ptr<Subprocess> agent_process_;
  std::string dir_, data_, agent_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<RunningServer> server_;
};

}  // namespace quartet::testing

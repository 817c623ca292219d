// `quartet demo`, as the README's first command runs it: the demo's logs verify from outside with the
// keys it prints, and its owners have requests waiting.
#include <filesystem>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace quartet::testing {
namespace {

TEST(DemoTest, DemoLogsVerifyAndOwnersHaveWork) {
  const std::string dir = FreshDirectory("demo");
  Subprocess demo = Subprocess::Start(
      {QuartetBinary(), "demo", "--data", dir + "/data", "--listen", "127.0.0.1:0"});
  std::string output;
  for (;;) {
    auto line = demo.ReadLine(std::chrono::seconds(60));
    ASSERT_TRUE(line.has_value()) << "demo stopped early: " << output;
    output += *line + "\n";
    if (line->starts_with("try: ")) break;
  }
  std::smatch match;
  ASSERT_TRUE(std::regex_search(output, match, std::regex("listening on (http://\\S+)")));
  const std::string url = match[1];
  int verified = 0;
  const std::regex check("--url (\\S+) --key '([^']+)' --token (\\S+)");
  for (std::sregex_iterator it(output.begin(), output.end(), check), end; it != end; ++it) {
    // A log with an agent publishes a checkpoint once the agent has cosigned it: a moment after
    // the demo starts its agent.
    RunResult result;
    for (int attempt = 0; attempt < 60; ++attempt) {
      result = RunProcess(
          {QuartetBinary(), "verify", "--url", (*it)[1], "--key", (*it)[2], "--token", (*it)[3]});
      if (result.status == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    EXPECT_EQ(result.status, 0) << result.err;
    EXPECT_NE(result.out.find("all verified"), std::string::npos);
    ++verified;
  }
  EXPECT_EQ(verified, 3);
  // Without a credential, a client's log is nobody's to read.
  {
    std::smatch first;
    ASSERT_TRUE(std::regex_search(output, first, check));
    auto anonymous = RunProcess({QuartetBinary(), "verify", "--url", first[1], "--key", first[2]});
    EXPECT_NE(anonymous.status, 0);
    EXPECT_NE(anonymous.err.find("401"), std::string::npos) << anonymous.err;
  }
  // Birch & Lane's own agent signs a technician's certificate for an approved grant.
  auto token = [&](const std::string& user) {
    std::smatch found;
    EXPECT_TRUE(std::regex_search(output, found, std::regex(user + " \\([^)]*\\): (qt_\\S+)")));
    return found.size() > 1 ? std::string(found[1]) : std::string();
  };
  auto as = [&](const std::string& user, std::vector<std::string> args) {
    std::vector<std::string> argv = {QuartetBinary(), "--server", url, "--token", token(user)};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  };
  auto requested =
      as("chloe", {"--json", "request", "--client", "birch-accounts", "--resource", "files-01",
                   "--login", "admin", "--for", "30m", "--reason", "Renew the TLS certificate",
                   "--ticket", "T-4400", "--ssh-key", dir + "/chloe.key"});
  ASSERT_EQ(requested.status, 0) << requested.err;
  std::smatch id;
  ASSERT_TRUE(std::regex_search(requested.out, id, std::regex("\"id\":\"(g-[0-9a-f]+)\"")));
  if (requested.out.find("\"state\":\"pending\"") != std::string::npos) {
    auto approved = as("bella", {"approve", id[1], "--key", dir + "/data/demo/bella.key"});
    ASSERT_EQ(approved.status, 0) << approved.err;
  }
  auto cert = as("chloe", {"cert", "--client", "birch-accounts", "--grant", id[1], "--out",
                           dir + "/chloe-cert", "--ssh-key", dir + "/chloe.key"});
  EXPECT_EQ(cert.status, 0) << cert.err;
  EXPECT_TRUE(std::filesystem::exists(dir + "/chloe-cert-cert.pub"));
  ASSERT_TRUE(std::regex_search(output, match,
                                std::regex("olivia \\(owner of harbor-dental\\): (qt_\\S+)")));
  auto grants =
      RunProcess({QuartetBinary(), "--server", url, "--token", match[1], "--json", "grants"});
  ASSERT_EQ(grants.status, 0) << grants.err;
  EXPECT_NE(grants.out.find("\"state\":\"pending\""), std::string::npos);
  EXPECT_NE(grants.out.find("\"breakglass\":true"), std::string::npos);
  demo.Signal(SIGTERM);
  EXPECT_EQ(demo.Wait(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace quartet::testing

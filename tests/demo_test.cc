// `quartet demo`, as the README's first command runs it: the demo's logs verify from outside with the
// keys it prints, and its owners have requests waiting.
#include <filesystem>
#include <regex>

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
  const std::regex check("--url (\\S+) --key '([^']+)'");
  for (std::sregex_iterator it(output.begin(), output.end(), check), end; it != end; ++it) {
    auto result = RunProcess({QuartetBinary(), "verify", "--url", (*it)[1], "--key", (*it)[2]});
    EXPECT_EQ(result.status, 0) << result.err;
    EXPECT_NE(result.out.find("all verified"), std::string::npos);
    ++verified;
  }
  EXPECT_EQ(verified, 2);
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

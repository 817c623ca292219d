// While honest owners and technicians work, one attacker holds 2,000 idle connections, trickles
// headers, sends waves of 200 concurrent wrong passwords and floods grant requests. The honest are
// all answered correctly, the server stays small, the attacks fail each in their own way, and
// nothing acknowledged is lost, though the server is killed at the end.
#include "tests/hostile_load.h"

#include <filesystem>
#include <numeric>

#include <gtest/gtest.h>

#include "client/http_client.h"
#include "tests/raw_http.h"

namespace quartet::testing {
namespace {

TEST(HostileLoadTest, HonestPeopleAreServedWhileAnAttackerDoesItsWorst) {
  ASSERT_GE(RaiseOpenFileLimit(), 4096u) << "the test needs 4,096 open files";
  const std::string dir = FreshDirectory("hostile-load");
  const HostileLoadOptions options;
  const HostileLoadPeople people = PrepareHostileLoadData(dir, options);
  HostileLoadReport report;
  {
    RunningServer server(people.data);
    ApproveRoutineRequests(server, people);
    report = RunHostileLoad(server, people, options);
    server.process().Signal(SIGKILL);
    server.process().Wait();
  }
  std::string examples;
  for (const auto& example : report.failure_examples) examples += "\n  " + example;
  EXPECT_EQ(report.honest_failures, 0u) << "of " << report.honest_ms.size() << examples;
  // Each honest technician asked once a second, and each request became a grant.
  EXPECT_GE(report.honest_grants, static_cast<size_t>(options.technicians) *
                                      static_cast<size_t>(options.duration.count() - 2));
  // Idle connections spread over addresses are held (no byte sent is no harm)...
  EXPECT_EQ(report.idle_opened, options.idle_connections);
  EXPECT_EQ(report.idle_still_open, options.idle_connections);
  // ...but no address holds more than its share (256).
  EXPECT_GE(report.one_address_refused, options.one_address_connections - 256);
  // A header trickled a byte at a time is cut off after 10 seconds.
  EXPECT_GE(report.slowloris_cut, options.slowloris);
  EXPECT_LE(report.slowloris_longest_s, 15.0);
  // Wrong passwords: refused or throttled, every one answered.
  EXPECT_GT(report.password_401, 0);
  EXPECT_GT(report.password_429, report.password_401);
  EXPECT_EQ(report.password_other, 0);
  // The rogue technician gets 20 requests, then waits.
  EXPECT_GT(report.flood_201, 0);
  EXPECT_LE(report.flood_201, 20);
  EXPECT_GT(report.flood_429, 50);
  EXPECT_EQ(report.flood_other, 0);
  EXPECT_GT(report.forged_401, 0);
  EXPECT_EQ(report.forged_other, 0);
  // Refusals from one address past the first 100 are paced at 20 a second: the flood and the
  // forged tokens (both from one address) drew little of the server's time.
  EXPECT_LE(report.flood_429 + report.forged_401, 100 + 20 * options.duration.count() + 60);
  // Four password hashes at once at most, 64 MiB each, and little else.
  EXPECT_GT(report.server_peak_kib, 0);
  EXPECT_LT(report.server_peak_kib, 512 * 1024);

  // Every grant the server acknowledged, honest or not, is there after the crash, and the
  // client's log still verifies.
  RunningServer again(people.data);
  client::HttpClient http(again.host(), again.port());
  const std::map<std::string, std::string> owner = {
      {"Authorization", "Bearer " + people.tokens.at("olivia")}};
  size_t found = 0;
  for (const auto& id : report.acknowledged) {
    auto grant = http.Get("/api/v1/clients/harbor/grants/" + id, owner);
    found += grant.ok() && grant->status == 200 ? 1 : 0;
  }
  EXPECT_EQ(found, report.acknowledged.size());
  const RunResult key =
      RunProcess({QuartetBinary(), "log", "key", "--data", people.data, "--tenant", "harbor"});
  ASSERT_EQ(key.status, 0) << key.err;
  const RunResult verified =
      RunProcess({QuartetBinary(), "verify", "--url", again.url() + "/logs/harbor", "--key",
                  key.out.substr(0, key.out.find('\n')), "--token", people.tokens.at("olivia")});
  EXPECT_EQ(verified.status, 0) << verified.out << verified.err;
  RecordProperty("honest_requests", static_cast<int>(report.honest_ms.size()));
  std::cout << "honest requests " << report.honest_ms.size() << ", p50 "
            << report.HonestPercentileMs(0.5) << " ms, p95 " << report.HonestPercentileMs(0.95)
            << " ms; server peak " << report.server_peak_kib / 1024 << " MiB; passwords 401 "
            << report.password_401 << " / 429 " << report.password_429 << "; flood 201 "
            << report.flood_201 << " / 429 " << report.flood_429 << "; slowloris cut "
            << report.slowloris_cut << " (longest " << report.slowloris_longest_s << " s)\n";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace quartet::testing

// Honest latency under attack: the hostile-load scenario (tests/hostile_load.h) run twice on a real
// `quartet server`, each time on a fresh data folder: honest owners and technicians alone, then the
// same honest work while an attacker holds 2,000 idle connections, trickles headers, sends waves of
// 200 wrong passwords and floods grant requests. Prints honest p50/p95/p99 of each and their ratio.
// Usage: hostile_load [SECONDS [ATTACKS]]   ATTACKS: a comma-separated choice of idle, slowloris,
// passwords, flood (default: all). QUARTET_BINARY picks the server; TMPDIR where data goes.
#include "tests/hostile_load.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/raw_http.h"

namespace {

using quartet::testing::HostileLoadOptions;
using quartet::testing::HostileLoadReport;

HostileLoadReport Phase(bool attack, const HostileLoadOptions& base) {
  HostileLoadOptions options = base;
  options.attack = attack;
  const std::string dir =
      quartet::testing::FreshDirectory(attack ? "hostile-bench-attack" : "hostile-bench-calm");
  const auto people = quartet::testing::PrepareHostileLoadData(dir, options);
  HostileLoadReport report;
  {
    quartet::testing::RunningServer server(people.data);
    quartet::testing::ApproveRoutineRequests(server, people);
    report = quartet::testing::RunHostileLoad(server, people, options);
  }
  std::filesystem::remove_all(dir);
  std::printf(
      "%-14s honest requests %6zu  failures %zu  p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms"
      "  server peak %ld MiB\n",
      attack ? "under attack" : "without attack", report.honest_ms.size(), report.honest_failures,
      report.HonestPercentileMs(0.50), report.HonestPercentileMs(0.95),
      report.HonestPercentileMs(0.99), report.server_peak_kib / 1024);
  if (attack) {
    std::printf(
        "  attacker: %d idle held, %d slowloris cut (longest %.1f s), passwords %d x 401 /"
        " %d x 429, flood %d x 201 / %d x 429, forged tokens %d x 401\n",
        report.idle_still_open, report.slowloris_cut, report.slowloris_longest_s,
        report.password_401, report.password_429, report.flood_201, report.flood_429,
        report.forged_401);
  }
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  if (quartet::testing::RaiseOpenFileLimit() < 4096) {
    std::fprintf(stderr, "needs 4,096 open files\n");
    return 1;
  }
  HostileLoadOptions options;
  if (argc > 1) options.duration = std::chrono::seconds(std::atoi(argv[1]));
  if (argc > 2) {
    const std::string attacks = std::string(",") + argv[2] + ",";
    auto chosen = [&](const char* name) {
      return attacks.find(std::string(",") + name + ",") != std::string::npos;
    };
    if (!chosen("idle")) options.idle_connections = options.one_address_connections = 0;
    if (!chosen("slowloris")) options.slowloris = 0;
    if (!chosen("passwords")) options.wrong_passwords = 0;
    if (!chosen("flood")) options.flood_connections = 0;
  }
  const HostileLoadReport calm = Phase(false, options);
  const HostileLoadReport attacked = Phase(true, options);
  std::printf("honest p95 under attack / without: %.2fx (p50 %.2fx)\n",
              attacked.HonestPercentileMs(0.95) / calm.HonestPercentileMs(0.95),
              attacked.HonestPercentileMs(0.50) / calm.HonestPercentileMs(0.50));
  return calm.honest_failures + attacked.honest_failures == 0 ? 0 : 1;
}

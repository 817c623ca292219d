// Request to certificate on loopback, for a grant the agent has already cosigned: a real `quartet
// server` and a real `quartet agent run`, certificates asked for one after another over one
// keep-alive connection. The baseline, in the same run, is the simplest authenticated request
// (GET /api/v1/me) on the same connection.
//
//   QUARTET_BENCH_DIR=/work/benchdata build/default/bench/certificate_latency [requests]
#include <chrono>
#include <cstdio>

#include "bench/confirmed_client.h"
#include "ssh/key.h"

namespace quartet::bench {
namespace {

using Json = nlohmann::json;

int Run(int requests) {
  ConfirmedClient client("certificate-latency", {{"web-1", "ssh-host"}});
  if (!client.ok()) return 1;
  // The technician's key is named in the request: the agent certifies that key alone.
  const std::string ssh_key = client.dir() + "/tom.key";
  const Json grant =
      Json::parse(client
                      .Quartet("tom", {"--json", "request", "--client", "acme", "--resource",
                                       "web-1", "--login", "root", "--for", "8h", "--reason",
                                       "benchmark", "--ssh-key", ssh_key})
                      .out);
  const std::string id = grant["id"].get<std::string>();
  client.Quartet("olivia", {"approve", id, "--key", client.owner_key()});
  // Wait until the agent has cosigned the approval.
  client.WaitForAgent();
  auto technician_key = ssh::ParsePublicKey(testing::ReadTextFile(ssh_key + ".pub"));
  if (!technician_key.ok()) {
    std::fprintf(stderr, "no technician key: %s\n", technician_key.status().ToString().c_str());
    return 1;
  }
  const std::string key = ssh::FormatPublicKey(*technician_key, "");
  std::vector<double> certificate_ms, baseline_ms;
  for (int i = 0; i < requests; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto me = client.Call("tom", "GET", "/me", Json());
    baseline_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    start = std::chrono::steady_clock::now();
    auto issued = client.Call("tom", "POST", "/clients/acme/grants/" + id + "/certificates",
                              {{"public_key", key}, {"wait_seconds", 10}});
    certificate_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    if (!issued.ok() || issued->status != 201 || !me.ok()) {
      std::fprintf(stderr, "request %d: %s\n", i,
                   issued.ok() ? issued->body.c_str() : issued.status().ToString().c_str());
      return 1;
    }
  }
  const Percentiles cert = Summarise(certificate_ms), base = Summarise(baseline_ms);
  std::printf("%d certificates, one after another, on loopback\n", requests);
  std::printf("%-34s %8s %8s %8s\n", "", "p50 ms", "p95 ms", "p99 ms");
  std::printf("%-34s %8.2f %8.2f %8.2f\n", "baseline: GET /api/v1/me", base.p50, base.p95,
              base.p99);
  std::printf("%-34s %8.2f %8.2f %8.2f\n", "request -> certificate", cert.p50, cert.p95, cert.p99);
  std::printf("ratio at p95: %.1fx the baseline\n", cert.p95 / base.p95);
  // Retries would show in the tail: say so.
  client.StopAgentAndReport();
  return 0;
}

}  // namespace
}  // namespace quartet::bench

int main(int argc, char** argv) { return quartet::bench::Run(argc > 1 ? std::atoi(argv[1]) : 300); }

// Request to certificate on loopback, for a grant the agent has already cosigned: a real `quartet
// server` and a real `quartet agent run`, certificates asked for one after another over one
// keep-alive connection. The baseline, in the same run, is the simplest authenticated request
// (GET /api/v1/me) on the same connection.
//
//   QUARTET_BENCH_DIR=/work/benchdata build/default/bench/certificate_latency [requests]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/random.h"
#include "client/http_client.h"
#include "ssh/key.h"
#include "tests/test_util.h"

namespace quartet {
namespace {

using Json = nlohmann::json;
using testing::QuartetBinary;
using testing::RunProcess;

struct Percentiles {
  double p50, p95, p99;
};

Percentiles Summarise(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  };
  return {at(0.50), at(0.95), at(0.99)};
}

int Run(int requests) {
  const char* root = std::getenv("QUARTET_BENCH_DIR");
  const std::string dir = std::string(root != nullptr ? root : ".") + "/certificate-latency";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string data = dir + "/server";
  auto admin = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {QuartetBinary(), "admin", "--data", data};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = RunProcess(argv);
    if (result.status != 0) std::fprintf(stderr, "%s\n", result.err.c_str());
    return result;
  };
  admin({"client", "add", "--tenant", "acme", "--name", "Acme"});
  admin({"resource", "add", "--client", "acme", "--name", "web-1", "--kind", "ssh-host"});
  admin({"user", "add", "--name", "tom", "--role", "technician"});
  admin({"user", "add", "--name", "olivia", "--role", "owner", "--client", "acme"});
  admin({"relate", "--client", "acme", "--technician", "tom"});
  auto token = [&](const char* user) {
    const std::string out = admin({"token", "create", "--user", user}).out;
    return out.substr(0, out.find('\n'));
  };
  const std::string tom = token("tom"), olivia = token("olivia");
  testing::RunningServer server(data);
  auto quartet = [&](const std::string& as, std::vector<std::string> args) {
    std::vector<std::string> argv = {QuartetBinary(), "--server", server.url(), "--token", as};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  };
  // As a real client does it: the owner's trust chain, the resource signed, the agent enrolled
  // with a code naming her key and confirmed by its safety code.
  const std::string owner_key = dir + "/olivia.key";
  quartet(olivia, {"owner-key", "create", "--out", owner_key});
  quartet(olivia, {"trust", "init", "--key", owner_key, "--recovery-out", dir + "/recovery.key"});
  quartet(olivia,
          {"resource", "sign", "--key", owner_key, "--resource", "web-1", "--labels", "none"});
  const std::string code = quartet(olivia, {"agent", "invite", "--key", owner_key}).out;
  const std::string enrolled =
      RunProcess({QuartetBinary(), "agent", "enrol", "--server", server.url(), "--code",
                  code.substr(0, code.find('\n')), "--data", dir + "/agent"})
          .out;
  const size_t safety = enrolled.rfind("safety code: ");
  if (safety == std::string::npos) {
    std::fprintf(stderr, "enrolment printed no safety code\n");
    return 1;
  }
  quartet(olivia, {"agent", "confirm", "--key", owner_key, "--safety-code",
                   enrolled.substr(safety + 13, 14)});
  auto agent =
      testing::Subprocess::Start({QuartetBinary(), "agent", "run", "--data", dir + "/agent"});
  // The technician's key is named in the request: the agent certifies that key alone.
  const std::string ssh_key = dir + "/tom.key";
  const Json grant = Json::parse(
      quartet(tom, {"--json", "request", "--client", "acme", "--resource", "web-1", "--login",
                    "root", "--for", "8h", "--reason", "benchmark", "--ssh-key", ssh_key})
          .out);
  const std::string id = grant["id"].get<std::string>();
  quartet(olivia, {"approve", id, "--key", dir + "/olivia.key"});

  client::HttpClient http(server.host(), server.port());
  auto call = [&](const std::string& as, const std::string& method, const std::string& path,
                  const Json& body) {
    return http.Request(method, "/api/v1" + path, body.is_null() ? "" : body.dump(),
                        {{"Authorization", "Bearer " + as}});
  };
  // Wait until the agent has cosigned the approval.
  for (int i = 0; i < 200; ++i) {
    auto view = call(olivia, "GET", "/clients/acme/agent", Json());
    const Json v = Json::parse(view->body);
    if (v["witnessed_size"].get<uint64_t>() > 0 && v["witnessed_size"] == v["log_size"]) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto technician_key = ssh::ParsePublicKey(testing::ReadTextFile(ssh_key + ".pub"));
  if (!technician_key.ok()) {
    std::fprintf(stderr, "no technician key: %s\n", technician_key.status().ToString().c_str());
    return 1;
  }
  const std::string key = ssh::FormatPublicKey(*technician_key, "");
  std::vector<double> certificate_ms, baseline_ms;
  for (int i = 0; i < requests; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto me = call(tom, "GET", "/me", Json());
    baseline_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    start = std::chrono::steady_clock::now();
    auto issued = call(tom, "POST", "/clients/acme/grants/" + id + "/certificates",
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
  agent.Signal(SIGTERM);
  agent.Wait();
  // Retries would show in the tail: say so.
  const std::string log = agent.Stderr();
  for (size_t at = log.find("[warning]"); at != std::string::npos;
       at = log.find("[warning]", at + 1)) {
    std::fprintf(stderr, "agent: %s\n", log.substr(at, log.find('\n', at) - at).c_str());
  }
  server.Stop();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace quartet

int main(int argc, char** argv) { return quartet::Run(argc > 1 ? std::atoi(argv[1]) : 300); }

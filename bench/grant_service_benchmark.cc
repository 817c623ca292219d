// Requests approved at once by the client's policy, made in process through AccessService with
// group commit, durable: grants per second from 1, 8 and 64 threads, 5 s each. It is the
// service's share of bench/grant_api.sh (the same requests through HTTP).
//
//   QUARTET_BENCH_DIR=/work/benchdata build/default/bench/grant_service_benchmark [SECONDS [THREADS…]]
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/random.h"
#include "governance/access_service.h"

namespace quartet::governance {
namespace {

// User plus system CPU time of the whole process, in seconds.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int Main(int seconds, const std::vector<int>& thread_counts) {
  const char* root = std::getenv("QUARTET_BENCH_DIR");
  const std::string path = std::string(root ? root : ".") + "/grant-service-bench";
  std::filesystem::remove_all(path);
  auto folder = store::DataFolder::Open(path);
  if (!folder.ok()) return std::fprintf(stderr, "%s\n", folder.status().ToString().c_str()), 1;
  auto service = AccessService::Open(**folder, Clock::System(), Random::System());
  if (!service.ok()) return std::fprintf(stderr, "%s\n", service.status().ToString().c_str()), 1;
  AccessService& access = **service;
  const Actor admin{"local-admin", Role::kProviderAdmin, ""};
  auto check = [](const Status& status) {
    if (!status.ok()) std::fprintf(stderr, "%s\n", status.ToString().c_str()), std::exit(1);
  };
  check(access.directory().CreateClient(admin, "bench", "Bench", "UTC"));
  check(access.directory().AddUser(admin, "owner", Role::kOwner, "bench"));
  check(access.directory().AddUser(admin, "tech", Role::kTechnician, ""));
  check(access.directory().Relate(admin, "bench", "tech"));
  check(access.directory().AddResource(admin, "bench", "host", access::ResourceKind::kSshHost, 0));
  const Actor owner = *access.sessions().FindActor("owner");
  const Actor tech = *access.sessions().FindActor("tech");
  auto policy = access::PolicyFromJson(
      R"({"rules":[{"name":"routine","effect":"approve"}],"fallback":"ask-owners","time_zone":"UTC"})");
  check(policy.status());
  check(access.policies().ChangePolicy(owner, "bench", *policy));

  std::printf("%-10s %12s %16s\n", "threads", "grants/s", "CPU µs/grant");
  for (int threads : thread_counts) {
    std::atomic<bool> done{false};
    std::atomic<int64_t> granted{0};
    std::atomic<int64_t> failed{0};
    std::vector<std::thread> workers;
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = CpuSeconds();
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        while (!done) {
          auto grant =
              access.grants().RequestAccess(tech, {"bench", "host", access::Action::kLogin, "admin",
                                                   "benchmark", "T-1", 600, 0, false, ""});
          if (grant.ok() && grant->progress.state == access::GrantState::kApproved) {
            ++granted;
          } else {
            ++failed;
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    done = true;
    for (auto& worker : workers) worker.join();
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = CpuSeconds() - cpu_start;
    std::printf("%-10d %12.0f %16.0f%s\n", threads, static_cast<double>(granted) / elapsed,
                cpu * 1e6 / static_cast<double>(granted),
                failed > 0 ? "  (some requests failed)" : "");
  }
  return 0;
}

}  // namespace
}  // namespace quartet::governance

// Arguments: seconds per run (5), then the thread counts (1 8 64).
int main(int argc, char** argv) {
  std::vector<int> thread_counts;
  for (int i = 2; i < argc; ++i) thread_counts.push_back(std::atoi(argv[i]));
  if (thread_counts.empty()) thread_counts = {1, 8, 64};
  return quartet::governance::Main(argc > 1 ? std::atoi(argv[1]) : 5, thread_counts);
}

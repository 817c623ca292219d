// The owner's pending list and a client's grant history when the client's log holds 1,000,000
// events: p50 and p95 of ListGrants over 300 calls each.
//
//   QUARTET_BENCH_DIR=/work/benchdata build/default/bench/grant_list_benchmark
//
// The data (about 340,000 grants made through the governance service, with group commit from 8
// threads) is built once in $QUARTET_BENCH_DIR/grant-list-1m and reused by later runs.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "base/random.h"
#include "governance/access_service.h"

namespace quartet::governance {
namespace {

constexpr uint64_t kTargetEvents = 1000000;

Status Populate(store::DataFolder& folder) {
  // Wednesday 10:00 UTC, so routine requests fall in business hours and are approved by policy.
  FakeClock clock(std::chrono::system_clock::time_point(std::chrono::seconds(1782900000)));
  ASSIGN_OR_RETURN(auto service, AccessService::Open(folder, clock, Random::System()));
  const Actor admin{"local-admin", Role::kProviderAdmin, ""};
  RETURN_IF_ERROR(service->directory().CreateClient(admin, "big", "Big Client", "UTC"));
  RETURN_IF_ERROR(service->directory().AddUser(admin, "owner", Role::kOwner, "big"));
  RETURN_IF_ERROR(
      service->directory().AddResource(admin, "big", "host", access::ResourceKind::kSshHost, 0));
  RETURN_IF_ERROR(
      service->directory().AddResource(admin, "big", "mail", access::ResourceKind::kMailbox,
                                       static_cast<access::LabelSet>(access::Label::kEmail)));
  std::vector<Actor> technicians;
  for (int t = 0; t < 8; ++t) {
    const std::string name = "tech" + std::to_string(t);
    RETURN_IF_ERROR(service->directory().AddUser(admin, name, Role::kTechnician, ""));
    RETURN_IF_ERROR(service->directory().Relate(admin, "big", name));
    ASSIGN_OR_RETURN(Actor actor, service->sessions().FindActor(name));
    technicians.push_back(actor);
  }
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !done; ++i) {
        // One request in a hundred waits for the owner: the pending list.
        const bool pending = i % 100 == 0;
        auto grant = service->grants().RequestAccess(
            technicians[t], {"big", pending ? "mail" : "host", access::Action::kLogin, "admin",
                             "maintenance", "T-1", 1800, 0, false, ""});
        if (!grant.ok()) ++failures;
        if (t == 0 && i % 1000 == 0) {
          auto size = folder.logs().EntryCount("big");
          if (size.ok() && *size >= kTargetEvents) done = true;
          std::fprintf(stderr, "\rbuilding: %llu events",
                       static_cast<unsigned long long>(size.ok() ? *size : 0));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::fprintf(stderr, "\n");
  if (failures > 0) return InternalError("some requests failed while building");
  return Status::Ok();
}

void Measure(const char* name, const std::function<void()>& call) {
  std::vector<double> micros;
  for (int i = 0; i < 300; ++i) {
    const auto start = std::chrono::steady_clock::now();
    call();
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(micros.begin(), micros.end());
  std::printf("%-48s p50 %8.2f ms   p95 %8.2f ms\n", name, micros[150] / 1000, micros[285] / 1000);
}

int Main() {
  const char* root = std::getenv("QUARTET_BENCH_DIR");
  const std::string path = std::string(root ? root : ".") + "/grant-list-1m";
  const bool built = std::filesystem::exists(path + "/built");
  if (!built) std::filesystem::remove_all(path);
  auto folder = store::DataFolder::Open(path);
  if (!folder.ok()) return std::fprintf(stderr, "%s\n", folder.status().ToString().c_str()), 1;
  if (!built) {
    const auto start = std::chrono::steady_clock::now();
    if (Status status = Populate(**folder); !status.ok())
      return std::fprintf(stderr, "%s\n", status.ToString().c_str()), 1;
    std::fprintf(stderr, "built in %.0f s\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::FILE* marker = std::fopen((path + "/built").c_str(), "w");
    if (marker) std::fclose(marker);
  }
  auto service = AccessService::Open(**folder, Clock::System(), Random::System());
  if (!service.ok()) return 1;
  const Actor owner = *(*service)->sessions().FindActor("owner");
  std::printf("events in the client's log: %llu\n",
              static_cast<unsigned long long>(*(*folder)->logs().EntryCount("big")));
  Grants::GrantQuery pending;
  pending.state = "pending";
  std::printf("pending grants on the first page: %zu\n",
              (*service)->grants().ListGrants(owner, "big", pending)->size());
  Measure("owner's pending list (first 100)",
          [&] { (void)(*service)->grants().ListGrants(owner, "big", pending); });
  Grants::GrantQuery history;
  Measure("grant history, first page (100)",
          [&] { (void)(*service)->grants().ListGrants(owner, "big", history); });
  // A page from the middle of the history, by cursor.
  Grants::GrantQuery deep;
  deep.limit = 1000;
  for (int page = 0; page < 150; ++page) {
    auto grants = (*service)->grants().ListGrants(owner, "big", deep);
    deep.before_time = grants->back().request.requested_at;
    deep.before_id = grants->back().request.id;
  }
  deep.limit = 100;
  Measure("grant history, a page 150,000 grants back (100)",
          [&] { (void)(*service)->grants().ListGrants(owner, "big", deep); });
  return 0;
}

}  // namespace
}  // namespace quartet::governance

int main() { return quartet::governance::Main(); }

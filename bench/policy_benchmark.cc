// One policy decision in process, against the safe default policy with two client rules in front
// (the request falls through to the last rule, the slowest path).
//
//   build/default/bench/policy_benchmark --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "access/local_time.h"
#include "access/policy.h"

namespace quartet::access {
namespace {

void BM_Decide(benchmark::State& state) {
  Policy policy = Policy::SafeDefault("Europe/London");
  Rule finance{"Finance system needs two owners",
               0,
               Bit(ResourceKind::kFinanceSystem),
               0,
               0,
               TicketCondition::kAny,
               HoursCondition::kAny,
               0,
               Effect::kAskOwners,
               2};
  Rule nights{"Nothing at night",
              0,
              0,
              0,
              0,
              TicketCondition::kAny,
              HoursCondition::kOutsideBusinessHours,
              0,
              Effect::kDeny,
              1};
  policy.rules.insert(policy.rules.begin(), {finance, nights});
  AccessContext request;
  request.has_ticket = true;
  request.duration_seconds = 1800;
  request.weekday = 2;
  request.minute_of_day = 600;
  for (auto _ : state) {
    benchmark::DoNotOptimize(Decide(policy, request));
  }
}

void BM_DecideWithLocalTime(benchmark::State& state) {
  const Policy policy = Policy::SafeDefault("Europe/London");
  AccessContext request;
  request.has_ticket = true;
  request.duration_seconds = 1800;
  int64_t now = 1782907200;
  for (auto _ : state) {
    const LocalTime local = *ToLocalTime(now++, policy.time_zone);
    request.weekday = local.weekday;
    request.minute_of_day = local.minute_of_day;
    benchmark::DoNotOptimize(Decide(policy, request));
  }
}

BENCHMARK(BM_Decide);
BENCHMARK(BM_DecideWithLocalTime);

}  // namespace
}  // namespace quartet::access

BENCHMARK_MAIN();

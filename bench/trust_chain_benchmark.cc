// Replaying a client's trust chain of 1,000 statements, as the agent does when it starts (goal:
// at most 10 ms), and one Ed25519 verification for scale.
//
//   build/default/bench/trust_chain_benchmark --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "trust/chain.h"

namespace quartet::trust {
namespace {

// A genesis, then statements signed by the founding owner's device: most of a real chain's
// statements are one owner's (devices, resources, policies).
std::vector<std::string> MakeChain(int size) {
  FakeRandom random(5);
  const access::OwnerSigner device = access::OwnerSigner::Generate(random);
  const access::OwnerSigner recovery = access::OwnerSigner::Generate(random);
  Chain chain("acme");
  std::vector<std::string> statements;
  auto add = [&](std::string_view kind, Json fields) {
    statements.push_back(SignStatement(chain.NextBody(kind, std::move(fields), 1782900000),
                                       std::vector<access::OwnerSigner>{device}));
    if (!chain.Apply(statements.back()).ok()) std::abort();
  };
  add("genesis", {{"owner", "olivia"},
                  {"device", DeviceJson(device.key(), "laptop")},
                  {"recovery_key", Base64Encode(recovery.key().public_key)}});
  for (int i = 1; i < size; ++i) {
    add("resource.signed", {{"resource", "host-" + std::to_string(i)},
                            {"resource_kind", "ssh-host"},
                            {"labels", Json::array({"financial"})}});
  }
  return statements;
}

void BM_ReplayChain(benchmark::State& state) {
  const std::vector<std::string> statements = MakeChain(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto chain = Chain::Replay("acme", statements);
    if (!chain.ok()) state.SkipWithError("replay failed");
    benchmark::DoNotOptimize(chain);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ReplayChain)->Arg(1000)->Unit(benchmark::kMillisecond);

// What the agent does at start: the chain it verified before, with one new statement.
void BM_ReplayKnownChain(benchmark::State& state) {
  const std::vector<std::string> statements = MakeChain(static_cast<int>(state.range(0)));
  auto first = Chain::Replay("acme", std::span(statements).first(statements.size() - 1));
  const Chain::Verified verified{first->state().size, first->state().head};
  for (auto _ : state) {
    auto chain = Chain::Replay("acme", statements, verified);
    if (!chain.ok()) state.SkipWithError("replay failed");
    benchmark::DoNotOptimize(chain);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ReplayKnownChain)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_VerifyOneSignature(benchmark::State& state) {
  FakeRandom random(5);
  const access::OwnerSigner signer = access::OwnerSigner::Generate(random);
  const std::string message(300, 'x');
  const Bytes signature = signer.SignMessage(message);
  for (auto _ : state) {
    benchmark::DoNotOptimize(access::VerifyOwnerSignature(signer.key(), message, signature));
  }
}
BENCHMARK(BM_VerifyOneSignature);

}  // namespace
}  // namespace quartet::trust

BENCHMARK_MAIN();

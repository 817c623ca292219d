// The agent's work for each new checkpoint of its client's log: check it (the log's signature, the
// consistency proof from the checkpoint it last cosigned, the new entries hashed onto its right
// edge and replayed through the grant state machine), cosign it, and commit all of it durably. The
// baseline, in the same run, is one durable SQLite commit of one small row in the same folder.
//
//   QUARTET_BENCH_DIR=/work/benchdata build/default/bench/agent_benchmark
#include <unistd.h>

#include <filesystem>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "access/grant.h"
#include "access/local_time.h"
#include "agent/agent_store.h"
#include "agent/witness.h"
#include "base/random.h"
#include "ledger/checkpoint.h"
#include "ledger/memory_tree_testing.h"
#include "store/sqlite.h"

namespace quartet::agent {
namespace {

using Json = nlohmann::json;

constexpr int kCheckpoints = 2000;
constexpr int64_t kMondayTen = 1795428000;
const std::string kOrigin = "bench.example/logs/acme";

std::string BenchDirectory(const std::string& name) {
  const char* root = std::getenv("QUARTET_BENCH_DIR");
  const std::string path =
      std::string(root != nullptr ? root : ".") + "/" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(path);
  return path;
}

std::string Event(std::string_view kind, int64_t at, Json fields) {
  fields["kind"] = std::string(kind);
  fields["client"] = "acme";
  fields["at"] = at;
  return fields.dump();
}

// A log as the server writes it, checkpoint by checkpoint: each adds one grant approved by the
// policy (three entries) and one issued certificate.
struct Chain {
  std::vector<std::string> entries;
  std::vector<ledger::AddCheckpointRequest> requests;
};

const Chain& TheChain() {
  static const Chain* chain = [] {
    auto* out = new Chain;
    FakeRandom random(1);
    auto signer = ledger::NoteSigner::Generate(kOrigin, ledger::SignatureType::kEd25519, random);
    const access::Policy policy = access::Policy::SafeDefault("UTC");
    out->entries = {
        Event("client.created", 1, {{"name", "Acme"}, {"time_zone", "UTC"}, {"by", "admin"}}),
        Event("policy.changed", 1, {{"policy", access::ToJson(policy)}, {"by", "admin"}}),
        Event("resource.added", 2,
              {{"resource", "web-1"},
               {"resource_kind", "ssh-host"},
               {"labels", 0},
               {"by", "admin"}})};
    std::vector<uint64_t> sizes = {out->entries.size()};
    for (int i = 0; i < kCheckpoints; ++i) {
      access::GrantRequest r;
      r.id = "g" + std::to_string(i);
      r.client = "acme";
      r.technician = "tom";
      r.resource = "web-1";
      r.login = "root";
      r.reason = "patching";
      r.ticket = "T-" + std::to_string(i);
      r.duration_seconds = 1800;
      r.requested_at = kMondayTen + i;
      std::vector<std::string> events;
      (void)access::Grant::Open(r, policy, *access::ToLocalTime(r.requested_at, "UTC"), events);
      events.push_back(Event("certificate.issued", r.requested_at,
                             {{"grant", r.id},
                              {"serial", std::to_string(i + 1)},
                              {"key_id", "grant-" + r.id + ":tom"}}));
      out->entries.insert(out->entries.end(), events.begin(), events.end());
      sizes.push_back(out->entries.size());
    }
    std::vector<Hash> leaves;
    ledger::MerkleHasher hasher;
    for (const std::string& entry : out->entries) {
      leaves.push_back(
          hasher.Leaf(ByteView(reinterpret_cast<const uint8_t*>(entry.data()), entry.size())));
    }
    ledger::MemoryTree tree(leaves);
    uint64_t old_size = 0;
    for (uint64_t size : sizes) {
      const ledger::Checkpoint checkpoint{kOrigin, size, *ledger::ComputeRoot(tree, size), {}};
      const std::string text = checkpoint.Text();
      ledger::AddCheckpointRequest request{old_size, {}, text + "\n" + signer->SignatureLine(text)};
      if (old_size > 0) request.proof = *ledger::ConsistencyProof(tree, old_size, size);
      out->requests.push_back(std::move(request));
      old_size = size;
    }
    return out;
  }();
  return *chain;
}

void BM_WitnessCheckpoint(benchmark::State& state) {
  const Chain& chain = TheChain();
  const std::string directory = BenchDirectory("agent-bench");
  FakeRandom random(2);
  auto store = AgentStore::Create(directory, random);
  if (!store.ok()) return state.SkipWithError(store.status().ToString().c_str());
  auto witness = (*store)->WitnessKey();
  FakeRandom log_random(1);
  auto log_signer =
      ledger::NoteSigner::Generate(kOrigin, ledger::SignatureType::kEd25519, log_random);
  auto log_key = ledger::NoteVerifier::Parse(log_signer->VerifierKeyString());
  Replica replica("acme");
  WitnessState witnessed;
  witnessed.root = ledger::EmptyTreeRoot();
  auto fetch = [&](uint64_t begin, uint64_t end, std::vector<std::string>& out) {
    out.insert(out.end(), chain.entries.begin() + static_cast<ptrdiff_t>(begin),
               chain.entries.begin() + static_cast<ptrdiff_t>(end));
    return Status::Ok();
  };
  size_t next = 0;
  for (auto _ : state) {
    const ledger::AddCheckpointRequest& request = chain.requests[next++];
    auto check = CheckCheckpoint(witnessed, *log_key, kOrigin, request, fetch, replica);
    if (!check.ok() || check->outcome != WitnessOutcome::kExtends)
      return state.SkipWithError("checkpoint refused");
    const std::string line = witness->SignatureLine(check->body, static_cast<uint64_t>(kMondayTen));
    WitnessState cosigned{check->checkpoint.size, check->checkpoint.root, std::move(check->edge),
                          request.note + line, ""};
    if (!(*store)->CommitWitnessed(cosigned, replica, {}).ok())
      return state.SkipWithError("commit failed");
    witnessed = std::move(cosigned);
  }
  if (!replica.TakeViolations().empty()) state.SkipWithError("the replay found violations");
  state.counters["entries_per_checkpoint"] = 4;
  std::filesystem::remove_all(directory);
}
BENCHMARK(BM_WitnessCheckpoint)->Iterations(kCheckpoints)->Unit(benchmark::kMillisecond);

// The floor: one small row committed durably (WAL, synchronous=FULL) in the same folder.
void BM_DurableCommitFloor(benchmark::State& state) {
  const std::string directory = BenchDirectory("commit-floor");
  std::filesystem::create_directories(directory);
  auto db = store::Database::Open(directory + "/floor.db");
  if (!db.ok() || !(*db)->Execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)").ok()) {
    return state.SkipWithError("cannot open the database");
  }
  auto insert = (*db)->Prepare("INSERT INTO t (v) VALUES (?)");
  const Bytes value(200, 7);
  for (auto _ : state) {
    (*insert)->BindBlob(1, value);
    if (!(*insert)->Run().ok()) return state.SkipWithError("insert failed");
  }
  std::filesystem::remove_all(directory);
}
BENCHMARK(BM_DurableCommitFloor)->Iterations(kCheckpoints)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace quartet::agent

BENCHMARK_MAIN();

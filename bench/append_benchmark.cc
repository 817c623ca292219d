// Durable append throughput, integration included, against raw batched SQLite inserts of the same
// bytes measured in the same run (the baseline). Also reports how long the last appended entry
// waits for a published checkpoint.
//
//   build/default/bench/append_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "base/random.h"
#include "ledger/integrator.h"
#include "store/data_folder.h"
#include "store/sqlite.h"

namespace quartet {
namespace {

constexpr int kEntries = 400000;
constexpr int kEntrySize = 256;

std::vector<std::string> MakeEntries(int count) {
  std::vector<std::string> entries;
  entries.reserve(count);
  for (int i = 0; i < count; ++i) {
    std::string entry = "{\"i\":" + std::to_string(i) + ",\"kind\":\"access.requested\",\"pad\":\"";
    entry.append(kEntrySize - entry.size() - 2, 'x');
    entry += "\"}";
    entries.push_back(std::move(entry));
  }
  return entries;
}

const std::vector<std::string>& Entries() {
  static const std::vector<std::string> entries = MakeEntries(kEntries);
  return entries;
}

std::string FreshDirectory(const char* name) {
  auto path = std::filesystem::temp_directory_path() / (std::string("quartet-bench-") + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path.string();
}

// The baseline: the same bytes inserted into a table of the same shape, in the same batches, with
// the same durability (WAL, synchronous=FULL), and nothing else.
void BM_RawSqliteBatchedInsert(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    const std::string dir = FreshDirectory("raw");
    auto db = *store::Database::Open(dir + "/raw.db");
    (void)db->Execute("CREATE TABLE entries (log_id INTEGER NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (log_id, idx)) WITHOUT ROWID");
    state.ResumeTiming();
    for (int begin = 0; begin < kEntries; begin += batch) {
      auto transaction = *store::Transaction::Begin(*db, store::TransactionMode::kImmediate);
      store::Statement* insert = *db->Prepare("INSERT INTO entries (log_id, idx, data) VALUES (?, ?, ?)");
      for (int i = begin; i < std::min(kEntries, begin + batch); ++i) {
        insert->Bind(1, int64_t{1}).Bind(2, int64_t{i}).BindBlob(3, AsBytes(Entries()[i]));
        (void)insert->Run();
      }
      (void)transaction->Commit();
    }
    state.PauseTiming();
    db.reset();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kEntries);
}

// Appends in batches while an integrator publishes behind them; timed until the checkpoint covers
// every entry.
void BM_LedgerAppendAndPublish(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  double publish_lag_ms = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string dir = FreshDirectory("ledger");
    auto folder = *store::DataFolder::Open(dir);
    (void)folder->InitLog("bench", "bench.example/logs/bench", Random::System());
    ledger::Integrator integrator(folder->logs(), folder->fs(), "bench", folder->LogDirectory("bench"),
                                  *folder->LogSigner("bench"));
    (void)integrator.Open();
    std::atomic<bool> appended{false};
    std::chrono::steady_clock::time_point last_append;
    state.ResumeTiming();

    std::thread publisher([&] {
      for (;;) {
        const bool done = appended.load();
        auto size = integrator.IntegrateOnce();
        if (!size.ok()) std::abort();
        if (done && *size == static_cast<uint64_t>(kEntries)) return;
      }
    });
    std::span<const std::string> all(Entries());
    for (int begin = 0; begin < kEntries; begin += batch) {
      auto status = folder->logs().Append("bench", all.subspan(begin, std::min(batch, kEntries - begin)));
      if (!status.ok()) std::abort();
    }
    last_append = std::chrono::steady_clock::now();
    appended = true;
    publisher.join();
    publish_lag_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - last_append).count();

    state.PauseTiming();
    folder.reset();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kEntries);
  state.counters["publish_lag_ms"] = publish_lag_ms / static_cast<double>(state.iterations());
}

BENCHMARK(BM_RawSqliteBatchedInsert)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LedgerAppendAndPublish)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace quartet

BENCHMARK_MAIN();

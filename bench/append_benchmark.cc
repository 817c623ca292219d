// Durable append throughput, integration included, against raw batched SQLite inserts of the same
// bytes measured in the same run (the baseline). Also reports how long the last appended entry
// waits for a published checkpoint.
//
//   build/default/bench/append_benchmark --benchmark_min_time=1
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <benchmark/benchmark.h>

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

// Under $QUARTET_BENCH_DIR, else the working directory: not /tmp, whose ext4 block groups are full
// of recently deleted inodes on a machine that runs test suites, which makes creating a file there
// twenty times slower.
std::vector<std::string>& DirectoriesToRemove() {
  static std::vector<std::string> directories;
  return directories;
}

// Removal waits for the end of the run: deleting thousands of tile files between iterations would
// slow down the next iteration's file creation.
void RemoveLater(const std::string& directory) {
  if (DirectoriesToRemove().empty()) {
    std::atexit([] {
      for (const std::string& d : DirectoriesToRemove()) std::filesystem::remove_all(d);
    });
  }
  DirectoriesToRemove().push_back(directory);
}

std::string FreshDirectory(const char* name) {
  const char* root = std::getenv("QUARTET_BENCH_DIR");
  static int counter = 0;
  auto path = std::filesystem::path(root ? root : ".") /
              (std::string("quartet-bench-") + name + "-" + std::to_string(::getpid()) + "-" +
               std::to_string(counter++));
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path.string();
}

// A fresh data folder with one log and its integrator, opened.
struct Ledger {
  explicit Ledger(const char* name)
      : dir(FreshDirectory(name)), folder(*store::DataFolder::Open(dir)) {
    (void)folder->InitLog("bench", "bench.example/logs/bench", Random::System());
    integrator = std::make_unique<ledger::Integrator>(folder->logs(), folder->fs(), "bench",
                                                      folder->LogDirectory("bench"),
                                                      *folder->LogSigner("bench"));
    (void)integrator->Open();
  }
  ~Ledger() {
    integrator.reset();
    folder.reset();
    RemoveLater(dir);
  }
  Status Append(int begin, int batch) {
    std::span<const std::string> all(Entries());
    return folder->logs()
        .Append("bench", all.subspan(begin, std::min(batch, kEntries - begin)))
        .status();
  }
  std::string dir;
  std::unique_ptr<store::DataFolder> folder;
  std::unique_ptr<ledger::Integrator> integrator;
};

// The baseline: the same bytes inserted into a table of the same shape, in the same batches, with
// the same durability (WAL, synchronous=FULL), and nothing else.
void BM_RawSqliteBatchedInsert(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    const std::string dir = FreshDirectory("raw");
    auto db = *store::Database::Open(dir + "/raw.db");
    (void)db->Execute(
        "CREATE TABLE entries (log_id INTEGER NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL, "
        "PRIMARY KEY (log_id, idx)) WITHOUT ROWID");
    state.ResumeTiming();
    for (int begin = 0; begin < kEntries; begin += batch) {
      auto transaction = *store::Transaction::Begin(*db, store::TransactionMode::kImmediate);
      store::StatementScope insert =
          *db->Prepare("INSERT INTO entries (log_id, idx, data) VALUES (?, ?, ?)");
      for (int i = begin; i < std::min(kEntries, begin + batch); ++i) {
        insert->Bind(1, int64_t{1}).Bind(2, int64_t{i}).BindBlob(3, AsBytes(Entries()[i]));
        (void)insert->Run();
      }
      (void)transaction->Commit();
    }
    state.PauseTiming();
    db.reset();
    RemoveLater(dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kEntries);
}

// The floor: the same bytes, one blob per batch, as fast as SQLite can make them durable.
void BM_RawSqliteBatchAsOneBlob(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    const std::string dir = FreshDirectory("blob");
    auto db = *store::Database::Open(dir + "/raw.db");
    (void)db->Execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
    state.ResumeTiming();
    for (int begin = 0; begin < kEntries; begin += batch) {
      std::string blob;
      for (int i = begin; i < std::min(kEntries, begin + batch); ++i) blob += Entries()[i];
      auto transaction = *store::Transaction::Begin(*db, store::TransactionMode::kImmediate);
      store::StatementScope insert = *db->Prepare("INSERT INTO runs (data) VALUES (?)");
      insert->BindBlob(1, AsBytes(blob));
      (void)insert->Run();
      (void)transaction->Commit();
    }
    state.PauseTiming();
    db.reset();
    RemoveLater(dir);
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
    auto ledger = std::make_unique<Ledger>("ledger");
    std::atomic<bool> appended{false};
    state.ResumeTiming();

    std::thread publisher([&] {
      for (;;) {
        const bool done = appended.load();
        auto size = ledger->integrator->IntegrateOnce();
        if (!size.ok()) std::abort();
        if (done && *size == static_cast<uint64_t>(kEntries)) return;
      }
    });
    for (int begin = 0; begin < kEntries; begin += batch) {
      if (!ledger->Append(begin, batch).ok()) std::abort();
    }
    const auto last_append = std::chrono::steady_clock::now();
    appended = true;
    publisher.join();
    publish_lag_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - last_append)
            .count();

    state.PauseTiming();
    ledger.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kEntries);
  state.counters["publish_lag_ms"] = publish_lag_ms / static_cast<double>(state.iterations());
}

BENCHMARK(BM_RawSqliteBatchedInsert)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();
// Appends alone, then one integration of everything: the two halves of the pipeline apart.
void BM_LedgerAppendThenPublish(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  double append_ms = 0, publish_ms = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto ledger = std::make_unique<Ledger>("split");
    state.ResumeTiming();
    const auto start = std::chrono::steady_clock::now();
    for (int begin = 0; begin < kEntries; begin += batch) {
      if (!ledger->Append(begin, batch).ok()) std::abort();
    }
    const auto appended = std::chrono::steady_clock::now();
    if (!ledger->integrator->IntegrateOnce().ok()) std::abort();
    const auto published = std::chrono::steady_clock::now();
    append_ms += std::chrono::duration<double, std::milli>(appended - start).count();
    publish_ms += std::chrono::duration<double, std::milli>(published - appended).count();
    state.PauseTiming();
    ledger.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kEntries);
  state.counters["append_ms"] = append_ms / static_cast<double>(state.iterations());
  state.counters["publish_ms"] = publish_ms / static_cast<double>(state.iterations());
}

BENCHMARK(BM_RawSqliteBatchAsOneBlob)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LedgerAppendThenPublish)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LedgerAppendAndPublish)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace quartet

BENCHMARK_MAIN();

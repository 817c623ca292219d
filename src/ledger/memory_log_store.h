// A LogStore held in memory, for tests: it keeps the LogStore contract except durability across
// processes. Thread-safe.
#pragma once

#include <map>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "ledger/log_store.h"

namespace quartet::ledger {

class MemoryLogStore final : public LogStore {
 public:
  Status CreateLog(const LogConfig& config) override;
  StatusOr<LogConfig> GetLog(std::string_view tenant) override;
  StatusOr<std::vector<LogConfig>> ListLogs() override;
  StatusOr<uint64_t> Append(std::string_view tenant, std::span<const std::string> entries) override;
  StatusOr<uint64_t> EntryCount(std::string_view tenant) override;
  Status ReadEntries(std::string_view tenant, uint64_t begin, uint64_t end,
                     std::vector<std::string>& out) override;
  StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint(std::string_view tenant) override;
  Status AddCheckpoint(std::string_view tenant, const StoredCheckpoint& checkpoint) override;
  StatusOr<std::optional<StoredCheckpoint>> CheckpointOfSize(std::string_view tenant,
                                                             uint64_t size) override;
  StatusOr<std::optional<StoredCheckpoint>> LatestCosignedCheckpoint(
      std::string_view tenant) override;
  Status AddCosignedCheckpoint(std::string_view tenant,
                               const StoredCheckpoint& checkpoint) override;
  Status SetWitness(std::string_view tenant, const std::string& verifier_key);

  // Every checkpoint recorded so far, oldest first.
  std::vector<StoredCheckpoint> Checkpoints(std::string_view tenant);

 private:
  struct Log {
    LogConfig config;
    std::vector<std::string> entries;
    std::vector<StoredCheckpoint> checkpoints;
    std::vector<StoredCheckpoint> cosigned;
  };
  StatusOr<Log*> Find(std::string_view tenant) REQUIRES(mu_);

  Mutex mu_;
  std::map<std::string, Log, std::less<>> logs_ GUARDED_BY(mu_);
};

}  // namespace quartet::ledger

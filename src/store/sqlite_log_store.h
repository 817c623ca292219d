// LogStore on SQLite: one database file holds every tenant's log beside the application's own state,
// so a state change and its log entry commit in one transaction (AppendInTransaction).
//
// Thread safety: one connection guarded by a mutex; open one SqliteLogStore per process and share it.
// Several processes may open the same file: SQLite's locking serialises their writes.
#pragma once

#include <memory>
#include <string>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "ledger/log_store.h"
#include "store/sqlite.h"

namespace quartet::store {

class SqliteLogStore final : public ledger::LogStore {
 public:
  // Opens (creating if needed) the database at `path` and its schema.
  static StatusOr<std::unique_ptr<SqliteLogStore>> Open(const std::string& path);

  Status CreateLog(const ledger::LogConfig& config) override;
  StatusOr<ledger::LogConfig> GetLog(std::string_view tenant) override;
  StatusOr<std::vector<ledger::LogConfig>> ListLogs() override;
  StatusOr<uint64_t> Append(std::string_view tenant, std::span<const std::string> entries) override;
  StatusOr<uint64_t> EntryCount(std::string_view tenant) override;
  Status ReadEntries(std::string_view tenant, uint64_t begin, uint64_t end,
                     std::vector<std::string>& out) override;
  StatusOr<std::optional<ledger::StoredCheckpoint>> LatestCheckpoint(
      std::string_view tenant) override;
  Status AddCheckpoint(std::string_view tenant,
                       const ledger::StoredCheckpoint& checkpoint) override;
  StatusOr<std::optional<ledger::StoredCheckpoint>> CheckpointOfSize(std::string_view tenant,
                                                                     uint64_t size) override;
  StatusOr<std::optional<ledger::StoredCheckpoint>> LatestCosignedCheckpoint(
      std::string_view tenant) override;
  Status AddCosignedCheckpoint(std::string_view tenant,
                               const ledger::StoredCheckpoint& checkpoint) override;

  // Appends inside a transaction the caller holds on `db` (opened on the same file), so that the
  // caller's own changes and the entries commit together. Returns the first index.
  static StatusOr<uint64_t> AppendInTransaction(Transaction& transaction, std::string_view tenant,
                                                std::span<const std::string> entries);
  // Names the log's witness (its verifier key string), replacing any earlier one, inside a
  // transaction the caller holds on `db` (opened on the same file).
  static Status SetWitnessInTransaction(Database& db, std::string_view tenant,
                                        const std::string& verifier_key);

 private:
  explicit SqliteLogStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  StatusOr<int64_t> LogId(std::string_view tenant) REQUIRES(mu_);

  Mutex mu_;
  std::unique_ptr<Database> db_ GUARDED_BY(mu_);
};

}  // namespace quartet::store

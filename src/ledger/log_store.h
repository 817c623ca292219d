// Where a ledger keeps its logs: entries, and the checkpoints signed over them. The SQLite
// implementation is store/sqlite_log_store.h; a PostgreSQL one implements the same contract.
//
// Contract for every implementation:
//  * An entry is durable when Append returns OK, and never changes or disappears afterwards.
//  * Indexes are assigned densely from 0 per log, in commit order, across all writers (processes
//    included).
//  * Checkpoints are kept in increasing size; AddCheckpoint refuses one that is not larger than the
//    latest, so that the history of published tree heads only grows.
//  * A log may name a witness (c2sp.org/tlog-witness): the client's agent, which cosigns checkpoints
//    it has checked (c2sp.org/tlog-cosignature). Cosigned checkpoints are kept in increasing size too.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"

namespace quartet::ledger {

struct LogConfig {
  std::string tenant;        // slug: [a-z0-9][a-z0-9-]{0,62}
  std::string origin;        // checkpoint origin line
  std::string verifier_key;  // C2SP verifier key string of the log's signing key
  std::string witness_key;   // the witness's verifier key string; empty when the log has none
};

struct StoredCheckpoint {
  uint64_t size = 0;
  Hash root{};
  std::string note;  // the signed note as published
};

class LogStore {
 public:
  virtual ~LogStore() = default;

  // AlreadyExists if the tenant has a log.
  virtual Status CreateLog(const LogConfig& config) = 0;
  // NotFound for an unknown tenant.
  virtual StatusOr<LogConfig> GetLog(std::string_view tenant) = 0;
  virtual StatusOr<std::vector<LogConfig>> ListLogs() = 0;

  // Appends `entries` in one durable, all-or-nothing transaction; returns the index of the first.
  virtual StatusOr<uint64_t> Append(std::string_view tenant,
                                    std::span<const std::string> entries) = 0;
  // The number of durable entries.
  virtual StatusOr<uint64_t> EntryCount(std::string_view tenant) = 0;
  // Appends entries [begin, end) to `out`. OutOfRange if end > EntryCount().
  virtual Status ReadEntries(std::string_view tenant, uint64_t begin, uint64_t end,
                             std::vector<std::string>& out) = 0;

  virtual StatusOr<std::optional<StoredCheckpoint>> LatestCheckpoint(std::string_view tenant) = 0;
  virtual Status AddCheckpoint(std::string_view tenant, const StoredCheckpoint& checkpoint) = 0;
  // The recorded checkpoint of exactly `size`, if there is one.
  virtual StatusOr<std::optional<StoredCheckpoint>> CheckpointOfSize(std::string_view tenant,
                                                                     uint64_t size) = 0;

  // The latest checkpoint the witness cosigned; its note carries the log's signature and the
  // witness's. FailedPrecondition from AddCosignedCheckpoint for one not larger than the latest, or
  // of a size with no recorded checkpoint (the caller checks the cosignature itself).
  virtual StatusOr<std::optional<StoredCheckpoint>> LatestCosignedCheckpoint(
      std::string_view tenant) = 0;
  virtual Status AddCosignedCheckpoint(std::string_view tenant,
                                       const StoredCheckpoint& checkpoint) = 0;
};

// Whether `tenant` is a valid slug.
bool IsValidTenant(std::string_view tenant);

}  // namespace quartet::ledger

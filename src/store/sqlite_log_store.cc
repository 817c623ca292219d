#include "store/sqlite_log_store.h"

#include <cstring>

#include "ledger/tiles.h"
#include "store/server_schema.h"

namespace quartet::store {
namespace {

Status UnknownTenant(std::string_view tenant) {
  return NotFoundError("no log for tenant '" + std::string(tenant) + "'");
}

constexpr std::string_view kSelectLogs =
    "SELECT l.tenant, l.origin, l.verifier_key, coalesce(w.verifier_key, '') FROM logs l "
    "LEFT JOIN witnesses w ON w.log_id = l.id";

ledger::LogConfig LogConfigFromRow(Statement& row) {
  return {std::string(row.ColumnText(0)), std::string(row.ColumnText(1)),
          std::string(row.ColumnText(2)), std::string(row.ColumnText(3))};
}

// The first row of `select` (columns size, root, note) as a checkpoint. Resets `select`.
StatusOr<std::optional<ledger::StoredCheckpoint>> CheckpointFromRow(Statement& select) {
  ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return std::optional<ledger::StoredCheckpoint>();
  ledger::StoredCheckpoint checkpoint;
  checkpoint.size = static_cast<uint64_t>(select.ColumnInt(0));
  ByteView root = select.ColumnBlob(1);
  if (root.size() != checkpoint.root.size()) {
    select.Reset();
    return DataLossError("stored checkpoint root is not 32 bytes");
  }
  std::memcpy(checkpoint.root.data(), root.data(), root.size());
  checkpoint.note = std::string(select.ColumnText(2));
  select.Reset();
  return std::optional<ledger::StoredCheckpoint>(std::move(checkpoint));
}

}  // namespace

StatusOr<std::unique_ptr<SqliteLogStore>> SqliteLogStore::Open(const std::string& path) {
  ASSIGN_OR_RETURN(auto db, Database::Open(path));
  RETURN_IF_ERROR(Migrate(*db, ServerSchema()));
  return std::unique_ptr<SqliteLogStore>(new SqliteLogStore(std::move(db)));
}

StatusOr<int64_t> SqliteLogStore::LogId(std::string_view tenant) {
  ASSIGN_OR_RETURN(auto select, db_->Prepare("SELECT id FROM logs WHERE tenant = ?"));
  select->Bind(1, tenant);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return UnknownTenant(tenant);
  const int64_t id = select->ColumnInt(0);
  return id;
}

Status SqliteLogStore::CreateLog(const ledger::LogConfig& config) {
  if (!ledger::IsValidTenant(config.tenant)) {
    return InvalidArgumentError("tenant must match [a-z0-9][a-z0-9-]{0,62}");
  }
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto insert,
                   db_->Prepare("INSERT INTO logs (tenant, origin, verifier_key) VALUES (?, ?, ?) "
                                "ON CONFLICT (tenant) DO NOTHING"));
  insert->Bind(1, config.tenant).Bind(2, config.origin).Bind(3, config.verifier_key);
  RETURN_IF_ERROR(insert->Run());
  if (sqlite3_changes(db_->handle()) == 0) {
    return AlreadyExistsError("tenant '" + config.tenant + "' already has a log");
  }
  return Status::Ok();
}

StatusOr<ledger::LogConfig> SqliteLogStore::GetLog(std::string_view tenant) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto select, db_->Prepare(std::string(kSelectLogs) + " WHERE l.tenant = ?"));
  select->Bind(1, tenant);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return UnknownTenant(tenant);
  ledger::LogConfig config = LogConfigFromRow(*select);
  return config;
}

StatusOr<std::vector<ledger::LogConfig>> SqliteLogStore::ListLogs() {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto select, db_->Prepare(std::string(kSelectLogs) + " ORDER BY l.tenant"));
  std::vector<ledger::LogConfig> logs;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    logs.push_back(LogConfigFromRow(*select));
  }
  return logs;
}

StatusOr<uint64_t> SqliteLogStore::AppendInTransaction(Transaction& transaction,
                                                       std::string_view tenant,
                                                       std::span<const std::string> entries) {
  if (entries.empty()) return InvalidArgumentError("nothing to append");
  for (const std::string& entry : entries) {
    if (entry.size() > ledger::kMaxEntrySize)
      return InvalidArgumentError("log entry over 65,535 bytes");
  }
  Database& db = transaction.db();
  ASSIGN_OR_RETURN(
      auto bump, db.Prepare("UPDATE logs SET size = size + ? WHERE tenant = ? RETURNING id, size"));
  bump->Bind(1, static_cast<int64_t>(entries.size())).Bind(2, tenant);
  ASSIGN_OR_RETURN(bool row, bump->Step());
  if (!row) return UnknownTenant(tenant);
  const int64_t log_id = bump->ColumnInt(0);
  const uint64_t first = static_cast<uint64_t>(bump->ColumnInt(1)) - entries.size();
  RETURN_IF_ERROR(bump->Run());
  ASSIGN_OR_RETURN(
      auto insert,
      db.Prepare("INSERT INTO entry_runs (log_id, first_idx, count, data) VALUES (?, ?, ?, ?)"));
  // Rows of at most about kRunBytes, so that a large import does not make one huge row.
  constexpr size_t kRunBytes = 4 << 20;
  std::string run;
  uint64_t run_first = first;
  for (size_t i = 0; i < entries.size(); ++i) {
    ledger::AppendToEntryBundle(run, entries[i]);
    if (run.size() < kRunBytes && i + 1 < entries.size()) continue;
    const uint64_t run_end = first + i + 1;
    insert->Bind(1, log_id)
        .Bind(2, static_cast<int64_t>(run_first))
        .Bind(3, static_cast<int64_t>(run_end - run_first))
        .BindBlob(4, AsBytes(run));
    RETURN_IF_ERROR(insert->Run());
    run.clear();
    run_first = run_end;
  }
  return first;
}

StatusOr<uint64_t> SqliteLogStore::Append(std::string_view tenant,
                                          std::span<const std::string> entries) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto transaction, Transaction::Begin(*db_, TransactionMode::kImmediate));
  ASSIGN_OR_RETURN(uint64_t first, AppendInTransaction(*transaction, tenant, entries));
  RETURN_IF_ERROR(transaction->Commit());
  return first;
}

StatusOr<uint64_t> SqliteLogStore::EntryCount(std::string_view tenant) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto select, db_->Prepare("SELECT size FROM logs WHERE tenant = ?"));
  select->Bind(1, tenant);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return UnknownTenant(tenant);
  const uint64_t size = static_cast<uint64_t>(select->ColumnInt(0));
  return size;
}

Status SqliteLogStore::ReadEntries(std::string_view tenant, uint64_t begin, uint64_t end,
                                   std::vector<std::string>& out) {
  if (begin >= end) return Status::Ok();
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(int64_t log_id, LogId(tenant));
  // The runs overlapping [begin, end): from the last run starting at or before `begin`.
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare("SELECT first_idx, count, data FROM entry_runs WHERE log_id = ?1 AND "
                   "first_idx >= coalesce((SELECT max(first_idx) FROM entry_runs WHERE "
                   "log_id = ?1 AND first_idx <= ?2), 0) AND first_idx < ?3 "
                   "ORDER BY first_idx"));
  select->Bind(1, log_id).Bind(2, static_cast<int64_t>(begin)).Bind(3, static_cast<int64_t>(end));
  uint64_t next = begin;
  Status status;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    const uint64_t first = static_cast<uint64_t>(select->ColumnInt(0));
    const uint32_t count = static_cast<uint32_t>(select->ColumnInt(1));
    auto entries = ledger::DecodeEntryBundle(AsChars(select->ColumnBlob(2)), count);
    if (!entries.ok() || first > next) {
      status = DataLossError("log '" + std::string(tenant) + "' has damaged entries near " +
                             std::to_string(next));
      break;
    }
    for (uint64_t i = next - first; i < count && next < end; ++i, ++next)
      out.emplace_back((*entries)[i]);
  }
  select.Release();
  RETURN_IF_ERROR(status);
  if (next != end) return OutOfRangeError("entries requested beyond the end of the log");
  return Status::Ok();
}

StatusOr<std::optional<ledger::StoredCheckpoint>> SqliteLogStore::LatestCheckpoint(
    std::string_view tenant) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(int64_t log_id, LogId(tenant));
  ASSIGN_OR_RETURN(auto select,
                   db_->Prepare("SELECT size, root, note FROM checkpoints WHERE log_id = ? "
                                "ORDER BY size DESC LIMIT 1"));
  select->Bind(1, log_id);
  return CheckpointFromRow(*select);
}

StatusOr<std::optional<ledger::StoredCheckpoint>> SqliteLogStore::CheckpointOfSize(
    std::string_view tenant, uint64_t size) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(int64_t log_id, LogId(tenant));
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare("SELECT size, root, note FROM checkpoints WHERE log_id = ? AND size = ?"));
  select->Bind(1, log_id).Bind(2, static_cast<int64_t>(size));
  return CheckpointFromRow(*select);
}

StatusOr<std::optional<ledger::StoredCheckpoint>> SqliteLogStore::LatestCosignedCheckpoint(
    std::string_view tenant) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(int64_t log_id, LogId(tenant));
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare("SELECT size, root, note FROM cosigned_checkpoints WHERE log_id = ? "
                   "ORDER BY size DESC LIMIT 1"));
  select->Bind(1, log_id);
  return CheckpointFromRow(*select);
}

Status SqliteLogStore::AddCosignedCheckpoint(std::string_view tenant,
                                             const ledger::StoredCheckpoint& checkpoint) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto transaction, Transaction::Begin(*db_, TransactionMode::kImmediate));
  ASSIGN_OR_RETURN(int64_t log_id, LogId(tenant));
  ASSIGN_OR_RETURN(
      auto check,
      db_->Prepare(
          "SELECT (SELECT coalesce(max(size), -1) FROM cosigned_checkpoints WHERE log_id = ?1), "
          "EXISTS (SELECT 1 FROM checkpoints WHERE log_id = ?1 AND size = ?2 AND root = ?3)"));
  check->Bind(1, log_id)
      .Bind(2, static_cast<int64_t>(checkpoint.size))
      .BindBlob(3, checkpoint.root);
  ASSIGN_OR_RETURN(bool row, check->Step());
  const int64_t latest = row ? check->ColumnInt(0) : -1;
  const bool signed_by_log = row && check->ColumnInt(1) == 1;
  check.Release();
  if (static_cast<int64_t>(checkpoint.size) <= latest) {
    return FailedPreconditionError("cosigned checkpoint of size " +
                                   std::to_string(checkpoint.size) +
                                   " does not extend the latest of size " + std::to_string(latest));
  }
  if (!signed_by_log) return FailedPreconditionError("the log signed no such checkpoint");
  ASSIGN_OR_RETURN(
      auto insert,
      db_->Prepare(
          "INSERT INTO cosigned_checkpoints (log_id, size, root, note) VALUES (?, ?, ?, ?)"));
  insert->Bind(1, log_id)
      .Bind(2, static_cast<int64_t>(checkpoint.size))
      .BindBlob(3, checkpoint.root)
      .Bind(4, checkpoint.note);
  RETURN_IF_ERROR(insert->Run());
  return transaction->Commit();
}

Status SqliteLogStore::SetWitnessInTransaction(Database& db, std::string_view tenant,
                                               const std::string& verifier_key) {
  ASSIGN_OR_RETURN(
      auto upsert,
      db.Prepare("INSERT INTO witnesses (log_id, verifier_key) "
                 "SELECT id, ?2 FROM logs WHERE tenant = ?1 "
                 "ON CONFLICT (log_id) DO UPDATE SET verifier_key = excluded.verifier_key"));
  upsert->Bind(1, tenant).Bind(2, verifier_key);
  RETURN_IF_ERROR(upsert->Run());
  if (sqlite3_changes(db.handle()) == 0) return UnknownTenant(tenant);
  return Status::Ok();
}

Status SqliteLogStore::AddCheckpoint(std::string_view tenant,
                                     const ledger::StoredCheckpoint& checkpoint) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto transaction, Transaction::Begin(*db_, TransactionMode::kImmediate));
  ASSIGN_OR_RETURN(int64_t log_id, LogId(tenant));
  ASSIGN_OR_RETURN(
      auto latest,
      db_->Prepare("SELECT coalesce(max(size), -1), (SELECT size FROM logs WHERE id = ?1) "
                   "FROM checkpoints WHERE log_id = ?1"));
  latest->Bind(1, log_id);
  ASSIGN_OR_RETURN(bool row, latest->Step());
  const int64_t latest_size = row ? latest->ColumnInt(0) : -1;
  const int64_t entry_count = row ? latest->ColumnInt(1) : 0;
  latest.Release();
  if (static_cast<int64_t>(checkpoint.size) <= latest_size) {
    return FailedPreconditionError("checkpoint of size " + std::to_string(checkpoint.size) +
                                   " does not extend the latest of size " +
                                   std::to_string(latest_size));
  }
  if (static_cast<int64_t>(checkpoint.size) > entry_count) {
    return FailedPreconditionError("checkpoint covers entries that are not durable");
  }
  ASSIGN_OR_RETURN(
      auto insert,
      db_->Prepare("INSERT INTO checkpoints (log_id, size, root, note) VALUES (?, ?, ?, ?)"));
  insert->Bind(1, log_id)
      .Bind(2, static_cast<int64_t>(checkpoint.size))
      .BindBlob(3, checkpoint.root)
      .Bind(4, checkpoint.note);
  RETURN_IF_ERROR(insert->Run());
  return transaction->Commit();
}

}  // namespace quartet::store

#include "store/sqlite_log_store.h"

#include <cstring>

namespace quartet::store {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL UNIQUE,
  origin TEXT NOT NULL,
  verifier_key TEXT NOT NULL,
  size INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entries (
  log_id INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (log_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
  log_id INTEGER NOT NULL,
  size INTEGER NOT NULL,
  root BLOB NOT NULL,
  note TEXT NOT NULL,
  PRIMARY KEY (log_id, size)
) WITHOUT ROWID;
-- Entries and checkpoints are history: nothing may rewrite or remove them.
CREATE TRIGGER IF NOT EXISTS entries_immutable BEFORE UPDATE ON entries
  BEGIN SELECT RAISE(ABORT, 'log entries are immutable'); END;
CREATE TRIGGER IF NOT EXISTS entries_permanent BEFORE DELETE ON entries
  BEGIN SELECT RAISE(ABORT, 'log entries are permanent'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_immutable BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_permanent BEFORE DELETE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'checkpoints are permanent'); END;
)sql";

Status UnknownTenant(std::string_view tenant) {
  return NotFoundError("no log for tenant '" + std::string(tenant) + "'");
}

}  // namespace

StatusOr<std::unique_ptr<SqliteLogStore>> SqliteLogStore::Open(const std::string& path) {
  ASSIGN_OR_RETURN(auto db, Database::Open(path));
  {
    ASSIGN_OR_RETURN(auto transaction, Transaction::Begin(*db, TransactionMode::kImmediate));
    RETURN_IF_ERROR(db->Execute(kSchema));
    RETURN_IF_ERROR(transaction->Commit());
  }
  return std::unique_ptr<SqliteLogStore>(new SqliteLogStore(std::move(db)));
}

StatusOr<int64_t> SqliteLogStore::LogId(std::string_view tenant) {
  ASSIGN_OR_RETURN(Statement * select, db_->Prepare("SELECT id FROM logs WHERE tenant = ?"));
  select->Bind(1, tenant);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return UnknownTenant(tenant);
  const int64_t id = select->ColumnInt(0);
  select->Reset();
  return id;
}

Status SqliteLogStore::CreateLog(const ledger::LogConfig& config) {
  if (!ledger::IsValidTenant(config.tenant)) {
    return InvalidArgumentError("tenant must match [a-z0-9][a-z0-9-]{0,62}");
  }
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Statement * insert,
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
  ASSIGN_OR_RETURN(Statement * select,
                   db_->Prepare("SELECT tenant, origin, verifier_key FROM logs WHERE tenant = ?"));
  select->Bind(1, tenant);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return UnknownTenant(tenant);
  ledger::LogConfig config{std::string(select->ColumnText(0)), std::string(select->ColumnText(1)),
                           std::string(select->ColumnText(2))};
  select->Reset();
  return config;
}

StatusOr<std::vector<ledger::LogConfig>> SqliteLogStore::ListLogs() {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Statement * select,
                   db_->Prepare("SELECT tenant, origin, verifier_key FROM logs ORDER BY tenant"));
  std::vector<ledger::LogConfig> logs;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    logs.push_back({std::string(select->ColumnText(0)), std::string(select->ColumnText(1)),
                    std::string(select->ColumnText(2))});
  }
  select->Reset();
  return logs;
}

StatusOr<uint64_t> SqliteLogStore::AppendInTransaction(Transaction& transaction,
                                                       std::string_view tenant,
                                                       std::span<const std::string> entries) {
  Database& db = transaction.db();
  ASSIGN_OR_RETURN(Statement * bump,
                   db.Prepare("UPDATE logs SET size = size + ? WHERE tenant = ? RETURNING id, size"));
  bump->Bind(1, static_cast<int64_t>(entries.size())).Bind(2, tenant);
  ASSIGN_OR_RETURN(bool row, bump->Step());
  if (!row) return UnknownTenant(tenant);
  const int64_t log_id = bump->ColumnInt(0);
  const uint64_t first = static_cast<uint64_t>(bump->ColumnInt(1)) - entries.size();
  RETURN_IF_ERROR(bump->Run());
  ASSIGN_OR_RETURN(Statement * insert,
                   db.Prepare("INSERT INTO entries (log_id, idx, data) VALUES (?, ?, ?)"));
  uint64_t index = first;
  for (const std::string& entry : entries) {
    insert->Bind(1, log_id).Bind(2, static_cast<int64_t>(index++)).BindBlob(3, AsBytes(entry));
    RETURN_IF_ERROR(insert->Run());
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
  ASSIGN_OR_RETURN(Statement * select, db_->Prepare("SELECT size FROM logs WHERE tenant = ?"));
  select->Bind(1, tenant);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return UnknownTenant(tenant);
  const uint64_t size = static_cast<uint64_t>(select->ColumnInt(0));
  select->Reset();
  return size;
}

Status SqliteLogStore::ReadEntries(std::string_view tenant, uint64_t begin, uint64_t end,
                                   std::vector<std::string>& out) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(int64_t log_id, LogId(tenant));
  ASSIGN_OR_RETURN(Statement * select,
                   db_->Prepare("SELECT idx, data FROM entries WHERE log_id = ? AND idx >= ? AND "
                                "idx < ? ORDER BY idx"));
  select->Bind(1, log_id).Bind(2, static_cast<int64_t>(begin)).Bind(3, static_cast<int64_t>(end));
  uint64_t expected = begin;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    if (static_cast<uint64_t>(select->ColumnInt(0)) != expected) {
      select->Reset();
      return DataLossError("log '" + std::string(tenant) + "' is missing entry " +
                           std::to_string(expected));
    }
    out.emplace_back(AsChars(select->ColumnBlob(1)));
    ++expected;
  }
  select->Reset();
  if (expected != end) return OutOfRangeError("entries requested beyond the end of the log");
  return Status::Ok();
}

StatusOr<std::optional<ledger::StoredCheckpoint>> SqliteLogStore::LatestCheckpoint(
    std::string_view tenant) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(int64_t log_id, LogId(tenant));
  ASSIGN_OR_RETURN(Statement * select,
                   db_->Prepare("SELECT size, root, note FROM checkpoints WHERE log_id = ? "
                                "ORDER BY size DESC LIMIT 1"));
  select->Bind(1, log_id);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return std::optional<ledger::StoredCheckpoint>();
  ledger::StoredCheckpoint checkpoint;
  checkpoint.size = static_cast<uint64_t>(select->ColumnInt(0));
  ByteView root = select->ColumnBlob(1);
  if (root.size() != checkpoint.root.size()) {
    select->Reset();
    return DataLossError("stored checkpoint root is not 32 bytes");
  }
  std::memcpy(checkpoint.root.data(), root.data(), root.size());
  checkpoint.note = std::string(select->ColumnText(2));
  select->Reset();
  return std::optional<ledger::StoredCheckpoint>(std::move(checkpoint));
}

Status SqliteLogStore::AddCheckpoint(std::string_view tenant,
                                     const ledger::StoredCheckpoint& checkpoint) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto transaction, Transaction::Begin(*db_, TransactionMode::kImmediate));
  ASSIGN_OR_RETURN(int64_t log_id, LogId(tenant));
  ASSIGN_OR_RETURN(Statement * latest,
                   db_->Prepare("SELECT coalesce(max(size), -1), (SELECT size FROM logs WHERE id = ?1) "
                                "FROM checkpoints WHERE log_id = ?1"));
  latest->Bind(1, log_id);
  ASSIGN_OR_RETURN(bool row, latest->Step());
  const int64_t latest_size = row ? latest->ColumnInt(0) : -1;
  const int64_t entry_count = row ? latest->ColumnInt(1) : 0;
  latest->Reset();
  if (static_cast<int64_t>(checkpoint.size) <= latest_size) {
    return FailedPreconditionError("checkpoint of size " + std::to_string(checkpoint.size) +
                                   " does not extend the latest of size " +
                                   std::to_string(latest_size));
  }
  if (static_cast<int64_t>(checkpoint.size) > entry_count) {
    return FailedPreconditionError("checkpoint covers entries that are not durable");
  }
  ASSIGN_OR_RETURN(Statement * insert,
                   db_->Prepare("INSERT INTO checkpoints (log_id, size, root, note) VALUES (?, ?, ?, ?)"));
  insert->Bind(1, log_id)
      .Bind(2, static_cast<int64_t>(checkpoint.size))
      .BindBlob(3, checkpoint.root)
      .Bind(4, checkpoint.note);
  RETURN_IF_ERROR(insert->Run());
  return transaction->Commit();
}

}  // namespace quartet::store

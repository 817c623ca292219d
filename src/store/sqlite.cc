#include "store/sqlite.h"

#include <map>

namespace quartet::store {

StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string message = "open " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return InternalError(std::move(message));
  }
  std::unique_ptr<Database> database(new Database(db));
  sqlite3_busy_timeout(db, 30000);
  // page_size applies to a new database only (before WAL is turned on). Bigger pages and a WAL that
  // is folded back into the database every 64 MiB instead of every 4 MiB keep large appends at the
  // disk's speed; durability is unchanged (synchronous=FULL syncs the WAL at every commit).
  // Statement journals and sorts stay in memory: they only ever matter within one transaction.
  RETURN_IF_ERROR(database->Execute(
      "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
      "PRAGMA wal_autocheckpoint=4096; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"));
  return database;
}

Database::~Database() {
  statements_.clear();  // finalize statements before closing
  sqlite3_close(db_);
}

Status Database::Error(std::string_view what) const {
  std::string message(what);
  message += ": ";
  message += sqlite3_errmsg(db_);
  const int code = sqlite3_extended_errcode(db_) & 0xff;
  if (code == SQLITE_CONSTRAINT) return FailedPreconditionError(std::move(message));
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return UnavailableError(std::move(message));
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return DataLossError(std::move(message));
  return InternalError(std::move(message));
}

Status Database::Execute(std::string_view sql) {
  char* error = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    return Error("sqlite: " + message);
  }
  return Status::Ok();
}

StatusOr<StatementScope> Database::Prepare(std::string_view sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) {
    it->second->Reset();
    return StatementScope(it->second.get());
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return Error("prepare");
  }
  auto owned = std::make_unique<Statement>(stmt);
  Statement* raw = owned.get();
  statements_.emplace(std::string(sql), std::move(owned));
  return StatementScope(raw);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindBlob(int index, ByteView blob) {
  sqlite3_bind_blob(stmt_, index, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
  return *this;
}

StatusOr<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  std::string message = std::string("sqlite step: ") + sqlite3_errmsg(db);
  const int code = rc & 0xff;
  sqlite3_reset(stmt_);
  if (code == SQLITE_CONSTRAINT) return FailedPreconditionError(std::move(message));
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return UnavailableError(std::move(message));
  if (code == SQLITE_CORRUPT) return DataLossError(std::move(message));
  return InternalError(std::move(message));
}

Status Statement::Run() {
  for (;;) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) break;
  }
  Reset();
  return Status::Ok();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string_view Statement::ColumnText(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return {text ? text : "", static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
}

ByteView Statement::ColumnBlob(int column) const {
  const auto* blob = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, column));
  return {blob, static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
}

StatusOr<std::unique_ptr<Transaction>> Transaction::Begin(Database& db, TransactionMode mode) {
  RETURN_IF_ERROR(db.Execute(mode == TransactionMode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  return std::unique_ptr<Transaction>(new Transaction(db));
}

Transaction::~Transaction() {
  if (open_) (void)db_.Execute("ROLLBACK");
}

Status Transaction::Commit() {
  RETURN_IF_ERROR(db_.Execute("COMMIT"));
  open_ = false;
  return Status::Ok();
}

}  // namespace quartet::store

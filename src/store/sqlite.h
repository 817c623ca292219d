// A small RAII wrapper over the SQLite 3 C API that returns Status. Databases are opened in WAL mode
// with synchronous=FULL, so a committed transaction survives a crash or power cut.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "base/bytes.h"
#include "base/status.h"

namespace quartet::store {

// A prepared statement. Bind indexes start at 1, column indexes at 0.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);  // as TEXT
  // Not copied: `blob` must stay valid until the statement is stepped to completion or reset.
  Statement& BindBlob(int index, ByteView blob);
  // Steps once: true if a row is ready, false when done.
  StatusOr<bool> Step();
  // Steps to completion, expecting no rows.
  Status Run();
  void Reset();

  int64_t ColumnInt(int column) const;
  std::string_view ColumnText(int column) const;
  ByteView ColumnBlob(int column) const;

 private:
  sqlite3_stmt* stmt_;
};

// One use of a cached prepared statement, as Database::Prepare hands it out: when the scope ends,
// on every path, the statement is reset — its row, and with it the read transaction a row holds
// open, released, and its bindings cleared. Move-only; assigning another statement resets the one
// held before.
class StatementScope {
 public:
  StatementScope() = default;
  explicit StatementScope(Statement* statement) : statement_(statement) {}
  StatementScope(StatementScope&& other) noexcept
      : statement_(std::exchange(other.statement_, nullptr)) {}
  StatementScope& operator=(StatementScope&& other) noexcept {
    if (this != &other) {
      Release();
      statement_ = std::exchange(other.statement_, nullptr);
    }
    return *this;
  }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;
  ~StatementScope() { Release(); }

  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }
  // Resets the statement now, before the scope ends (a row left open would keep a read
  // transaction that a later write on the same connection waits for).
  void Release() {
    if (statement_ != nullptr) statement_->Reset();
    statement_ = nullptr;
  }

 private:
  Statement* statement_ = nullptr;
};

// One connection. Not thread-safe: one per thread. Non-copyable.
class Database {
 public:
  static StatusOr<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements without results.
  Status Execute(std::string_view sql);
  // Prepares a statement cached for the life of the connection; the same SQL text returns the same
  // (reset) statement, reset again when the returned scope ends. The scope must not outlive the
  // Database; while it lives, do not prepare the same SQL text again.
  StatusOr<StatementScope> Prepare(std::string_view sql);

  sqlite3* handle() { return db_; }
  Status Error(std::string_view what) const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> statements_;
};

enum class TransactionMode { kDeferred, kImmediate };

// BEGIN on construction, ROLLBACK on destruction unless Commit() succeeded. kImmediate takes the
// write lock at once, so concurrent writers (other processes included) queue instead of failing.
class Transaction {
 public:
  static StatusOr<std::unique_ptr<Transaction>> Begin(Database& db, TransactionMode mode);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status Commit();
  Database& db() { return db_; }

 private:
  explicit Transaction(Database& db) : db_(db) {}
  Database& db_;
  bool open_ = true;
};

}  // namespace quartet::store

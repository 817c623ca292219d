// The layout of a Quartet data folder, and the operations that span its parts:
//
//   DIR/quartet.db              SQLite: application state, every log's entries and checkpoints
//   DIR/keys/<tenant>.log.key   the log's C2SP signer key (mode 0600; never served, never logged)
//   DIR/logs/<tenant>/          the published log: checkpoint, tile/<L>/..., tile/entries/...
//   DIR/integrate.lock          held (flock) by the one process that integrates and publishes
//
// Thread safety: the object is thread-safe; the LogStore it hands out is too.
#pragma once

#include <memory>
#include <string>

#include "base/file_system.h"
#include "base/random.h"
#include "ledger/note.h"
#include "store/sqlite_log_store.h"

namespace quartet::store {

// An exclusive advisory lock on a file, released on destruction.
class FileLock {
 public:
  enum class Wait { kNo, kYes };
  // Unavailable if another process holds it and `wait` is kNo.
  static StatusOr<std::unique_ptr<FileLock>> Acquire(const std::string& path, Wait wait);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

class DataFolder {
 public:
  // Opens the folder, creating it and the database if needed.
  static StatusOr<std::unique_ptr<DataFolder>> Open(const std::string& path);

  SqliteLogStore& logs() { return *logs_; }
  FileSystem& fs() { return FileSystem::Posix(); }
  const std::string& path() const { return path_; }

  // Creates a tenant's log with a fresh signing key. Returns the verifier key string.
  // AlreadyExists if the tenant has a log.
  StatusOr<std::string> InitLog(const std::string& tenant, const std::string& origin,
                                Random& random);
  // The log's signing key. NotFound for an unknown tenant.
  StatusOr<ledger::NoteSigner> LogSigner(const std::string& tenant);
  std::string LogDirectory(const std::string& tenant) const { return path_ + "/logs/" + tenant; }

  StatusOr<std::unique_ptr<FileLock>> LockIntegration(FileLock::Wait wait);

 private:
  DataFolder(std::string path, std::unique_ptr<SqliteLogStore> logs)
      : path_(std::move(path)), logs_(std::move(logs)) {}
  std::string KeyPath(const std::string& tenant) const {
    return path_ + "/keys/" + tenant + ".log.key";
  }

  const std::string path_;
  std::unique_ptr<SqliteLogStore> logs_;
};

// "<host name>/logs/<tenant>": the default origin of a tenant's log.
std::string DefaultOrigin(const std::string& tenant);

}  // namespace quartet::store

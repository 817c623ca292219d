// The file system as an injected dependency. The POSIX implementation is the real one; tests use
// FaultInjectionFileSystem (fault_file_system.h), which forgets everything not made durable.
//
// Durability contract, as on Linux: a file's contents are durable once WritableFile::Sync returns
// OK; a name (a created or renamed file) is durable once SyncDirectory of its parent returns OK.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // fsync(2): the contents written so far become durable.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates or truncates `path`. The parent directory must exist.
  virtual StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Creates `path` for a secret: readable and writable by its owner alone (mode 0600) from the
  // moment it exists. AlreadyExists if `path` exists. The parent directory must exist.
  virtual StatusOr<std::unique_ptr<WritableFile>> NewPrivateFile(const std::string& path) = 0;
  // NotFound if missing.
  virtual StatusOr<std::string> ReadFile(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // rename(2): atomically replaces `to`.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // link(2): `to` becomes a second name of the file `from`. AlreadyExists if `to` exists: unlike
  // Rename, it never replaces anything.
  virtual Status Link(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // chmod(2) of a file or a directory: `mode` is the permission bits, such as 0640.
  virtual Status SetPermissions(const std::string& path, uint32_t mode) = 0;
  // mkdir -p. New directories are made durable in their parents.
  virtual Status CreateDirectories(const std::string& path) = 0;
  // fsync(2) of a directory: names created or renamed in it become durable.
  virtual Status SyncDirectory(const std::string& path) = 0;
  // syncfs(2) of the file system holding `path`: every file's contents and every name on it become
  // durable. One call instead of an fsync per file, for writers that publish many files at once.
  virtual Status SyncFileSystem(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory; NotFound if it does not exist.
  virtual StatusOr<std::vector<std::string>> ListDirectory(const std::string& path) = 0;

  // The process-wide POSIX file system. Thread-safe.
  static FileSystem& Posix();
};

// Replaces `path` with `contents` so that after a crash it holds either the old or the new contents,
// never a mix: write a temporary file beside it, fsync it, rename it over `path`, fsync the folder.
Status WriteFileAtomically(FileSystem& fs, const std::string& path, std::string_view contents);

// Writes a secret (a private key, a token) to a new file that only its owner may read or write
// (mode 0600), durably: private temporary file, fsync, link into place, fsync of the folder; after
// a crash `path` is either absent or complete. AlreadyExists if `path` exists: a secret is never
// replaced silently.
Status WriteSecretFile(FileSystem& fs, const std::string& path, std::string_view contents);
// The same on the POSIX file system.
Status WriteSecretFile(const std::string& path, std::string_view contents);

// "a/b/c" -> "a/b"; "c" -> ".".
std::string ParentDirectory(const std::string& path);

}  // namespace quartet

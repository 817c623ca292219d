// An in-memory FileSystem for tests that models what survives a power cut: file contents survive only
// up to their last Sync, names only up to the last SyncDirectory of their folder. SimulateCrash()
// throws away everything else. FailAfter(n) makes every operation after the next n fail, to stop a
// writer at an arbitrary point. Permissions are kept (and survive a crash) but not enforced.
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <set>

#include "base/file_system.h"
#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace quartet {

class FaultInjectionFileSystem final : public FileSystem {
 public:
  FaultInjectionFileSystem() = default;

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  StatusOr<std::unique_ptr<WritableFile>> NewPrivateFile(const std::string& path) override;
  StatusOr<std::string> ReadFile(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Link(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status SetPermissions(const std::string& path, uint32_t mode) override;
  Status CreateDirectories(const std::string& path) override;
  Status SyncDirectory(const std::string& path) override;
  Status SyncFileSystem(const std::string& path) override;
  StatusOr<std::vector<std::string>> ListDirectory(const std::string& path) override;

  // Forgets all that is not durable, and clears any FailAfter.
  void SimulateCrash();
  // After `operations` more successful operations, every operation fails with Unavailable.
  void FailAfter(int64_t operations);
  // Number of operations performed so far (for choosing crash points).
  int64_t operation_count() const;
  // The permission bits of a file or directory: 0644 for a new file, 0600 for a private one, 0755
  // for a directory, until SetPermissions. NotFound if there is no such name.
  StatusOr<uint32_t> Permissions(const std::string& path) const;

 private:
  friend class FaultWritableFile;
  struct Inode {
    std::string data;
    std::string synced;
    uint32_t mode = 0644;
  };

  Status CountOperation() REQUIRES(mu_);
  StatusOr<std::unique_ptr<WritableFile>> NewFile(const std::string& path, uint32_t mode)
      REQUIRES(mu_);

  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<Inode>> names_ GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<Inode>> durable_names_ GUARDED_BY(mu_);
  std::map<std::string, uint32_t> directories_ GUARDED_BY(mu_);  // name -> mode
  int64_t operations_ GUARDED_BY(mu_) = 0;
  int64_t fail_after_ GUARDED_BY(mu_) = -1;
};

}  // namespace quartet

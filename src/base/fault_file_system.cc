#include "base/fault_file_system.h"

namespace quartet {

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionFileSystem* fs,
                    std::shared_ptr<FaultInjectionFileSystem::Inode> inode)
      : fs_(fs), inode_(std::move(inode)) {}

  Status Append(std::string_view data) override {
    MutexLock lock(fs_->mu_);
    RETURN_IF_ERROR(fs_->CountOperation());
    inode_->data.append(data);
    return Status::Ok();
  }
  Status Sync() override {
    MutexLock lock(fs_->mu_);
    RETURN_IF_ERROR(fs_->CountOperation());
    inode_->synced = inode_->data;
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }

 private:
  FaultInjectionFileSystem* fs_;
  std::shared_ptr<FaultInjectionFileSystem::Inode> inode_;
};

Status FaultInjectionFileSystem::CountOperation() {
  if (fail_after_ == 0) return UnavailableError("injected fault: file system stopped");
  if (fail_after_ > 0) --fail_after_;
  ++operations_;
  return Status::Ok();
}

StatusOr<std::unique_ptr<WritableFile>> FaultInjectionFileSystem::NewFile(const std::string& path,
                                                                          uint32_t mode) {
  if (!directories_.contains(ParentDirectory(path))) {
    return NotFoundError("no directory for " + path);
  }
  auto inode = std::make_shared<Inode>();
  inode->mode = mode;
  names_[path] = inode;
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, inode));
}

StatusOr<std::unique_ptr<WritableFile>> FaultInjectionFileSystem::NewWritableFile(
    const std::string& path) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(CountOperation());
  return NewFile(path, 0644);
}

StatusOr<std::unique_ptr<WritableFile>> FaultInjectionFileSystem::NewPrivateFile(
    const std::string& path) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(CountOperation());
  if (names_.contains(path) || directories_.contains(path))
    return AlreadyExistsError(path + " exists");
  return NewFile(path, 0600);
}

StatusOr<std::string> FaultInjectionFileSystem::ReadFile(const std::string& path) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(CountOperation());
  auto it = names_.find(path);
  if (it == names_.end()) return NotFoundError("no such file " + path);
  return it->second->data;
}

bool FaultInjectionFileSystem::FileExists(const std::string& path) {
  MutexLock lock(mu_);
  return names_.contains(path) || directories_.contains(path);
}

Status FaultInjectionFileSystem::Rename(const std::string& from, const std::string& to) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(CountOperation());
  auto it = names_.find(from);
  if (it == names_.end()) return NotFoundError("no such file " + from);
  names_[to] = it->second;
  names_.erase(from);
  return Status::Ok();
}

Status FaultInjectionFileSystem::Link(const std::string& from, const std::string& to) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(CountOperation());
  auto it = names_.find(from);
  if (it == names_.end()) return NotFoundError("no such file " + from);
  if (names_.contains(to) || directories_.contains(to)) return AlreadyExistsError(to + " exists");
  if (!directories_.contains(ParentDirectory(to))) return NotFoundError("no directory for " + to);
  names_[to] = it->second;
  return Status::Ok();
}

Status FaultInjectionFileSystem::SetPermissions(const std::string& path, uint32_t mode) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(CountOperation());
  if (auto file = names_.find(path); file != names_.end()) {
    file->second->mode = mode;
  } else if (auto directory = directories_.find(path); directory != directories_.end()) {
    directory->second = mode;
  } else {
    return NotFoundError("no such file or directory " + path);
  }
  return Status::Ok();
}

StatusOr<uint32_t> FaultInjectionFileSystem::Permissions(const std::string& path) const {
  MutexLock lock(mu_);
  if (auto file = names_.find(path); file != names_.end()) return file->second->mode;
  if (auto directory = directories_.find(path); directory != directories_.end())
    return directory->second;
  return NotFoundError("no such file or directory " + path);
}

Status FaultInjectionFileSystem::RemoveFile(const std::string& path) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(CountOperation());
  if (names_.erase(path) == 0) return NotFoundError("no such file " + path);
  return Status::Ok();
}

Status FaultInjectionFileSystem::CreateDirectories(const std::string& path) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(CountOperation());
  // Directories are modelled as durable at once, as CreateDirectories syncs each new parent.
  for (std::string p = path; !p.empty() && p != "." && p != "/"; p = ParentDirectory(p)) {
    directories_.emplace(p, 0755);
  }
  directories_.emplace(".", 0755);
  return Status::Ok();
}

Status FaultInjectionFileSystem::SyncDirectory(const std::string& path) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(CountOperation());
  for (auto it = durable_names_.begin(); it != durable_names_.end();) {
    if (ParentDirectory(it->first) == path && !names_.contains(it->first)) {
      it = durable_names_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [name, inode] : names_) {
    if (ParentDirectory(name) == path) durable_names_[name] = inode;
  }
  return Status::Ok();
}

Status FaultInjectionFileSystem::SyncFileSystem(const std::string&) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(CountOperation());
  for (auto& [name, inode] : names_) inode->synced = inode->data;
  durable_names_ = names_;
  return Status::Ok();
}

StatusOr<std::vector<std::string>> FaultInjectionFileSystem::ListDirectory(
    const std::string& path) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(CountOperation());
  if (!directories_.contains(path)) return NotFoundError("no such directory " + path);
  std::vector<std::string> out;
  const std::string prefix = path + "/";
  std::set<std::string> seen;
  auto add = [&](const std::string& full) {
    if (full.rfind(prefix, 0) != 0) return;
    std::string rest = full.substr(prefix.size());
    rest = rest.substr(0, rest.find('/'));
    if (!rest.empty() && seen.insert(rest).second) out.push_back(rest);
  };
  for (const auto& [name, inode] : names_) add(name);
  for (const auto& [dir, mode] : directories_) add(dir);
  return out;
}

void FaultInjectionFileSystem::SimulateCrash() {
  MutexLock lock(mu_);
  names_.clear();
  for (auto& [name, inode] : durable_names_) {
    inode->data = inode->synced;
    names_[name] = inode;
  }
  fail_after_ = -1;
}

void FaultInjectionFileSystem::FailAfter(int64_t operations) {
  MutexLock lock(mu_);
  fail_after_ = operations;
}

int64_t FaultInjectionFileSystem::operation_count() const {
  MutexLock lock(mu_);
  return operations_;
}

}  // namespace quartet

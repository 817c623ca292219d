#include "ledger/memory_log_store.h"

namespace quartet::ledger {

StatusOr<MemoryLogStore::Log*> MemoryLogStore::Find(std::string_view tenant) {
  auto it = logs_.find(tenant);
  if (it == logs_.end()) return NotFoundError("no log for tenant '" + std::string(tenant) + "'");
  return &it->second;
}

Status MemoryLogStore::CreateLog(const LogConfig& config) {
  MutexLock lock(mu_);
  if (!IsValidTenant(config.tenant)) return InvalidArgumentError("bad tenant");
  if (!logs_.emplace(config.tenant, Log{config, {}, {}, {}}).second) {
    return AlreadyExistsError("tenant '" + config.tenant + "' already has a log");
  }
  return Status::Ok();
}

StatusOr<LogConfig> MemoryLogStore::GetLog(std::string_view tenant) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Log * log, Find(tenant));
  return log->config;
}

StatusOr<std::vector<LogConfig>> MemoryLogStore::ListLogs() {
  MutexLock lock(mu_);
  std::vector<LogConfig> out;
  for (const auto& [tenant, log] : logs_) out.push_back(log.config);
  return out;
}

StatusOr<uint64_t> MemoryLogStore::Append(std::string_view tenant,
                                          std::span<const std::string> entries) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Log * log, Find(tenant));
  const uint64_t first = log->entries.size();
  log->entries.insert(log->entries.end(), entries.begin(), entries.end());
  return first;
}

StatusOr<uint64_t> MemoryLogStore::EntryCount(std::string_view tenant) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Log * log, Find(tenant));
  return log->entries.size();
}

Status MemoryLogStore::ReadEntries(std::string_view tenant, uint64_t begin, uint64_t end,
                                   std::vector<std::string>& out) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Log * log, Find(tenant));
  if (begin > end || end > log->entries.size()) return OutOfRangeError("beyond the end of the log");
  out.insert(out.end(), log->entries.begin() + static_cast<ptrdiff_t>(begin),
             log->entries.begin() + static_cast<ptrdiff_t>(end));
  return Status::Ok();
}

StatusOr<std::optional<StoredCheckpoint>> MemoryLogStore::LatestCheckpoint(
    std::string_view tenant) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Log * log, Find(tenant));
  if (log->checkpoints.empty()) return std::optional<StoredCheckpoint>();
  return std::optional<StoredCheckpoint>(log->checkpoints.back());
}

Status MemoryLogStore::AddCheckpoint(std::string_view tenant, const StoredCheckpoint& checkpoint) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Log * log, Find(tenant));
  if (!log->checkpoints.empty() && checkpoint.size <= log->checkpoints.back().size) {
    return FailedPreconditionError("checkpoint does not extend the latest");
  }
  if (checkpoint.size > log->entries.size()) {
    return FailedPreconditionError("checkpoint covers entries that are not durable");
  }
  log->checkpoints.push_back(checkpoint);
  return Status::Ok();
}

StatusOr<std::optional<StoredCheckpoint>> MemoryLogStore::CheckpointOfSize(std::string_view tenant,
                                                                           uint64_t size) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Log * log, Find(tenant));
  for (const StoredCheckpoint& checkpoint : log->checkpoints) {
    if (checkpoint.size == size) return std::optional<StoredCheckpoint>(checkpoint);
  }
  return std::optional<StoredCheckpoint>();
}

StatusOr<std::optional<StoredCheckpoint>> MemoryLogStore::LatestCosignedCheckpoint(
    std::string_view tenant) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Log * log, Find(tenant));
  if (log->cosigned.empty()) return std::optional<StoredCheckpoint>();
  return std::optional<StoredCheckpoint>(log->cosigned.back());
}

Status MemoryLogStore::AddCosignedCheckpoint(std::string_view tenant,
                                             const StoredCheckpoint& checkpoint) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Log * log, Find(tenant));
  if (!log->cosigned.empty() && checkpoint.size <= log->cosigned.back().size) {
    return FailedPreconditionError("cosigned checkpoint does not extend the latest");
  }
  bool recorded = false;
  for (const StoredCheckpoint& signed_checkpoint : log->checkpoints) {
    recorded |=
        signed_checkpoint.size == checkpoint.size && signed_checkpoint.root == checkpoint.root;
  }
  if (!recorded) return FailedPreconditionError("no such checkpoint was signed");
  log->cosigned.push_back(checkpoint);
  return Status::Ok();
}

Status MemoryLogStore::SetWitness(std::string_view tenant, const std::string& verifier_key) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Log * log, Find(tenant));
  log->config.witness_key = verifier_key;
  return Status::Ok();
}

std::vector<StoredCheckpoint> MemoryLogStore::Checkpoints(std::string_view tenant) {
  MutexLock lock(mu_);
  auto log = Find(tenant);
  return log.ok() ? (*log)->checkpoints : std::vector<StoredCheckpoint>();
}

}  // namespace quartet::ledger

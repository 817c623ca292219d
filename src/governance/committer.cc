#include "governance/committer.h"

#include "governance/outbox.h"
#include "store/sqlite_log_store.h"

namespace quartet::governance {

StatusOr<std::unique_ptr<Committer>> Committer::Open(store::DataFolder& folder, Clock& clock,
                                                     Random& random) {
  ASSIGN_OR_RETURN(auto db, store::Database::Open(folder.path() + "/quartet.db"));
  ASSIGN_OR_RETURN(auto read_db, store::Database::Open(folder.path() + "/quartet.db"));
  return std::unique_ptr<Committer>(
      new Committer(folder, std::move(db), std::move(read_db), clock, random));
}

Status Committer::Commit(const std::string& client, const ScopedChange& change) {
  PendingChange self{&client, &change};
  bool lead;
  {
    MutexLock lock(commit_mu_);
    queue_.push_back(&self);
    lead = !leading_;
    leading_ = true;
  }
  // While another caller leads a commit, wait to be woken: either that commit carried this change,
  // or this caller leads the next one. Each waiter is woken once, by name: no thundering herd.
  if (!lead) {
    self.wake.Wait();
    if (self.done) return self.result;
  }
  std::vector<PendingChange*> batch;
  {
    MutexLock lock(commit_mu_);
    batch.swap(queue_);  // this change and everything queued meanwhile
  }
  CommitBatch(batch);
  PendingChange* next_leader = nullptr;
  {
    MutexLock lock(commit_mu_);
    if (queue_.empty()) {
      leading_ = false;
    } else {
      next_leader = queue_.front();
    }
  }
  // The next batch starts before this one's callers are told. A caller may return (and its
  // PendingChange go) as soon as it is woken: nothing touches it after Signal().
  if (next_leader != nullptr) next_leader->wake.Signal();
  for (PendingChange* pending : batch) {
    if (pending == &self) continue;
    pending->done = true;
    pending->wake.Signal();
  }
  return self.result;
}

Status Committer::RunChange(store::Transaction& transaction, const PendingChange& pending,
                            std::vector<std::string>& events) {
  std::vector<OwnerNotice> notices;
  ChangeScope scope{*db_, events, notices};
  RETURN_IF_ERROR((*pending.change)(scope));
  const int64_t now = clock_.NowUnixSeconds();
  for (const OwnerNotice& notice : notices)
    RETURN_IF_ERROR(QueueForOwners(*db_, now, *pending.client, notice));
  if (events.empty()) return Status::Ok();
  return store::SqliteLogStore::AppendInTransaction(transaction, *pending.client, events).status();
}

void Committer::CommitBatch(const std::vector<PendingChange*>& batch) {
  MutexLock lock(mu_);
  // The changes run one after another in one transaction, without a savepoint each (a savepoint
  // copies every page a change touches). A change refused before it wrote anything, which is how
  // changes refuse, leaves the transaction as it was. One that wrote and then failed spoils it: the
  // transaction is rolled back and made again without that change.
  std::vector<PendingChange*> changes = batch;
  std::vector<std::string> events;
  for (;;) {
    auto transaction = store::Transaction::Begin(*db_, store::TransactionMode::kImmediate);
    if (!transaction.ok()) {
      for (PendingChange* pending : changes) pending->result = transaction.status();
      return;
    }
    auto spoiled = changes.end();
    for (auto it = changes.begin(); it != changes.end(); ++it) {
      PendingChange& pending = **it;
      const int64_t written_before = sqlite3_total_changes64(db_->handle());
      events.clear();
      pending.result = RunChange(**transaction, pending, events);
      // SQLite may also have rolled the whole transaction back itself (a full disk, an I/O error).
      if (!pending.result.ok() && (sqlite3_total_changes64(db_->handle()) != written_before ||
                                   sqlite3_get_autocommit(db_->handle()) != 0)) {
        spoiled = it;
        break;
      }
    }
    if (spoiled != changes.end()) {
      changes.erase(spoiled);  // keeps its error; the transaction rolls back as it goes
      continue;
    }
    // One durable commit for the whole batch: nothing is acknowledged before it.
    const Status committed = (*transaction)->Commit();
    if (!committed.ok()) {
      for (PendingChange* pending : changes) {
        if (pending->result.ok()) pending->result = committed;
      }
    }
    return;
  }
}

}  // namespace quartet::governance

// The governance database (quartet.db) and the one way changes reach it: each change commits in one
// SQLite transaction together with its events in the client's log (docs/events.md) and the notices
// it queues for the client's owners, so that there is no grant, approval or policy change without
// its entry. Changes of concurrent callers share one transaction and one fsync (group commit).
//
// Thread safety: every method may be called from any thread. The writer connection is used only
// under its mutex, the reader connection under its own.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/random.h"
#include "store/data_folder.h"
#include "store/sqlite.h"

namespace quartet::governance {

// A message for every owner of a client, by e-mail and webhook, queued with a change.
struct OwnerNotice {
  std::string subject;
  std::string body;     // plain text
  std::string payload;  // the webhook's JSON
};

// What a change works with: the writer connection, inside the batch's transaction.
struct ChangeScope {
  store::Database& db;
  std::vector<std::string>& events;   // canonical events for the client's log
  std::vector<OwnerNotice>& notices;  // queued for the owners in the same transaction
};
// A change must use only `scope.db`, and may run more than once (when another change of its batch
// fails after writing, the batch is made again without it).
using ScopedChange = std::function<Status(ChangeScope& scope)>;

class Committer {
 public:
  // Opens quartet.db in `folder` (which brought its schema up to date when it opened,
  // store/server_schema.h). `folder`, `clock` and `random` must outlive the committer.
  static StatusOr<std::unique_ptr<Committer>> Open(store::DataFolder& folder, Clock& clock,
                                                   Random& random);

  // Runs `change` in one transaction with its events in `client`'s log and its notices. Returns
  // once the change is durable, or its error.
  Status Commit(const std::string& client, const ScopedChange& change) EXCLUDES(mu_, commit_mu_);

  // Runs `work` with the writer connection, outside any batch: for reads that must see the last
  // commit of this process, and for the few changes that are not one client's.
  template <typename Work>
  auto Write(Work&& work) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return work(*db_);
  }
  // Runs `work` with the reader connection, for the lookups every request makes (who is this token,
  // who is this user): with WAL it reads the last commit while a writer's commit is made durable.
  template <typename Work>
  auto Read(Work&& work) EXCLUDES(read_mu_) {
    MutexLock lock(read_mu_);
    return work(*read_db_);
  }

  store::DataFolder& folder() { return folder_; }
  Clock& clock() { return clock_; }
  Random& random() { return random_; }

 private:
  Committer(store::DataFolder& folder, std::unique_ptr<store::Database> db,
            std::unique_ptr<store::Database> read_db, Clock& clock, Random& random)
      : folder_(folder),
        db_(std::move(db)),
        read_db_(std::move(read_db)),
        clock_(clock),
        random_(random) {}

  // A caller's change waiting for its batch. `result` and `done` are written by the leader of the
  // batch before it signals `wake`, and read by the caller after it wakes.
  struct PendingChange {
    const std::string* client;
    const ScopedChange* change;
    Status result = Status::Ok();
    bool done = false;
    Wakeup wake{};
  };
  void CommitBatch(const std::vector<PendingChange*>& batch) EXCLUDES(mu_);
  // Runs one change of a batch, with mu_ held, inside the batch's transaction.
  Status RunChange(store::Transaction& transaction, const PendingChange& pending,
                   std::vector<std::string>& events) REQUIRES(mu_);

  store::DataFolder& folder_;
  // Guards the commit queue; never held together with mu_.
  Mutex commit_mu_;
  std::vector<PendingChange*> queue_ GUARDED_BY(commit_mu_);
  bool leading_ GUARDED_BY(commit_mu_) = false;
  Mutex mu_;
  std::unique_ptr<store::Database> db_ GUARDED_BY(mu_);
  Mutex read_mu_;
  std::unique_ptr<store::Database> read_db_ GUARDED_BY(read_mu_);
  Clock& clock_;
  Random& random_;
};

}  // namespace quartet::governance

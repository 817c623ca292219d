// A searchable index of the events in every client's log, for the owner's timeline: by technician,
// resource, kind, time and words. The log is the truth and the index is derived from it alone
// (DATA/index.db): it reads entries past what it has indexed (catching up), so it never holds an
// event the log lacks, and a lost index, or one that no longer matches its log, is rebuilt. Each
// event's grant events are attributed to the grant's technician and resource from the grant's own
// `grant.requested` entry.
//
// Results carry the entry's exact bytes and index, so that a reader can hash the entry and check its
// inclusion proof against a checkpoint without trusting the index.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "store/data_folder.h"
#include "store/sqlite.h"

namespace quartet::governance {

struct EventQuery {
  std::string technician = {};  // exact user name; empty for any
  std::string resource = {};    // exact resource name; empty for any
  std::string kind = {};        // "grant.approved", or a family such as "grant." ; empty for any
  std::string text = {};  // words that must all appear in the event (prefix match on the last)
  int64_t from = 0;       // `at` >= from
  int64_t to = std::numeric_limits<int64_t>::max();  // `at` < to
  // Only entries below this index: the size of the checkpoint the reader verified, and the cursor
  // of the next page (the smallest index of the previous one).
  uint64_t below = std::numeric_limits<uint64_t>::max();
  int limit = 50;  // 1..500
};

struct IndexedEvent {
  uint64_t index = 0;
  std::string entry;  // the log entry's bytes (canonical JSON)
};

// The distinct values a client's timeline can be filtered by.
struct EventFacets {
  std::vector<std::string> technicians;
  std::vector<std::string> resources;
  std::vector<std::string> kinds;
};

class EventIndex {
 public:
  // `folder` must outlive the index.
  static StatusOr<std::unique_ptr<EventIndex>> Open(store::DataFolder& folder);

  // Indexes `client`'s entries up to `size` (all durable ones if larger).
  Status CatchUp(const std::string& client, uint64_t size = std::numeric_limits<uint64_t>::max())
      EXCLUDES(mu_);
  // Every log, all the way; returns early, between chunks, once `stop` is set.
  Status CatchUpAll(const std::atomic<bool>& stop) EXCLUDES(mu_);

  // Newest first. Catches up to `query.below` first.
  StatusOr<std::vector<IndexedEvent>> Find(const std::string& client, const EventQuery& query)
      EXCLUDES(mu_);
  StatusOr<EventFacets> Facets(const std::string& client) EXCLUDES(mu_);

 private:
  EventIndex(store::DataFolder& folder, std::unique_ptr<store::Database> db)
      : folder_(folder), db_(std::move(db)) {}
  Status CatchUpLocked(const std::string& client, uint64_t size,
                       const std::atomic<bool>* stop = nullptr) REQUIRES(mu_);
  // Once per client and process: the index must end with the log's entry at that index, or it is
  // dropped and rebuilt.
  Status CheckAgainstLog(const std::string& client, uint64_t indexed, ByteView last_digest)
      REQUIRES(mu_);

  store::DataFolder& folder_;
  Mutex mu_;
  std::unique_ptr<store::Database> db_ GUARDED_BY(mu_);
  std::set<std::string> checked_ GUARDED_BY(mu_);
};

}  // namespace quartet::governance

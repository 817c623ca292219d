// Publishes every tenant's log over HTTP as C2SP tlog-tiles:
//   GET /logs/<tenant>/checkpoint                 text/plain; charset=utf-8, cached a few seconds
//     (for a log with a witness, the latest checkpoint it cosigned, with both signatures)
//   GET /logs/<tenant>/tile/<L>/<N>[.p/<W>]       application/octet-stream, immutable
//   GET /logs/<tenant>/tile/entries/<N>[.p/<W>]   application/octet-stream, immutable
//
// Nothing is served that has not been checked against the latest signed checkpoint: the partial
// tiles of the right edge by recomputing the root, a full tile against its hash in the tile above,
// an entry bundle against the leaf hashes of its tile. A corrupted file is reported (500 and an
// error in the server's log), never served as valid.
//
// With StartPublishing, a background thread integrates new durable entries of every log (including
// entries appended by other processes) and publishes checkpoints, about ten times a second, and
// another reads and checks every published tile once (a scrub): damage is reported at start-up
// rather than when a client first asks, and verified tiles are cached while the cache has room.
//
// Thread safety: Handle may be called from many threads at once.
#pragma once

#include <condition_variable>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "ledger/integrator.h"
#include "server/http.h"
#include "store/data_folder.h"

namespace quartet::server {

class LogService {
 public:
  struct Options {
    std::chrono::milliseconds publish_interval{100};
    size_t tile_cache_bytes = size_t{512} << 20;
  };

  LogService(store::DataFolder& folder, Options options);
  ~LogService();
  LogService(const LogService&) = delete;
  LogService& operator=(const LogService&) = delete;

  // Takes the data folder's integration lock and starts the publishing thread. Unavailable if
  // another process publishes this folder.
  Status StartPublishing();
  void StopPublishing();
  // Integrates and publishes every log once, now (used at start-up and by tests).
  Status PublishOnce();

  // The latest signed checkpoint whose tiles are served (checked against it): what a witness may
  // be offered. NotFound for an unknown log or one with no checkpoint yet.
  StatusOr<ledger::StoredCheckpoint> ServedCheckpoint(const std::string& tenant);

  // Serves a request whose path starts with /logs/. Anything else is 404.
  HttpResponse Handle(const HttpRequest& request);

 private:
  using Blob = std::shared_ptr<const std::string>;
  struct View {
    uint64_t size = 0;
    Hash root{};
    Blob note;
    // What /checkpoint serves: for a log with a witness, the latest checkpoint it cosigned (null
    // until it has cosigned one); otherwise `note`.
    Blob published;
    uint64_t published_size = 0;
    bool witnessed = false;  // the log had a witness when the view was made
    uint64_t ticket = 0;     // the Refresh that made or last confirmed it (see Refresh)
  };

  StatusOr<View> CurrentView(const std::string& tenant);
  Status Refresh(const std::string& tenant);
  StatusOr<Blob> ServeTile(const std::string& tenant, const View& view, const ledger::TileId& id);
  StatusOr<Blob> VerifiedBundle(const std::string& tenant, const View& view, uint64_t index);
  StatusOr<Blob> VerifiedTile(const std::string& tenant, const View& view, int level,
                              uint64_t index);
  Status VerifyRightEdge(const std::string& tenant, const View& view);
  StatusOr<Blob> ReadTileFile(const std::string& tenant, const ledger::TileId& id);
  Blob CacheGet(const std::string& key);
  void CachePut(const std::string& key, Blob blob);
  void PublishLoop();
  void Scrub();
  bool Stopping();

  // Set at construction.
  store::DataFolder& folder_;
  const Options options_;

  Mutex mu_;
  std::map<std::string, View> views_ GUARDED_BY(mu_);
  uint64_t refresh_tickets_ GUARDED_BY(mu_) = 0;
  // Verified tiles, least recently used first.
  std::list<std::pair<std::string, Blob>> lru_ GUARDED_BY(mu_);
  std::unordered_map<std::string, std::list<std::pair<std::string, Blob>>::iterator> cache_
      GUARDED_BY(mu_);
  size_t cache_bytes_ GUARDED_BY(mu_) = 0;

  // Used by the publishing thread only (and PublishOnce before it starts).
  std::unique_ptr<store::FileLock> lock_;
  std::map<std::string, std::unique_ptr<ledger::Integrator>> integrators_;
  std::thread publisher_;
  std::thread scrubber_;
  Mutex stop_mu_;
  std::condition_variable_any stop_cv_;
  bool stop_ GUARDED_BY(stop_mu_) = false;
};

}  // namespace quartet::server

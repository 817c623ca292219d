// The published tiles of every log, as served: nothing is handed out that has not been checked
// against the latest signed checkpoint — the partial tiles of the right edge by recomputing the
// root, a full tile against its hash in the tile above, an entry bundle against the leaf hashes of
// its tile. A corrupted file is reported (DataLoss and an error in the server's log), never served
// as valid. Verified tiles are cached, least recently used first out, within a byte budget.
//
// Thread safety: every method may be called from many threads at once.
#pragma once

#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/mutex.h"
#include "ledger/tiles.h"
#include "store/data_folder.h"

namespace quartet::server {

class VerifiedTiles {
 public:
  using Blob = std::shared_ptr<const std::string>;
  // One log as served: its latest signed checkpoint and what /checkpoint publishes.
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

  // `folder` must outlive this.
  VerifiedTiles(store::DataFolder& folder, size_t cache_bytes)
      : folder_(folder), cache_limit_(cache_bytes) {}

  // The view of `tenant`, made on first use. NotFound for an unknown log or one with no checkpoint.
  StatusOr<View> CurrentView(const std::string& tenant) EXCLUDES(mu_);
  // Reads the log's latest checkpoints from the store and, once the right edge of its tiles checks
  // against it, makes it the view.
  Status Refresh(const std::string& tenant) EXCLUDES(mu_);
  // The latest signed checkpoint whose tiles are served.
  StatusOr<ledger::StoredCheckpoint> ServedCheckpoint(const std::string& tenant) EXCLUDES(mu_);
  // The verified bytes of tile `id` of `view`. OutOfRange for a tile beyond the tree.
  StatusOr<Blob> ServeTile(const std::string& tenant, const View& view, const ledger::TileId& id)
      EXCLUDES(mu_);
  // Reads and checks every published entry bundle (and so every tile) of every log seen so far,
  // until `stopping` says so or the cache is three quarters full; logs what it found.
  void Scrub(const std::function<bool()>& stopping) EXCLUDES(mu_);

  static std::string CacheKey(const std::string& tenant, const ledger::TileId& id) {
    return tenant + "/" + id.Path();
  }
  Blob CacheGet(const std::string& key) EXCLUDES(mu_);
  void CachePut(const std::string& key, Blob blob) EXCLUDES(mu_);

 private:
  StatusOr<Blob> VerifiedBundle(const std::string& tenant, const View& view, uint64_t index);
  StatusOr<Blob> VerifiedTile(const std::string& tenant, const View& view, int level,
                              uint64_t index);
  Status VerifyRightEdge(const std::string& tenant, const View& view);
  StatusOr<Blob> ReadTileFile(const std::string& tenant, const ledger::TileId& id);

  store::DataFolder& folder_;
  const size_t cache_limit_;
  Mutex mu_;
  std::map<std::string, View> views_ GUARDED_BY(mu_);
  uint64_t refresh_tickets_ GUARDED_BY(mu_) = 0;
  // Verified tiles, least recently used first.
  std::list<std::pair<std::string, Blob>> lru_ GUARDED_BY(mu_);
  std::unordered_map<std::string, std::list<std::pair<std::string, Blob>>::iterator> cache_
      GUARDED_BY(mu_);
  size_t cache_bytes_ GUARDED_BY(mu_) = 0;
};

}  // namespace quartet::server

#include "server/verified_tiles.h"

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

namespace quartet::server {

using ledger::TileId;

Status VerifiedTiles::Refresh(const std::string& tenant) {
  // Refreshes run at once (the publisher, and requests): the one that read the store last wins,
  // whatever order they finish in, so that a slow one never puts back what a later one replaced
  // (say, a view from before the log had a witness).
  uint64_t ticket;
  {
    MutexLock lock(mu_);
    ticket = ++refresh_tickets_;
  }
  ASSIGN_OR_RETURN(auto latest, folder_.logs().LatestCheckpoint(tenant));
  if (!latest.has_value()) return NotFoundError("log '" + tenant + "' has no checkpoint yet");
  ASSIGN_OR_RETURN(ledger::LogConfig config, folder_.logs().GetLog(tenant));
  std::optional<ledger::StoredCheckpoint> cosigned;
  if (!config.witness_key.empty()) {
    ASSIGN_OR_RETURN(cosigned, folder_.logs().LatestCosignedCheckpoint(tenant));
  }
  const uint64_t published_size = cosigned.has_value() ? cosigned->size : latest->size;
  {
    MutexLock lock(mu_);
    auto it = views_.find(tenant);
    if (it != views_.end() && it->second.size == latest->size &&
        it->second.published_size == published_size &&
        it->second.witnessed == !config.witness_key.empty() &&
        (it->second.published != nullptr) == (config.witness_key.empty() || cosigned.has_value())) {
      it->second.ticket = std::max(it->second.ticket, ticket);
      return Status::Ok();
    }
  }
  View view{latest->size, latest->root,   std::make_shared<const std::string>(latest->note),
            nullptr,      published_size, !config.witness_key.empty(),
            ticket};
  if (config.witness_key.empty()) {
    view.published = view.note;
  } else if (cosigned.has_value()) {
    view.published = std::make_shared<const std::string>(cosigned->note);
  }
  RETURN_IF_ERROR(VerifyRightEdge(tenant, view));
  MutexLock lock(mu_);
  auto& current = views_[tenant];
  if (current.note == nullptr || current.ticket < view.ticket) current = std::move(view);
  return Status::Ok();
}

StatusOr<VerifiedTiles::View> VerifiedTiles::CurrentView(const std::string& tenant) {
  {
    MutexLock lock(mu_);
    if (auto it = views_.find(tenant); it != views_.end()) return it->second;
  }
  if (!ledger::IsValidTenant(tenant)) return NotFoundError("no such log");
  RETURN_IF_ERROR(folder_.logs().GetLog(tenant).status());
  RETURN_IF_ERROR(Refresh(tenant));
  MutexLock lock(mu_);
  return views_.at(tenant);
}

StatusOr<ledger::StoredCheckpoint> VerifiedTiles::ServedCheckpoint(const std::string& tenant) {
  ASSIGN_OR_RETURN(View view, CurrentView(tenant));
  return ledger::StoredCheckpoint{view.size, view.root, *view.note};
}

Status VerifiedTiles::VerifyRightEdge(const std::string& tenant, const View& view) {
  ledger::TileNodeReader reader(view.size, [&](const TileId& id) -> StatusOr<std::string> {
    ASSIGN_OR_RETURN(Blob blob, ReadTileFile(tenant, id));
    return std::string(*blob);
  });
  ASSIGN_OR_RETURN(Hash root, ledger::ComputeRoot(reader, view.size));
  if (root != view.root) {
    spdlog::error("log '{}': the tiles on disk do not match checkpoint {}", tenant, view.size);
    return DataLossError("stored tiles of log '" + tenant + "' do not match its checkpoint");
  }
  // Every hash of every partial tile went into that root, so they are verified.
  for (int level = 0; level < 8; ++level) {
    const uint64_t index = (view.size >> (8 * level)) / ledger::kTileWidth;
    const uint32_t width = ledger::TileWidthInTree(level, index, view.size);
    if (width == 0 || width == ledger::kTileWidth) continue;
    ASSIGN_OR_RETURN(const std::vector<Hash>* hashes, reader.Tile(level, index));
    CachePut(CacheKey(tenant, {level, index, width}),
             std::make_shared<const std::string>(ledger::EncodeHashTile(*hashes)));
  }
  return Status::Ok();
}

StatusOr<VerifiedTiles::Blob> VerifiedTiles::ReadTileFile(const std::string& tenant,
                                                          const TileId& id) {
  auto data = folder_.fs().ReadFile(folder_.LogDirectory(tenant) + "/" + id.Path());
  if (!data.ok()) {
    if (data.status().code() == StatusCode::kNotFound) {
      spdlog::error("log '{}': {} is missing from disk", tenant, id.Path());
      return DataLossError("a published tile is missing from disk");
    }
    return data.status();
  }
  return std::make_shared<const std::string>(std::move(*data));
}

StatusOr<VerifiedTiles::Blob> VerifiedTiles::VerifiedTile(const std::string& tenant,
                                                          const View& view, int level,
                                                          uint64_t index) {
  const uint32_t width = ledger::TileWidthInTree(level, index, view.size);
  if (width == 0) return OutOfRangeError("tile beyond the tree");
  const TileId id{level, index, width};
  const std::string key = CacheKey(tenant, id);
  if (Blob cached = CacheGet(key)) return cached;
  if (width < ledger::kTileWidth) {
    // A partial tile of the current tree: verified with the whole right edge.
    RETURN_IF_ERROR(VerifyRightEdge(tenant, view));
    if (Blob cached = CacheGet(key)) return cached;
    return InternalError("right edge verified but tile not cached");
  }
  ASSIGN_OR_RETURN(Blob data, ReadTileFile(tenant, id));
  auto hashes = ledger::DecodeHashTile(*data, width);
  ASSIGN_OR_RETURN(Blob parent, VerifiedTile(tenant, view, level + 1, index / ledger::kTileWidth));
  const size_t offset = (index % ledger::kTileWidth) * sizeof(Hash);
  ledger::MerkleHasher hasher;
  if (!hashes.ok() || parent->size() < offset + sizeof(Hash) ||
      std::memcmp(parent->data() + offset, ledger::SubtreeRoot(hasher, *hashes).data(),
                  sizeof(Hash)) != 0) {
    spdlog::error("log '{}': {} on disk is corrupt", tenant, id.Path());
    return DataLossError("a stored tile is corrupt");
  }
  CachePut(key, data);
  return data;
}

StatusOr<VerifiedTiles::Blob> VerifiedTiles::VerifiedBundle(const std::string& tenant,
                                                            const View& view, uint64_t index) {
  const uint32_t width = ledger::TileWidthInTree(0, index, view.size);
  if (width == 0) return OutOfRangeError("entry bundle beyond the tree");
  const TileId id{ledger::kEntriesLevel, index, width};
  const std::string key = CacheKey(tenant, id);
  if (Blob cached = CacheGet(key)) return cached;
  ASSIGN_OR_RETURN(Blob tile, VerifiedTile(tenant, view, 0, index));
  ASSIGN_OR_RETURN(Blob data, ReadTileFile(tenant, id));
  auto entries = ledger::DecodeEntryBundle(*data, width);
  bool valid = entries.ok();
  ledger::MerkleHasher hasher;
  for (size_t i = 0; valid && i < entries->size(); ++i) {
    valid = std::memcmp(hasher.Leaf(AsBytes((*entries)[i])).data(), tile->data() + i * sizeof(Hash),
                        sizeof(Hash)) == 0;
  }
  if (!valid) {
    spdlog::error("log '{}': {} on disk is corrupt", tenant, id.Path());
    return DataLossError("a stored entry bundle is corrupt");
  }
  CachePut(key, data);
  return data;
}

StatusOr<VerifiedTiles::Blob> VerifiedTiles::ServeTile(const std::string& tenant, const View& view,
                                                       const TileId& id) {
  const int level = id.is_entries() ? 0 : id.level;
  const uint32_t current = ledger::TileWidthInTree(level, id.index, view.size);
  if (current == 0 || id.width > current) return OutOfRangeError("tile beyond the tree");
  const std::string key = CacheKey(tenant, id);
  if (Blob cached = CacheGet(key)) return cached;
  ASSIGN_OR_RETURN(Blob tile, id.is_entries() ? VerifiedBundle(tenant, view, id.index)
                                              : VerifiedTile(tenant, view, level, id.index));
  if (id.width == current) return tile;
  // A narrower partial tile, as published with an earlier checkpoint, is a prefix of the current
  // one: cut it from verified data rather than trust an older file.
  size_t length = size_t{id.width} * sizeof(Hash);
  if (id.is_entries()) {
    length = 0;
    for (uint32_t i = 0; i < id.width; ++i) {
      length += 2 + ((static_cast<uint8_t>((*tile)[length]) << 8) |
                     static_cast<uint8_t>((*tile)[length + 1]));
    }
  }
  Blob prefix = std::make_shared<const std::string>(tile->substr(0, length));
  CachePut(key, prefix);
  return prefix;
}

VerifiedTiles::Blob VerifiedTiles::CacheGet(const std::string& key) {
  MutexLock lock(mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return nullptr;
  lru_.splice(lru_.end(), lru_, it->second);
  return it->second->second;
}

void VerifiedTiles::CachePut(const std::string& key, Blob blob) {
  MutexLock lock(mu_);
  if (auto it = cache_.find(key); it != cache_.end()) return;
  cache_bytes_ += blob->size() + key.size();
  lru_.emplace_back(key, std::move(blob));
  cache_[key] = std::prev(lru_.end());
  while (cache_bytes_ > cache_limit_ && lru_.size() > 1) {
    auto& [old_key, old_blob] = lru_.front();
    cache_bytes_ -= old_blob->size() + old_key.size();
    cache_.erase(old_key);
    lru_.pop_front();
  }
}

void VerifiedTiles::Scrub(const std::function<bool()>& stopping) {
  std::vector<std::string> tenants;
  {
    MutexLock lock(mu_);
    for (const auto& [tenant, view] : views_) tenants.push_back(tenant);
  }
  for (const std::string& tenant : tenants) {
    auto view = CurrentView(tenant);
    if (!view.ok()) continue;
    uint64_t checked = 0, damaged = 0;
    for (uint64_t bundle = 0; bundle * ledger::kTileWidth < view->size && !stopping(); ++bundle) {
      {
        MutexLock lock(mu_);
        // Leave room in the cache for what clients ask for.
        if (cache_bytes_ > cache_limit_ / 4 * 3) break;
      }
      const TileId id{ledger::kEntriesLevel, bundle,
                      ledger::TileWidthInTree(0, bundle, view->size)};
      // Checking a bundle checks its level-0 tile and every tile above it.
      if (ServeTile(tenant, *view, id).ok())
        ++checked;
      else
        ++damaged;
    }
    if (damaged > 0) {
      spdlog::error("log '{}': scrub found {} damaged entry bundles or tiles", tenant, damaged);
    } else {
      spdlog::info("log '{}': scrub checked {} entry bundles and their tiles", tenant, checked);
    }
  }
}

}  // namespace quartet::server

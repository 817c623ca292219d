#include "server/log_service.h"

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "server/gzip.h"

namespace quartet::server {
namespace {

using ledger::TileId;

const char kTileCacheControl[] = "public, max-age=31536000, immutable";
const char kCheckpointCacheControl[] = "public, max-age=2";

HttpResponse Binary(std::shared_ptr<const std::string> body) {
  HttpResponse response;
  response.content_type = "application/octet-stream";
  response.cache_control = kTileCacheControl;
  response.body = std::move(body);
  return response;
}

std::string CacheKey(const std::string& tenant, const TileId& id) {
  return tenant + "/" + id.Path();
}

}  // namespace

LogService::LogService(store::DataFolder& folder, Options options)
    : folder_(folder), options_(options) {}

LogService::~LogService() { StopPublishing(); }

Status LogService::StartPublishing() {
  ASSIGN_OR_RETURN(lock_, folder_.LockIntegration(store::FileLock::Wait::kNo));
  RETURN_IF_ERROR(PublishOnce());
  publisher_ = std::thread([this] { PublishLoop(); });
  scrubber_ = std::thread([this] { Scrub(); });
  return Status::Ok();
}

bool LogService::Stopping() {
  MutexLock lock(stop_mu_);
  return stop_;
}

void LogService::Scrub() {
  std::vector<std::string> tenants;
  {
    MutexLock lock(mu_);
    for (const auto& [tenant, view] : views_) tenants.push_back(tenant);
  }
  for (const std::string& tenant : tenants) {
    auto view = CurrentView(tenant);
    if (!view.ok()) continue;
    uint64_t checked = 0, damaged = 0;
    for (uint64_t bundle = 0; bundle * ledger::kTileWidth < view->size && !Stopping(); ++bundle) {
      {
        MutexLock lock(mu_);
        // Leave room in the cache for what clients ask for.
        if (cache_bytes_ > options_.tile_cache_bytes / 4 * 3) break;
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

void LogService::StopPublishing() {
  {
    MutexLock lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (publisher_.joinable()) publisher_.join();
  if (scrubber_.joinable()) scrubber_.join();
}

void LogService::PublishLoop() {
  for (;;) {
    {
      MutexLock lock(stop_mu_);
      stop_cv_.wait_for(stop_mu_, options_.publish_interval,
                        [this]() REQUIRES(stop_mu_) { return stop_; });
      if (stop_) return;
    }
    Status status = PublishOnce();
    if (!status.ok()) spdlog::error("publishing: {}", status.ToString());
  }
}

Status LogService::PublishOnce() {
  ASSIGN_OR_RETURN(auto logs, folder_.logs().ListLogs());
  Status first_error;
  for (const ledger::LogConfig& config : logs) {
    auto& integrator = integrators_[config.tenant];
    Status status;
    if (integrator == nullptr) {
      auto signer = folder_.LogSigner(config.tenant);
      status = signer.status();
      if (status.ok()) {
        integrator = std::make_unique<ledger::Integrator>(
            folder_.logs(), folder_.fs(), config.tenant, folder_.LogDirectory(config.tenant),
            std::move(*signer));
        status = integrator->Open();
      }
    }
    if (status.ok()) status = integrator->IntegrateOnce().status();
    if (status.ok()) status = Refresh(config.tenant);
    if (!status.ok()) {
      integrator.reset();  // opened afresh, with recovery, next time
      status = status.WithContext("log '" + config.tenant + "'");
      if (first_error.ok()) first_error = status;
    }
  }
  return first_error;
}

Status LogService::Refresh(const std::string& tenant) {
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

StatusOr<LogService::View> LogService::CurrentView(const std::string& tenant) {
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

StatusOr<ledger::StoredCheckpoint> LogService::ServedCheckpoint(const std::string& tenant) {
  ASSIGN_OR_RETURN(View view, CurrentView(tenant));
  return ledger::StoredCheckpoint{view.size, view.root, *view.note};
}

Status LogService::VerifyRightEdge(const std::string& tenant, const View& view) {
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

StatusOr<LogService::Blob> LogService::ReadTileFile(const std::string& tenant, const TileId& id) {
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

StatusOr<LogService::Blob> LogService::VerifiedTile(const std::string& tenant, const View& view,
                                                    int level, uint64_t index) {
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

StatusOr<LogService::Blob> LogService::VerifiedBundle(const std::string& tenant, const View& view,
                                                      uint64_t index) {
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

StatusOr<LogService::Blob> LogService::ServeTile(const std::string& tenant, const View& view,
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

HttpResponse LogService::Handle(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse response = HttpResponse::Text(405, "method not allowed");
    response.headers["Allow"] = "GET, HEAD";
    return response;
  }
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  if (!path.starts_with("/logs/")) return HttpResponse::Text(404, "not found");
  path.remove_prefix(6);
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) return HttpResponse::Text(404, "not found");
  const std::string tenant(path.substr(0, slash));
  const std::string_view rest = path.substr(slash + 1);

  auto view = CurrentView(tenant);
  if (!view.ok()) {
    if (view.status().code() == StatusCode::kNotFound)
      return HttpResponse::Text(404, "no such log");
    return HttpResponse::FromStatus(view.status());
  }
  if (rest == "checkpoint") {
    // A view made before the log had a witness may predate an agent's enrolment committed since:
    // once the client's record names its agent, no checkpoint without its cosignature is served.
    if (!view->witnessed) {
      auto config = folder_.logs().GetLog(tenant);
      if (config.ok() && !config->witness_key.empty()) {
        if (Status refreshed = Refresh(tenant); !refreshed.ok())
          return HttpResponse::FromStatus(refreshed);
        view = CurrentView(tenant);
        if (!view.ok()) return HttpResponse::FromStatus(view.status());
      }
    }
    if (view->published == nullptr)
      return HttpResponse::Text(404, "no checkpoint cosigned by the log's witness yet");
    HttpResponse response;
    response.cache_control = kCheckpointCacheControl;
    response.body = view->published;
    return response;
  }
  auto id = ledger::ParseTilePath(rest);
  if (!id.ok()) return HttpResponse::Text(400, id.status().message());
  auto tile = ServeTile(tenant, *view, *id);
  if (!tile.ok()) {
    if (tile.status().code() == StatusCode::kOutOfRange)
      return HttpResponse::Text(404, "tile beyond the tree");
    return HttpResponse::FromStatus(tile.status());
  }
  if (!id->is_entries() || !AcceptsGzip(request.Header("accept-encoding"))) return Binary(*tile);
  // Entry bundles are compressed for clients that accept it, as tlog-tiles recommends.
  const std::string gzip_key = CacheKey(tenant, *id) + ".gz";
  Blob compressed = CacheGet(gzip_key);
  if (compressed == nullptr) {
    auto gzipped = Gzip(**tile);
    if (!gzipped.ok()) return Binary(*tile);
    compressed = std::make_shared<const std::string>(std::move(*gzipped));
    CachePut(gzip_key, compressed);
  }
  HttpResponse response = Binary(compressed);
  response.headers["Content-Encoding"] = "gzip";
  response.headers["Vary"] = "Accept-Encoding";
  return response;
}

LogService::Blob LogService::CacheGet(const std::string& key) {
  MutexLock lock(mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return nullptr;
  lru_.splice(lru_.end(), lru_, it->second);
  return it->second->second;
}

void LogService::CachePut(const std::string& key, Blob blob) {
  MutexLock lock(mu_);
  if (auto it = cache_.find(key); it != cache_.end()) return;
  cache_bytes_ += blob->size() + key.size();
  lru_.emplace_back(key, std::move(blob));
  cache_[key] = std::prev(lru_.end());
  while (cache_bytes_ > options_.tile_cache_bytes && lru_.size() > 1) {
    auto& [old_key, old_blob] = lru_.front();
    cache_bytes_ -= old_blob->size() + old_key.size();
    cache_.erase(old_key);
    lru_.pop_front();
  }
}

}  // namespace quartet::server

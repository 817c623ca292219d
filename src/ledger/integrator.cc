#include "ledger/integrator.h"

#include <set>
#include <thread>

namespace quartet::ledger {
namespace {

constexpr uint64_t kReadChunk = 65536;

uint64_t TileIndexAtLevel(uint64_t size, int level) {
  return (size >> (kTileHeight * level)) / kTileWidth;
}

}  // namespace

Checkpoint MakeCheckpoint(const std::string& origin, uint64_t size, const Hash& root) {
  Checkpoint checkpoint;
  checkpoint.origin = origin;
  checkpoint.size = size;
  checkpoint.root = root;
  return checkpoint;
}

Integrator::Integrator(LogStore& store, FileSystem& fs, std::string tenant, std::string directory,
                       NoteSigner signer)
    : store_(store),
      fs_(fs),
      tenant_(std::move(tenant)),
      directory_(std::move(directory)),
      signer_(std::move(signer)) {}

Status Integrator::Open() {
  ASSIGN_OR_RETURN(LogConfig config, store_.GetLog(tenant_));
  if (config.verifier_key != signer_.VerifierKeyString()) {
    return FailedPreconditionError("the signing key of log '" + tenant_ +
                                   "' does not match its registered verifier key");
  }
  origin_ = config.origin;
  RETURN_IF_ERROR(fs_.CreateDirectories(directory_));
  ASSIGN_OR_RETURN(std::optional<StoredCheckpoint> latest, store_.LatestCheckpoint(tenant_));
  if (!latest.has_value()) {
    range_ = CompactRange();
    partial_tiles_.clear();
    partial_bundle_.clear();
    partial_bundle_count_ = 0;
    // An empty log still publishes a checkpoint, so clients can start from size 0.
    return IntegrateOnce(0).status();
  }
  Status loaded = LoadFromTiles(*latest);
  if (!loaded.ok()) {
    RETURN_IF_ERROR(RebuildFromEntries(latest->size));
    if (range_.Root(hasher_) != latest->root) {
      return DataLossError("log '" + tenant_ +
                           "': entries do not hash to the published checkpoint");
    }
  }
  return Publish(*latest);
}

Status Integrator::LoadFromTiles(const StoredCheckpoint& checkpoint) {
  const uint64_t size = checkpoint.size;
  TileNodeReader reader(size, [this](const TileId& id) { return fs_.ReadFile(TilePath(id)); });
  ASSIGN_OR_RETURN(range_, CompactRange::FromReader(reader, size));
  if (range_.Root(hasher_) != checkpoint.root) {
    return DataLossError("published tiles do not match the latest checkpoint");
  }
  partial_tiles_.clear();
  for (int level = 0; level < 8 && (size >> (kTileHeight * level)) > 0; ++level) {
    partial_tiles_.emplace_back();
    const uint64_t index = TileIndexAtLevel(size, level);
    if (TileWidthInTree(level, index, size) == kTileWidth ||
        TileWidthInTree(level, index, size) == 0) {
      continue;
    }
    ASSIGN_OR_RETURN(const std::vector<Hash>* tile, reader.Tile(level, index));
    partial_tiles_.back() = *tile;
  }
  partial_bundle_.clear();
  partial_bundle_count_ = static_cast<uint32_t>(size % kTileWidth);
  if (partial_bundle_count_ > 0) {
    const TileId id{kEntriesLevel, size / kTileWidth, partial_bundle_count_};
    ASSIGN_OR_RETURN(partial_bundle_, fs_.ReadFile(TilePath(id)));
    ASSIGN_OR_RETURN(auto entries, DecodeEntryBundle(partial_bundle_, partial_bundle_count_));
    for (size_t i = 0; i < entries.size(); ++i) {
      if (hasher_.Leaf(AsBytes(entries[i])) != partial_tiles_[0][i]) {
        return DataLossError("published entry bundle does not match its tile");
      }
    }
  }
  return Status::Ok();
}

Status Integrator::RebuildFromEntries(uint64_t size) {
  range_ = CompactRange();
  partial_tiles_.clear();
  partial_bundle_.clear();
  partial_bundle_count_ = 0;
  return WriteTilesUpTo(size);
}

Status Integrator::WriteTilesUpTo(uint64_t end) {
  std::vector<std::string> entries;
  for (uint64_t begin = range_.size(); begin < end; begin += kReadChunk) {
    entries.clear();
    RETURN_IF_ERROR(store_.ReadEntries(tenant_, begin, std::min(end, begin + kReadChunk), entries));
    std::vector<PendingFile> pending;
    for (const std::string& entry : entries) AddEntry(entry, pending);
    RETURN_IF_ERROR(WriteFiles(pending));
  }
  std::vector<PendingFile> pending;
  AddPartialTiles(pending);
  return WriteFiles(pending);
}

void Integrator::AddEntry(const std::string& entry, std::vector<PendingFile>& pending) {
  const Hash leaf = hasher_.Leaf(AsBytes(entry));
  range_.Append(hasher_, leaf, [&](int level, uint64_t index, const Hash& hash) {
    if (level % kTileHeight != 0) return;
    const int tile_level = level / kTileHeight;
    if (partial_tiles_.size() <= static_cast<size_t>(tile_level))
      partial_tiles_.resize(tile_level + 1);
    std::vector<Hash>& tile = partial_tiles_[tile_level];
    tile.push_back(hash);
    if (tile.size() == kTileWidth) {
      pending.push_back(
          {TilePath({tile_level, index / kTileWidth, kTileWidth}), EncodeHashTile(tile)});
      tile.clear();
    }
  });
  AppendToEntryBundle(partial_bundle_, entry);
  if (++partial_bundle_count_ == kTileWidth) {
    const TileId id{kEntriesLevel, (range_.size() - 1) / kTileWidth, kTileWidth};
    pending.push_back({TilePath(id), std::move(partial_bundle_)});
    partial_bundle_.clear();
    partial_bundle_count_ = 0;
  }
}

void Integrator::AddPartialTiles(std::vector<PendingFile>& pending) const {
  const uint64_t size = range_.size();
  for (size_t level = 0; level < partial_tiles_.size(); ++level) {
    const std::vector<Hash>& tile = partial_tiles_[level];
    if (tile.empty()) continue;
    const int tile_level = static_cast<int>(level);
    const TileId id{tile_level, TileIndexAtLevel(size, tile_level),
                    static_cast<uint32_t>(tile.size())};
    pending.push_back({TilePath(id), EncodeHashTile(tile)});
  }
  if (partial_bundle_count_ > 0) {
    const TileId id{kEntriesLevel, size / kTileWidth, partial_bundle_count_};
    pending.push_back({TilePath(id), partial_bundle_});
  }
}

Status Integrator::WriteFiles(const std::vector<PendingFile>& pending) {
  if (pending.empty()) return Status::Ok();
  std::set<std::string> directories;
  for (const PendingFile& file : pending) {
    const std::string parent = ParentDirectory(file.path);
    if (directories.insert(parent).second) RETURN_IF_ERROR(fs_.CreateDirectories(parent));
  }
  // Creating files is mostly kernel time (inode allocation): two threads halve it on two cores.
  auto write_range = [&](size_t begin, size_t end) -> Status {
    for (size_t i = begin; i < end; ++i) {
      ASSIGN_OR_RETURN(auto out, fs_.NewWritableFile(pending[i].path + ".tmp"));
      RETURN_IF_ERROR(out->Append(pending[i].contents));
      RETURN_IF_ERROR(out->Close());
    }
    return Status::Ok();
  };
  const size_t half = pending.size() > 64 ? pending.size() / 2 : pending.size();
  Status second_half;
  std::thread helper;
  if (half < pending.size())
    helper = std::thread([&] { second_half = write_range(half, pending.size()); });
  Status first_half = write_range(0, half);
  if (helper.joinable()) helper.join();
  RETURN_IF_ERROR(first_half);
  RETURN_IF_ERROR(second_half);
  RETURN_IF_ERROR(fs_.SyncFileSystem(directory_));
  for (const PendingFile& file : pending) {
    RETURN_IF_ERROR(fs_.Rename(file.path + ".tmp", file.path));
  }
  return fs_.SyncFileSystem(directory_);
}

StatusOr<uint64_t> Integrator::IntegrateOnce(uint64_t max_entries) {
  ASSIGN_OR_RETURN(uint64_t durable, store_.EntryCount(tenant_));
  const uint64_t start = range_.size();
  if (durable < start) {
    return DataLossError("log '" + tenant_ + "' holds fewer entries than it published");
  }
  const uint64_t end = start + std::min(durable - start, max_entries);
  ASSIGN_OR_RETURN(std::optional<StoredCheckpoint> latest, store_.LatestCheckpoint(tenant_));
  if (end == start && latest.has_value()) return start;

  RETURN_IF_ERROR(WriteTilesUpTo(end));

  StoredCheckpoint checkpoint;
  checkpoint.size = end;
  checkpoint.root = range_.Root(hasher_);
  const std::string text = MakeCheckpoint(origin_, end, checkpoint.root).Text();
  checkpoint.note = text + "\n" + signer_.SignatureLine(text);
  RETURN_IF_ERROR(store_.AddCheckpoint(tenant_, checkpoint));
  RETURN_IF_ERROR(Publish(checkpoint));
  return end;
}

Status Integrator::Publish(const StoredCheckpoint& checkpoint) {
  const std::string path = directory_ + "/checkpoint";
  auto current = fs_.ReadFile(path);
  if (current.ok() && *current == checkpoint.note) return Status::Ok();
  return WriteFileAtomically(fs_, path, checkpoint.note);
}

}  // namespace quartet::ledger

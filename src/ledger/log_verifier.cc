#include "ledger/log_verifier.h"

#include <cstring>

namespace quartet::ledger {
namespace {

StatusOr<Checkpoint> OpenCheckpoint(std::string_view note, const NoteVerifier& key,
                                    std::span<const NoteVerifier> witnesses = {}) {
  std::vector<NoteVerifier> keys = {key};
  keys.insert(keys.end(), witnesses.begin(), witnesses.end());
  std::vector<VerifiedSignature> verified;
  auto opened = OpenNote(note, keys, &verified);
  if (!opened.ok())
    return InvalidArgumentError("checkpoint signature: " + opened.status().message());
  auto signed_by = [&](const NoteVerifier& verifier) {
    for (const VerifiedSignature& signature : verified) {
      if (signature.name == verifier.name() && signature.key_id == verifier.key_id()) return true;
    }
    return false;
  };
  if (!signed_by(key)) return InvalidArgumentError("checkpoint signature: the log did not sign it");
  for (const NoteVerifier& witness : witnesses) {
    if (!signed_by(witness))
      return InvalidArgumentError("the checkpoint lacks the cosignature of witness " +
                                  witness.name());
  }
  auto checkpoint = Checkpoint::Parse(opened->text);
  if (!checkpoint.ok()) return InvalidArgumentError("checkpoint: " + checkpoint.status().message());
  if (checkpoint->origin != key.name()) {
    return InvalidArgumentError("checkpoint origin '" + checkpoint->origin +
                                "' is not the key's name '" + key.name() + "'");
  }
  return checkpoint;
}

// Compares every node at a tile level, as it completes, with the published tiles.
class TileChecker {
 public:
  TileChecker(uint64_t size, const TileFetcher& fetch) : size_(size), fetch_(fetch) {}

  Status Check(int tile_level, uint64_t node_index, const Hash& hash) {
    const uint64_t tile_index = node_index / kTileWidth;
    if (tiles_.size() <= static_cast<size_t>(tile_level)) tiles_.resize(tile_level + 1);
    Current& current = tiles_[tile_level];
    if (!current.loaded || current.index != tile_index) {
      const uint32_t width = TileWidthInTree(tile_level, tile_index, size_);
      const TileId id{tile_level, tile_index, width};
      auto data = fetch_(id);
      if (!data.ok()) return data.status().WithContext("fetching " + id.Path());
      auto hashes = DecodeHashTile(*data, width);
      if (!hashes.ok()) return DataLossError(id.Path() + ": " + hashes.status().message());
      current = {true, tile_index, std::move(*hashes)};
    }
    if (current.hashes[node_index % kTileWidth] != hash) {
      return DataLossError(
          "tile " +
          TileId{tile_level, tile_index, static_cast<uint32_t>(current.hashes.size())}.Path() +
          " does not match the entries (hash " + std::to_string(node_index % kTileWidth) + ")");
    }
    return Status::Ok();
  }

 private:
  struct Current {
    bool loaded = false;
    uint64_t index = 0;
    std::vector<Hash> hashes;
  };
  uint64_t size_;
  const TileFetcher& fetch_;
  std::vector<Current> tiles_;
};

}  // namespace

StatusOr<VerifiedLog> VerifyLog(const std::function<StatusOr<std::string>()>& fetch_checkpoint,
                                const TileFetcher& fetch_tile, const VerifyLogOptions& options) {
  ASSIGN_OR_RETURN(std::string note, fetch_checkpoint());
  ASSIGN_OR_RETURN(Checkpoint checkpoint, OpenCheckpoint(note, options.log_key, options.witnesses));
  std::optional<Checkpoint> previous;
  if (options.previous_note.has_value()) {
    auto opened = OpenCheckpoint(*options.previous_note, options.log_key);
    if (!opened.ok()) return opened.status().WithContext("the remembered checkpoint");
    previous = std::move(*opened);
    if (previous->size > checkpoint.size) {
      return FailedPreconditionError("rollback: the log now has " +
                                     std::to_string(checkpoint.size) + " entries but had " +
                                     std::to_string(previous->size) + " when last verified");
    }
  }

  const uint64_t size = checkpoint.size;
  TileChecker tiles(size, fetch_tile);
  MerkleHasher hasher;
  CompactRange range;
  Status node_status;
  auto check_node = [&](int level, uint64_t index, const Hash& hash) {
    if (level % kTileHeight == 0 && node_status.ok()) {
      node_status = tiles.Check(level / kTileHeight, index, hash);
    }
  };
  auto check_previous = [&]() -> Status {
    if (previous.has_value() && previous->size == range.size() &&
        range.Root(hasher) != previous->root) {
      return FailedPreconditionError("history rewritten: the first " +
                                     std::to_string(previous->size) +
                                     " entries no longer match the checkpoint verified before");
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(check_previous());
  for (uint64_t bundle = 0; bundle * kTileWidth < size; ++bundle) {
    const TileId id{kEntriesLevel, bundle, TileWidthInTree(kEntriesLevel, bundle, size)};
    auto data = fetch_tile(id);
    if (!data.ok()) return data.status().WithContext("fetching " + id.Path());
    auto entries = DecodeEntryBundle(*data, id.width);
    if (!entries.ok()) return DataLossError(id.Path() + ": " + entries.status().message());
    for (std::string_view entry : *entries) {
      range.Append(hasher, hasher.Leaf(AsBytes(entry)), check_node);
      RETURN_IF_ERROR(node_status);
      RETURN_IF_ERROR(check_previous());
    }
    if (options.progress && (bundle % 64 == 63 || (bundle + 1) * kTileWidth >= size)) {
      options.progress(range.size(), size);
    }
  }
  if (range.Root(hasher) != checkpoint.root) {
    return DataLossError("the entries do not hash to the checkpoint's root");
  }
  return VerifiedLog{std::move(checkpoint), std::move(note)};
}

}  // namespace quartet::ledger

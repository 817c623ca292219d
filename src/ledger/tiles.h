// C2SP tlog-tiles (https://c2sp.org/tlog-tiles): tile and entry-bundle addressing, encoding, and a
// NodeReader that answers Merkle node hashes from tiles.
//
// A hash tile (level L, index N) holds up to 256 hashes: the nodes at Merkle level 8L with indexes
// [256 N, 256 N + 256). A full tile has 256 hashes (8,192 bytes); the rightmost tile of a level in a
// tree of size s is partial, with floor(s / 256^L) mod 256 hashes, and is never hashed into the level
// above. An entry bundle N holds entries [256 N, 256 N + 256), each prefixed by its length as a
// big-endian uint16.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/sha256.h"
#include "base/status.h"
#include "ledger/merkle.h"

namespace quartet::ledger {

inline constexpr int kTileHeight = 8;
inline constexpr uint64_t kTileWidth = 256;
inline constexpr size_t kMaxEntrySize = 65535;  // the uint16 length prefix
inline constexpr int kEntriesLevel = -1;        // TileId::level of an entry bundle

struct TileId {
  int level = 0;         // 0..63 for hash tiles, kEntriesLevel for entry bundles
  uint64_t index = 0;    // N
  uint32_t width = 256;  // 1..256; 256 is a full tile

  bool is_entries() const { return level == kEntriesLevel; }
  bool is_partial() const { return width < kTileWidth; }
  // "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]", relative to the log's prefix.
  std::string Path() const;
  friend bool operator==(const TileId&, const TileId&) = default;
};

// Encodes N as 3-digit path elements, all but the last prefixed with 'x': 1234067 -> x001/x234/067.
std::string EncodeTileIndex(uint64_t index);

// Parses a path relative to the log prefix ("tile/0/x001/234.p/7"). Refuses anything not in the
// spec's exact form: leading zeros in L or W, W outside 1..255, L above 63, missing 'x' prefixes.
StatusOr<TileId> ParseTilePath(std::string_view path);

// The width of tile (level, index) in a tree of `size` leaves: 256 if full, the partial width if it
// is the rightmost partial tile, 0 if the tile does not exist in that tree. Level kEntriesLevel
// behaves as level 0.
uint32_t TileWidthInTree(int level, uint64_t index, uint64_t size);

// The tiles (full and partial) that a tree of `size` leaves is made of, level by level.
std::vector<TileId> TilesForTree(uint64_t size);

// Splits a hash tile's bytes into hashes. DataLoss unless the length is exactly width * 32.
StatusOr<std::vector<Hash>> DecodeHashTile(std::string_view data, uint32_t width);
std::string EncodeHashTile(const std::vector<Hash>& hashes);

// The layer above `below` in a tile: the hash of each pair, in order (an odd last node waits for its
// sibling in the next tile and has no parent yet).
std::vector<Hash> ParentLayer(MerkleHasher& hasher, const std::vector<Hash>& below);
// The node a full (or power-of-two wide) run of hashes stands for: its layers hashed up to one.
// Precondition: `hashes` is not empty.
Hash SubtreeRoot(MerkleHasher& hasher, std::vector<Hash> hashes);

// Splits an entry bundle into `width` entries. DataLoss on a truncated or over-long bundle.
StatusOr<std::vector<std::string_view>> DecodeEntryBundle(std::string_view data, uint32_t width);
// Appends one length-prefixed entry. Precondition: entry.size() <= kMaxEntrySize.
void AppendToEntryBundle(std::string& bundle, std::string_view entry);

// Fetches the bytes of a tile (for instance from files or over HTTP).
using TileFetcher = std::function<StatusOr<std::string>(const TileId&)>;

// Answers node hashes of a tree of a fixed size from its hash tiles, fetching each tile at most once
// and keeping it with the seven levels of nodes between it and the tile level above, computed once
// (255 hashes for a full tile), so that later reads are lookups. Not thread-safe.
class TileNodeReader final : public NodeReader {
 public:
  TileNodeReader(uint64_t tree_size, TileFetcher fetch)
      : size_(tree_size), fetch_(std::move(fetch)) {}
  StatusOr<Hash> ReadNode(int level, uint64_t index) override;

  // The hashes of a tile, fetched and cached.
  StatusOr<const std::vector<Hash>*> Tile(int tile_level, uint64_t tile_index);

 private:
  struct Key {
    int level;
    uint64_t index;
    auto operator<=>(const Key&) const = default;
  };
  uint64_t size_;
  TileFetcher fetch_;
  MerkleHasher hasher_;
  // Per tile: layer 0 is the tile's hashes, layer h the nodes h levels above them.
  std::map<Key, std::vector<std::vector<Hash>>> tiles_;
};

}  // namespace quartet::ledger

#include "ledger/tiles.h"

#include <cctype>
#include <cstdio>
#include <cstring>

namespace quartet::ledger {
namespace {

uint64_t PowerOf256(int level) { return uint64_t{1} << (kTileHeight * level); }

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool IsThreeDigits(std::string_view s) {
  return s.size() == 3 && std::isdigit(static_cast<unsigned char>(s[0])) &&
         std::isdigit(static_cast<unsigned char>(s[1])) &&
         std::isdigit(static_cast<unsigned char>(s[2]));
}

}  // namespace

std::string EncodeTileIndex(uint64_t index) {
  std::vector<std::string> groups;
  do {
    char buffer[4];
    std::snprintf(buffer, sizeof buffer, "%03u", static_cast<unsigned>(index % 1000));
    groups.emplace_back(buffer);
    index /= 1000;
  } while (index > 0);
  std::string out;
  for (size_t i = groups.size(); i-- > 0;) {
    if (i > 0) {
      out += 'x';
      out += groups[i];
      out += '/';
    } else {
      out += groups[i];
    }
  }
  return out;
}

std::string TileId::Path() const {
  std::string out = "tile/";
  out += is_entries() ? "entries" : std::to_string(level);
  out += '/';
  out += EncodeTileIndex(index);
  if (is_partial()) {
    out += ".p/";
    out += std::to_string(width);
  }
  return out;
}

StatusOr<TileId> ParseTilePath(std::string_view path) {
  auto parts = SplitPath(path);
  if (parts.size() < 3 || parts[0] != "tile") return InvalidArgumentError("not a tile path");
  TileId id;
  if (parts[1] == "entries") {
    id.level = kEntriesLevel;
  } else {
    auto level = ParseDecimal(parts[1]);
    if (!level.ok() || *level > 63) return InvalidArgumentError("bad tile level");
    id.level = static_cast<int>(*level);
  }
  // The index elements: x### ... ### with an optional ".p" on the last, then the width.
  size_t end = parts.size();
  if (parts.size() >= 4 && parts[end - 2].ends_with(".p")) {
    auto width = ParseDecimal(parts[end - 1]);
    if (!width.ok() || *width < 1 || *width > 255) return InvalidArgumentError("bad tile width");
    id.width = static_cast<uint32_t>(*width);
    parts[end - 2].remove_suffix(2);
    end -= 1;
  }
  if (end - 2 > 7) return InvalidArgumentError("tile index too long");  // > 2^64
  // One spelling per tile: a leading x000 would name the same tile as the path without it.
  if (end - 2 > 1 && parts[2] == "x000") return InvalidArgumentError("tile index not canonical");
  uint64_t index = 0;
  for (size_t i = 2; i < end; ++i) {
    std::string_view element = parts[i];
    const bool last = i + 1 == end;
    if (!last) {
      if (element.empty() || element[0] != 'x') return InvalidArgumentError("bad tile index");
      element.remove_prefix(1);
    }
    if (!IsThreeDigits(element)) return InvalidArgumentError("bad tile index");
    const uint64_t group = static_cast<uint64_t>(std::stoul(std::string(element)));
    if (index > (UINT64_MAX - group) / 1000) return InvalidArgumentError("tile index out of range");
    index = index * 1000 + group;
  }
  id.index = index;
  return id;
}

uint32_t TileWidthInTree(int level, uint64_t index, uint64_t size) {
  if (level == kEntriesLevel) level = 0;
  if (level < 0 || level > 63) return 0;
  if (kTileHeight * level >= 64) return 0;
  const uint64_t nodes = size / PowerOf256(level);  // complete nodes at this level
  const uint64_t full_tiles = nodes / kTileWidth;
  if (index < full_tiles) return kTileWidth;
  if (index == full_tiles) return static_cast<uint32_t>(nodes % kTileWidth);
  return 0;
}

std::vector<TileId> TilesForTree(uint64_t size) {
  std::vector<TileId> tiles;
  for (int level = 0; level <= 7 && size / PowerOf256(level) > 0; ++level) {
    const uint64_t nodes = size / PowerOf256(level);
    for (uint64_t index = 0; index * kTileWidth < nodes; ++index) {
      tiles.push_back({level, index, TileWidthInTree(level, index, size)});
    }
  }
  return tiles;
}

StatusOr<std::vector<Hash>> DecodeHashTile(std::string_view data, uint32_t width) {
  if (data.size() != size_t{width} * sizeof(Hash)) {
    return DataLossError("hash tile has " + std::to_string(data.size()) + " bytes, expected " +
                         std::to_string(size_t{width} * sizeof(Hash)));
  }
  std::vector<Hash> hashes(width);
  std::memcpy(hashes.data(), data.data(), data.size());
  return hashes;
}

std::string EncodeHashTile(const std::vector<Hash>& hashes) {
  std::string out(hashes.size() * sizeof(Hash), '\0');
  std::memcpy(out.data(), hashes.data(), out.size());
  return out;
}

StatusOr<std::vector<std::string_view>> DecodeEntryBundle(std::string_view data, uint32_t width) {
  std::vector<std::string_view> entries;
  entries.reserve(width);
  size_t offset = 0;
  while (offset < data.size()) {
    if (data.size() - offset < 2) return DataLossError("entry bundle truncated in a length prefix");
    const size_t length = ReadBigEndian16(AsBytes(data).data() + offset);
    offset += 2;
    if (data.size() - offset < length) return DataLossError("entry bundle truncated in an entry");
    entries.push_back(data.substr(offset, length));
    offset += length;
  }
  if (entries.size() != width) {
    return DataLossError("entry bundle has " + std::to_string(entries.size()) +
                         " entries, expected " + std::to_string(width));
  }
  return entries;
}

std::vector<Hash> ParentLayer(MerkleHasher& hasher, const std::vector<Hash>& below) {
  std::vector<Hash> layer(below.size() / 2);
  for (size_t i = 0; i < layer.size(); ++i)
    layer[i] = hasher.Children(below[2 * i], below[2 * i + 1]);
  return layer;
}

Hash SubtreeRoot(MerkleHasher& hasher, std::vector<Hash> hashes) {
  while (hashes.size() > 1) hashes = ParentLayer(hasher, hashes);
  return hashes[0];
}

void AppendToEntryBundle(std::string& bundle, std::string_view entry) {
  AppendBigEndian16(bundle, static_cast<uint16_t>(entry.size()));
  bundle.append(entry);
}

StatusOr<const std::vector<Hash>*> TileNodeReader::Tile(int tile_level, uint64_t tile_index) {
  const Key key{tile_level, tile_index};
  if (auto it = tiles_.find(key); it != tiles_.end()) return &it->second[0];
  const uint32_t width = TileWidthInTree(tile_level, tile_index, size_);
  if (width == 0) return OutOfRangeError("tile beyond the tree");
  const TileId id{tile_level, tile_index, width};
  ASSIGN_OR_RETURN(std::string data, fetch_(id));
  ASSIGN_OR_RETURN(auto hashes, DecodeHashTile(data, width));
  std::vector<std::vector<Hash>> layers;
  layers.push_back(std::move(hashes));
  for (int height = 1; height < kTileHeight && layers.back().size() >= 2; ++height) {
    layers.push_back(ParentLayer(hasher_, layers.back()));
  }
  return &tiles_.emplace(key, std::move(layers)).first->second[0];
}

StatusOr<Hash> TileNodeReader::ReadNode(int level, uint64_t index) {
  const int tile_level = level / kTileHeight;
  const int height = level % kTileHeight;
  const uint64_t tile_index = (index << height) / kTileWidth;
  RETURN_IF_ERROR(Tile(tile_level, tile_index).status());
  const auto& layers = tiles_.at({tile_level, tile_index});
  const uint64_t offset = index % (kTileWidth >> height);
  if (static_cast<size_t>(height) >= layers.size() || offset >= layers[height].size()) {
    return OutOfRangeError("node beyond the tree");
  }
  return layers[height][offset];
}

}  // namespace quartet::ledger

#include "ledger/tiles.h"

#include <map>

#include <gtest/gtest.h>

namespace quartet::ledger {
namespace {

TEST(TilesTest, IndexEncodingFollowsTheSpecExample) {
  EXPECT_EQ(EncodeTileIndex(1234067), "x001/x234/067");
  EXPECT_EQ(EncodeTileIndex(0), "000");
  EXPECT_EQ(EncodeTileIndex(999), "999");
  EXPECT_EQ(EncodeTileIndex(1000), "x001/000");
  EXPECT_EQ((TileId{0, 1234067, 256}).Path(), "tile/0/x001/x234/067");
  EXPECT_EQ((TileId{2, 5, 17}).Path(), "tile/2/005.p/17");
  EXPECT_EQ((TileId{kEntriesLevel, 7, 3}).Path(), "tile/entries/007.p/3");
}

TEST(TilesTest, ParsesExactlyTheSpecForm) {
  auto id = ParseTilePath("tile/0/x001/x234/067.p/8");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, (TileId{0, 1234067, 8}));
  EXPECT_EQ(*ParseTilePath("tile/entries/000"), (TileId{kEntriesLevel, 0, 256}));
  EXPECT_EQ(*ParseTilePath("tile/63/000"), (TileId{63, 0, 256}));
  for (const char* bad :
       {"tile/0/1",         "tile/0/0001",          "tile/00/000",
        "tile/64/000",      "tile/0/001/002",       "tile/0/x001",
        "tile/0/000.p/0",   "tile/0/000.p/256",     "tile/0/000.p/08",
        "tile/0/000.p/",    "tile/0/000.p",         "tile/-1/000",
        "tile/entries/abc", "tiles/0/000",          "tile/0/x1/000",
        "tile/0//000",      "tile/0/000/",          "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        "tile/3/x000/000",  "tile/0/x000/x001/234", "tile/entries/x000/001.p/5"}) {
    EXPECT_FALSE(ParseTilePath(bad).ok()) << bad;
  }
}

TEST(TilesTest, WidthsFollowTheSpecExamples) {
  // A tree of 70,000: 273 full level-0 tiles and one of 112, one full level-1 tile and one of 17,
  // and one level-2 tile of 1.
  EXPECT_EQ(TileWidthInTree(0, 272, 70000), 256u);
  EXPECT_EQ(TileWidthInTree(0, 273, 70000), 112u);
  EXPECT_EQ(TileWidthInTree(0, 274, 70000), 0u);
  EXPECT_EQ(TileWidthInTree(1, 0, 70000), 256u);
  EXPECT_EQ(TileWidthInTree(1, 1, 70000), 17u);
  EXPECT_EQ(TileWidthInTree(2, 0, 70000), 1u);
  EXPECT_EQ(TileWidthInTree(3, 0, 70000), 0u);
  auto tiles = TilesForTree(70000);
  EXPECT_EQ(tiles.size(), 274u + 2u + 1u);
  // A tree of 256: one full level-0 tile and a level-1 tile of width 1.
  EXPECT_EQ(TileWidthInTree(0, 0, 256), 256u);
  EXPECT_EQ(TileWidthInTree(0, 1, 256), 0u);
  EXPECT_EQ(TileWidthInTree(1, 0, 256), 1u);
  EXPECT_TRUE(TilesForTree(0).empty());
}

TEST(TilesTest, EntryBundlesRoundTripAndRefuseDamage) {
  std::string bundle;
  AppendToEntryBundle(bundle, "{\"a\":1}");
  AppendToEntryBundle(bundle, "");
  AppendToEntryBundle(bundle, std::string(300, 'x'));
  auto entries = DecodeEntryBundle(bundle, 3);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ((*entries)[0], "{\"a\":1}");
  EXPECT_EQ((*entries)[1], "");
  EXPECT_EQ((*entries)[2].size(), 300u);
  EXPECT_EQ(bundle.substr(0, 2), std::string("\x00\x07", 2));
  EXPECT_EQ(DecodeEntryBundle(bundle, 2).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEntryBundle(bundle.substr(0, bundle.size() - 1), 3).status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEntryBundle(bundle + "\x01", 3).status().code(), StatusCode::kDataLoss);
}

TEST(TilesTest, HashTilesNeedExactLength) {
  std::vector<Hash> hashes(3);
  hashes[1][0] = 7;
  std::string data = EncodeHashTile(hashes);
  EXPECT_EQ(data.size(), 96u);
  EXPECT_EQ(*DecodeHashTile(data, 3), hashes);
  EXPECT_FALSE(DecodeHashTile(data, 4).ok());
  EXPECT_FALSE(DecodeHashTile(data.substr(1), 3).ok());
}

TEST(TilesTest, NodeReaderComputesNodesBetweenTileLevels) {
  // 600 leaves: level-0 tiles 0 and 1 full, tile 2 of 88; level-1 tile 0 of 2.
  MerkleHasher hasher;
  CompactRange range;
  std::map<std::pair<int, uint64_t>, Hash> nodes;
  for (int i = 0; i < 600; ++i) {
    range.Append(hasher, hasher.Leaf(AsBytes(std::to_string(i))),
                 [&](int level, uint64_t index, const Hash& h) {
                   nodes[{level, index}] = h;
                 });
  }
  auto fetch = [&](const TileId& id) -> StatusOr<std::string> {
    std::vector<Hash> tile;
    for (uint32_t i = 0; i < id.width; ++i)
      tile.push_back(nodes.at({8 * id.level, id.index * 256 + i}));
    return EncodeHashTile(tile);
  };
  TileNodeReader reader(600, fetch);
  for (const auto& [key, hash] : nodes) {
    auto read = reader.ReadNode(key.first, key.second);
    ASSERT_TRUE(read.ok()) << key.first << "/" << key.second;
    EXPECT_EQ(*read, hash);
  }
  EXPECT_EQ(*ComputeRoot(reader, 600), range.Root(hasher));
}

}  // namespace
}  // namespace quartet::ledger

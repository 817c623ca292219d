// Inclusion proofs built from C2SP tiles, as `quartet log proof` and the server build them, for a
// log of 1,000,000 entries: with the tiles already read (warm) and from scratch (cold).
//
//   build/default/bench/proof_benchmark
#include <map>

#include <benchmark/benchmark.h>

#include "ledger/merkle.h"
#include "ledger/tiles.h"

namespace quartet::ledger {
namespace {

constexpr uint64_t kSize = 1000000;

// The tiles of a tree of kSize leaves, encoded as served.
const std::map<std::string, std::string>& Tiles() {
  static const std::map<std::string, std::string> tiles = [] {
    std::map<std::pair<int, uint64_t>, Hash> nodes;
    MerkleHasher hasher;
    CompactRange range;
    for (uint64_t i = 0; i < kSize; ++i) {
      range.Append(hasher, hasher.Leaf(AsBytes(std::to_string(i))),
                   [&](int level, uint64_t index, const Hash& h) {
                     if (level % kTileHeight == 0) nodes[{level / kTileHeight, index}] = h;
                   });
    }
    std::map<std::string, std::string> out;
    for (const TileId& id : TilesForTree(kSize)) {
      std::vector<Hash> hashes;
      for (uint32_t i = 0; i < id.width; ++i)
        hashes.push_back(nodes.at({id.level, id.index * kTileWidth + i}));
      out[id.Path()] = EncodeHashTile(hashes);
    }
    return out;
  }();
  return tiles;
}

TileFetcher MemoryFetcher() {
  return [](const TileId& id) -> StatusOr<std::string> { return Tiles().at(id.Path()); };
}

void BM_InclusionProofFromWarmTiles(benchmark::State& state) {
  TileNodeReader reader(kSize, MemoryFetcher());
  for (uint64_t i = 0; i < kSize; i += kTileWidth) (void)InclusionProof(reader, i, kSize);
  uint64_t index = 12345;
  for (auto _ : state) {
    index = (index * 6364136223846793005ull + 1442695040888963407ull) % kSize;
    benchmark::DoNotOptimize(InclusionProof(reader, index, kSize));
  }
}

void BM_InclusionProofFromColdTiles(benchmark::State& state) {
  uint64_t index = 12345;
  for (auto _ : state) {
    index = (index * 6364136223846793005ull + 1442695040888963407ull) % kSize;
    TileNodeReader reader(kSize, MemoryFetcher());
    benchmark::DoNotOptimize(InclusionProof(reader, index, kSize));
  }
}

BENCHMARK(BM_InclusionProofFromWarmTiles)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_InclusionProofFromColdTiles)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace quartet::ledger

BENCHMARK_MAIN();

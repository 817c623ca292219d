// Merkle hashing, proof generation from an in-memory tree of a million leaves, and verification.
// Self-contained: defines its own main().
#include <array>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "base/random.h"
#include "ledger/memory_tree_testing.h"
#include "ledger/merkle.h"

namespace quartet::ledger {
namespace {

constexpr uint64_t kTreeSize = 1'000'000;

std::vector<Hash> RandomLeaves(uint64_t size) {
  FakeRandom random(1);
  MerkleHasher hasher;
  std::vector<Hash> leaves(size);
  for (Hash& leaf : leaves) {
    std::array<uint8_t, 32> entry;
    random.Fill(entry);
    leaf = hasher.Leaf(entry);
  }
  return leaves;
}

// Built once, on first use, outside the timed loops.
MemoryTree& Tree() {
  static MemoryTree* tree = new MemoryTree(RandomLeaves(kTreeSize));
  return *tree;
}

Hash TreeRoot(uint64_t size) {
  StatusOr<Hash> root = ComputeRoot(Tree(), size);
  return root.ok() ? *root : Hash{};
}

// Indices spread over the tree, so that proofs have every shape.
std::vector<uint64_t> Indices(uint64_t bound, size_t count) {
  FakeRandom random(2);
  std::vector<uint64_t> indices(count);
  for (uint64_t& index : indices) index = random.NextUint64() % bound;
  return indices;
}

void BM_HashLeaf256(benchmark::State& state) {
  std::array<uint8_t, 256> entry{};
  MerkleHasher hasher;
  for (auto _ : state) {
    Hash hash = hasher.Leaf(entry);
    benchmark::DoNotOptimize(hash);
    entry[0] = hash[0];  // a dependency between iterations
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 256);
}
BENCHMARK(BM_HashLeaf256);

void BM_HashLeaf256FreeFunction(benchmark::State& state) {
  std::array<uint8_t, 256> entry{};
  for (auto _ : state) {
    Hash hash = HashLeaf(entry);
    benchmark::DoNotOptimize(hash);
    entry[0] = hash[0];
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 256);
}
BENCHMARK(BM_HashLeaf256FreeFunction);

void BM_HashChildren(benchmark::State& state) {
  Hash left{};
  Hash right{};
  right[0] = 1;
  MerkleHasher hasher;
  for (auto _ : state) {
    left = hasher.Children(left, right);
    benchmark::DoNotOptimize(left);
  }
}
BENCHMARK(BM_HashChildren);

void BM_HashChildrenFreeFunction(benchmark::State& state) {
  Hash left{};
  Hash right{};
  right[0] = 1;
  for (auto _ : state) {
    left = HashChildren(left, right);
    benchmark::DoNotOptimize(left);
  }
}
BENCHMARK(BM_HashChildrenFreeFunction);

void BM_InclusionProof(benchmark::State& state) {
  MemoryTree& tree = Tree();
  const std::vector<uint64_t> indices = Indices(kTreeSize, 1024);
  size_t i = 0;
  for (auto _ : state) {
    StatusOr<std::vector<Hash>> proof =
        InclusionProof(tree, indices[i++ % indices.size()], kTreeSize);
    if (!proof.ok()) state.SkipWithError("InclusionProof failed");
    benchmark::DoNotOptimize(proof);
  }
}
BENCHMARK(BM_InclusionProof);

void BM_VerifyInclusion(benchmark::State& state) {
  MemoryTree& tree = Tree();
  const Hash root = TreeRoot(kTreeSize);
  struct Case {
    uint64_t index;
    std::vector<Hash> proof;
  };
  std::vector<Case> cases;
  for (uint64_t index : Indices(kTreeSize, 1024)) {
    StatusOr<std::vector<Hash>> proof = InclusionProof(tree, index, kTreeSize);
    if (!proof.ok()) {
      state.SkipWithError("InclusionProof failed");
      return;
    }
    cases.push_back({index, *std::move(proof)});
  }
  size_t i = 0;
  for (auto _ : state) {
    const Case& c = cases[i++ % cases.size()];
    Status status = VerifyInclusion(tree.leaf(c.index), c.index, kTreeSize, c.proof, root);
    if (!status.ok()) state.SkipWithError("VerifyInclusion failed");
    benchmark::DoNotOptimize(status);
  }
}
BENCHMARK(BM_VerifyInclusion);

void BM_ConsistencyProof(benchmark::State& state) {
  MemoryTree& tree = Tree();
  const std::vector<uint64_t> old_sizes = Indices(kTreeSize, 1024);
  size_t i = 0;
  for (auto _ : state) {
    StatusOr<std::vector<Hash>> proof =
        ConsistencyProof(tree, old_sizes[i++ % old_sizes.size()] + 1, kTreeSize);
    if (!proof.ok()) state.SkipWithError("ConsistencyProof failed");
    benchmark::DoNotOptimize(proof);
  }
}
BENCHMARK(BM_ConsistencyProof);

void BM_VerifyConsistency(benchmark::State& state) {
  MemoryTree& tree = Tree();
  const Hash new_root = TreeRoot(kTreeSize);
  struct Case {
    uint64_t old_size;
    Hash old_root;
    std::vector<Hash> proof;
  };
  std::vector<Case> cases;
  for (uint64_t index : Indices(kTreeSize, 256)) {
    const uint64_t old_size = index + 1;
    StatusOr<std::vector<Hash>> proof = ConsistencyProof(tree, old_size, kTreeSize);
    if (!proof.ok()) {
      state.SkipWithError("ConsistencyProof failed");
      return;
    }
    cases.push_back({old_size, TreeRoot(old_size), *std::move(proof)});
  }
  size_t i = 0;
  for (auto _ : state) {
    const Case& c = cases[i++ % cases.size()];
    Status status = VerifyConsistency(c.old_size, kTreeSize, c.proof, c.old_root, new_root);
    if (!status.ok()) state.SkipWithError("VerifyConsistency failed");
    benchmark::DoNotOptimize(status);
  }
}
BENCHMARK(BM_VerifyConsistency);

// What the agent checks for one grant when it has not replayed the log itself: one entry's
// inclusion proof and the consistency of the checkpoint with the one it cosigned, a million
// entries each.
void BM_AgentProofCheck(benchmark::State& state) {
  MemoryTree& tree = Tree();
  const Hash root = TreeRoot(kTreeSize);
  struct Case {
    uint64_t index;
    std::vector<Hash> inclusion;
    uint64_t old_size;
    Hash old_root;
    std::vector<Hash> consistency;
  };
  std::vector<Case> cases;
  for (uint64_t index : Indices(kTreeSize, 256)) {
    const uint64_t old_size = std::max<uint64_t>(index, 1);
    auto inclusion = InclusionProof(tree, index, kTreeSize);
    auto consistency = ConsistencyProof(tree, old_size, kTreeSize);
    if (!inclusion.ok() || !consistency.ok()) {
      state.SkipWithError("proof generation failed");
      return;
    }
    cases.push_back(
        {index, *std::move(inclusion), old_size, TreeRoot(old_size), *std::move(consistency)});
  }
  size_t i = 0;
  for (auto _ : state) {
    const Case& c = cases[i++ % cases.size()];
    Status included = VerifyInclusion(tree.leaf(c.index), c.index, kTreeSize, c.inclusion, root);
    Status consistent = VerifyConsistency(c.old_size, kTreeSize, c.consistency, c.old_root, root);
    if (!included.ok() || !consistent.ok()) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(included);
    benchmark::DoNotOptimize(consistent);
  }
}
BENCHMARK(BM_AgentProofCheck);

void BM_CompactRangeAppend(benchmark::State& state) {
  MemoryTree& tree = Tree();
  MerkleHasher hasher;
  CompactRange range;
  for (auto _ : state) {
    if (range.size() == kTreeSize) {
      state.PauseTiming();
      range = CompactRange();
      state.ResumeTiming();
    }
    range.Append(hasher, tree.leaf(range.size()));
  }
  Hash root = range.Root(hasher);
  benchmark::DoNotOptimize(root);
}
BENCHMARK(BM_CompactRangeAppend);

}  // namespace
}  // namespace quartet::ledger

BENCHMARK_MAIN();

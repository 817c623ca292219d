// Every perfect node of a Merkle tree held in memory, level by level: a NodeReader for tests and
// benchmarks.
#pragma once

#include <vector>

#include "ledger/merkle.h"

namespace quartet::ledger {

class MemoryTree final : public NodeReader {
 public:
  explicit MemoryTree(std::vector<Hash> leaves) {
    MerkleHasher hasher;
    levels_.push_back(std::move(leaves));
    while (levels_.back().size() >= 2) {
      const std::vector<Hash>& below = levels_.back();
      std::vector<Hash> level(below.size() / 2);
      for (size_t i = 0; i < level.size(); ++i)
        level[i] = hasher.Children(below[2 * i], below[2 * i + 1]);
      levels_.push_back(std::move(level));
    }
  }

  StatusOr<Hash> ReadNode(int level, uint64_t index) override {
    if (level < 0 || static_cast<size_t>(level) >= levels_.size() ||
        index >= levels_[level].size()) {
      return OutOfRangeError("node outside the tree");
    }
    return levels_[static_cast<size_t>(level)][index];
  }

  const Hash& leaf(uint64_t index) const { return levels_[0][index]; }

 private:
  std::vector<std::vector<Hash>> levels_;
};

}  // namespace quartet::ledger

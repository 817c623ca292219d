// RFC 6962 / RFC 9162 Merkle trees over SHA-256: leaf and node hashing, root, inclusion and
// consistency proofs, generated from any source of subtree hashes and verified from scratch.
//
// A "node" (level, index) is the root of the perfect subtree over leaves
// [index * 2^level, (index + 1) * 2^level); level 0 nodes are leaf hashes.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/sha256.h"
#include "base/status.h"

namespace quartet::ledger {

// SHA-256(0x00 || entry).
Hash HashLeaf(ByteView entry);
// SHA-256(0x01 || left || right).
Hash HashChildren(const Hash& left, const Hash& right);
// SHA-256 of the empty string: the root of the empty tree.
const Hash& EmptyTreeRoot();

// Reuses one SHA-256 context; for hot loops. Not thread-safe.
class MerkleHasher {
 public:
  Hash Leaf(ByteView entry);
  Hash Children(const Hash& left, const Hash& right);

 private:
  Sha256 sha_;
};

// Where proofs get their hashes from. Implementations: the tile reader (tiles.h), in-memory trees
// in tests.
class NodeReader {
 public:
  virtual ~NodeReader() = default;
  // The hash of node (level, index). The caller only asks for nodes inside the tree it names.
  virtual StatusOr<Hash> ReadNode(int level, uint64_t index) = 0;
};

// The Merkle tree hash of the first `size` leaves.
StatusOr<Hash> ComputeRoot(NodeReader& reader, uint64_t size);
// The Merkle tree hash of leaves [begin, end), begin < end, as RFC 6962 defines MTH over that range.
// Precondition: begin is a multiple of the largest power of two not exceeding end - begin, so that
// the hash is built from aligned perfect nodes (true of every subtree of an RFC 6962 tree).
StatusOr<Hash> ComputeSubtreeRoot(NodeReader& reader, uint64_t begin, uint64_t end);

// RFC 6962 section 2.1.1 audit path for leaf `index` in the tree of `size` leaves, leaf-side first.
// OutOfRange unless index < size.
StatusOr<std::vector<Hash>> InclusionProof(NodeReader& reader, uint64_t index, uint64_t size);
// RFC 6962 section 2.1.2 consistency proof between sizes old_size and new_size.
// InvalidArgument unless 0 < old_size <= new_size (empty when equal).
StatusOr<std::vector<Hash>> ConsistencyProof(NodeReader& reader, uint64_t old_size,
                                             uint64_t new_size);

// RFC 9162 section 2.1.3.2. Returns OK only if `proof` proves `leaf_hash` at `index` in the tree of
// `size` with root `root`; InvalidArgument with a reason otherwise.
Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       std::span<const Hash> proof, const Hash& root);
// The root that an inclusion proof implies (for callers that compare it themselves).
StatusOr<Hash> RootFromInclusionProof(const Hash& leaf_hash, uint64_t index, uint64_t size,
                                      std::span<const Hash> proof);
// RFC 9162 section 2.1.4.2. Sizes 0 -> anything and equal sizes follow RFC 9162 (an empty proof
// for equal sizes with equal roots; old size 0 is refused). Callers implementing tlog-witness,
// which accepts old size 0 with an empty proof, handle that case before calling.
Status VerifyConsistency(uint64_t old_size, uint64_t new_size, std::span<const Hash> proof,
                         const Hash& old_root, const Hash& new_root);

// The right edge of a growing tree: the roots of the perfect subtrees of the RFC 6962 decomposition
// of the first size() leaves, largest first. Appending a leaf is amortised O(1) hashes.
class CompactRange {
 public:
  CompactRange() = default;
  // Rebuilds the edge of a tree of `size` leaves from any node source.
  static StatusOr<CompactRange> FromReader(NodeReader& reader, uint64_t size);
  // From the nodes that nodes() returned for a tree of `size` leaves. InvalidArgument unless there is
  // one node per set bit of `size`.
  static StatusOr<CompactRange> FromNodes(uint64_t size, std::vector<Hash> nodes);

  // Appends one leaf hash. `on_node(level, index, hash)` is called, if given, for every node that
  // becomes complete, the leaf itself (level 0) included.
  template <typename OnNode>
  void Append(MerkleHasher& hasher, const Hash& leaf, OnNode&& on_node);
  void Append(MerkleHasher& hasher, const Hash& leaf) {
    Append(hasher, leaf, [](int, uint64_t, const Hash&) {});
  }

  uint64_t size() const { return size_; }
  const std::vector<Hash>& nodes() const { return nodes_; }
  // The root of the tree of size() leaves (EmptyTreeRoot() when empty).
  Hash Root(MerkleHasher& hasher) const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> nodes_;  // one per set bit of size_, most significant first
};

template <typename OnNode>
void CompactRange::Append(MerkleHasher& hasher, const Hash& leaf, OnNode&& on_node) {
  on_node(0, size_, leaf);
  Hash hash = leaf;
  int level = 0;
  uint64_t index = size_;
  // Each trailing one bit of size_ is a perfect subtree that the new leaf completes into a bigger one.
  while ((index & 1) == 1) {
    hash = hasher.Children(nodes_.back(), hash);
    nodes_.pop_back();
    ++level;
    index >>= 1;
    on_node(level, index, hash);
  }
  nodes_.push_back(hash);
  ++size_;
}

}  // namespace quartet::ledger

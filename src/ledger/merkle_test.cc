// The Merkle tree against its references, in one file because they share one fixture and one
// reference implementation: RFC 6962 transcribed literally, the transparency-dev/merkle constants
// and JSON vectors, and properties over random trees. It is long because the vectors and the
// reference are.
#include "ledger/merkle.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/random.h"

namespace quartet::ledger {
namespace {

using ::nlohmann::json;

Hash HashFromHex(std::string_view hex) {
  Hash hash{};
  StatusOr<Bytes> bytes = HexDecode(hex);
  if (!bytes.ok() || bytes->size() != hash.size()) {
    ADD_FAILURE() << "bad test hash " << hex;
    return hash;
  }
  std::copy(bytes->begin(), bytes->end(), hash.begin());
  return hash;
}

Hash FlipBit(Hash hash, size_t bit) {
  hash[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  return hash;
}

// ---------------------------------------------------------------------------------------------
// RFC 6962 section 2.1 transcribed literally (MTH, PATH, PROOF/SUBPROOF) over a list of leaf
// hashes: the reference the reader-based implementation must match element for element.

size_t LargestPowerOfTwoBelow(size_t n) {
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash Mth(std::span<const Hash> d) {
  if (d.empty()) return Sha256::Of("");
  if (d.size() == 1) return d[0];
  const size_t k = LargestPowerOfTwoBelow(d.size());
  return HashChildren(Mth(d.first(k)), Mth(d.subspan(k)));
}

std::vector<Hash> Path(size_t m, std::span<const Hash> d) {
  if (d.size() == 1) return {};
  const size_t k = LargestPowerOfTwoBelow(d.size());
  std::vector<Hash> path;
  if (m < k) {
    path = Path(m, d.first(k));
    path.push_back(Mth(d.subspan(k)));
  } else {
    path = Path(m - k, d.subspan(k));
    path.push_back(Mth(d.first(k)));
  }
  return path;
}

std::vector<Hash> Subproof(size_t m, std::span<const Hash> d, bool b) {
  if (m == d.size()) return b ? std::vector<Hash>{} : std::vector<Hash>{Mth(d)};
  const size_t k = LargestPowerOfTwoBelow(d.size());
  std::vector<Hash> proof;
  if (m <= k) {
    proof = Subproof(m, d.first(k), b);
    proof.push_back(Mth(d.subspan(k)));
  } else {
    proof = Subproof(m - k, d.subspan(k), false);
    proof.push_back(Mth(d.first(k)));
  }
  return proof;
}

// ---------------------------------------------------------------------------------------------
// Every perfect node of a tree held in memory. Proof generators are pointed at a prefix of it by
// set_limit(); any read outside that prefix fails the test.
class MemoryTree final : public NodeReader {
 public:
  explicit MemoryTree(std::vector<Hash> leaves) : limit_(leaves.size()) {
    levels_.push_back(std::move(leaves));
    while (levels_.back().size() >= 2) {
      const std::vector<Hash>& below = levels_.back();
      std::vector<Hash> level;
      for (size_t i = 0; i + 1 < below.size(); i += 2) {
        level.push_back(HashChildren(below[i], below[i + 1]));
      }
      levels_.push_back(std::move(level));
    }
  }

  StatusOr<Hash> ReadNode(int level, uint64_t index) override {
    ++reads_;
    if (level < 0 || level >= 64 || index >= (limit_ >> level)) {
      ADD_FAILURE() << "read of node (" << level << ", " << index << ") outside the tree of "
                    << limit_;
      return OutOfRangeError("node outside the tree");
    }
    return levels_[static_cast<size_t>(level)][index];
  }

  const std::vector<Hash>& leaves() const { return levels_[0]; }
  uint64_t size() const { return levels_[0].size(); }
  const Hash& node(int level, uint64_t index) const {
    return levels_[static_cast<size_t>(level)][index];
  }
  std::span<const Hash> prefix(uint64_t size) const { return std::span(leaves()).first(size); }

  void set_limit(uint64_t limit) { limit_ = limit; }
  int TakeReads() { return std::exchange(reads_, 0); }

 private:
  std::vector<std::vector<Hash>> levels_;
  uint64_t limit_;
  int reads_ = 0;
};

std::vector<Hash> RandomLeaves(size_t n, uint64_t seed) {
  FakeRandom random(seed);
  std::vector<Hash> leaves;
  for (size_t i = 0; i < n; ++i) {
    std::array<uint8_t, 24> entry;
    random.Fill(entry);
    leaves.push_back(HashLeaf(entry));
  }
  return leaves;
}

// Reads an O(log n) algorithm may make on a tree of `size` leaves.
int ReadBudget(uint64_t size) { return 2 * static_cast<int>(std::bit_width(size)) + 1; }

class FailingReader final : public NodeReader {
 public:
  StatusOr<Hash> ReadNode(int, uint64_t) override { return DataLossError("broken tile"); }
};

// ---------------------------------------------------------------------------------------------
// transparency-dev/merkle testonly/constants.go (Apache 2.0): leaf inputs, the node hashes of the
// tree they make, and its root at every size.

const std::vector<std::string_view> kLeafInputsHex = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

const std::vector<std::vector<std::string_view>> kNodeHashesHex = {
    {
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    },
    {
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    },
    {
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    },
    {
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    },
};

const std::vector<std::string_view> kRootHashesHex = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

MemoryTree KnownTree() {
  std::vector<Hash> leaves;
  for (std::string_view hex : kLeafInputsHex) {
    StatusOr<Bytes> input = HexDecode(hex);
    EXPECT_TRUE(input.ok());
    leaves.push_back(HashLeaf(*input));
  }
  return MemoryTree(std::move(leaves));
}

// ---------------------------------------------------------------------------------------------
// Hashing.

TEST(MerkleHashTest, KnownAnswers) {
  EXPECT_EQ(HexEncode(EmptyTreeRoot()), kRootHashesHex[0]);
  EXPECT_EQ(HexEncode(HashLeaf({})), kNodeHashesHex[0][0]);
  const std::array<uint8_t, 1> zero = {0x00};
  EXPECT_EQ(HexEncode(HashLeaf(zero)), kNodeHashesHex[0][1]);
  EXPECT_EQ(
      HexEncode(HashChildren(HashFromHex(kNodeHashesHex[0][0]), HashFromHex(kNodeHashesHex[0][1]))),
      kNodeHashesHex[1][0]);
}

TEST(MerkleHashTest, HasherMatchesFreeFunctionsAndIsReusable) {
  MerkleHasher hasher;
  const std::vector<Hash> leaves = RandomLeaves(4, 1);
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(hasher.Leaf(AsBytes("entry")), HashLeaf(AsBytes("entry")));
    EXPECT_EQ(hasher.Children(leaves[0], leaves[1]), HashChildren(leaves[0], leaves[1]));
  }
  EXPECT_NE(HashChildren(leaves[0], leaves[1]), HashChildren(leaves[1], leaves[0]));
  // Domain separation: a leaf whose entry is two hashes is not their parent.
  Bytes concatenated(leaves[0].begin(), leaves[0].end());
  concatenated.insert(concatenated.end(), leaves[1].begin(), leaves[1].end());
  EXPECT_NE(HashLeaf(concatenated), HashChildren(leaves[0], leaves[1]));
}

// ---------------------------------------------------------------------------------------------
// The transparency-dev/merkle reference tree.

TEST(MerkleKnownTreeTest, NodesAndRoots) {
  MemoryTree tree = KnownTree();
  for (size_t level = 0; level < kNodeHashesHex.size(); ++level) {
    for (size_t index = 0; index < kNodeHashesHex[level].size(); ++index) {
      EXPECT_EQ(HexEncode(tree.node(static_cast<int>(level), index)), kNodeHashesHex[level][index])
          << "node (" << level << ", " << index << ")";
    }
  }
  for (uint64_t size = 0; size < kRootHashesHex.size(); ++size) {
    tree.set_limit(size);
    StatusOr<Hash> root = ComputeRoot(tree, size);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(HexEncode(*root), kRootHashesHex[size]) << "size " << size;
    EXPECT_EQ(HexEncode(Mth(tree.prefix(size))), kRootHashesHex[size]) << "size " << size;
  }
}

TEST(MerkleKnownTreeTest, CompactRangeRootsAndNodes) {
  const MemoryTree tree = KnownTree();
  MerkleHasher hasher;
  CompactRange range;
  EXPECT_EQ(HexEncode(range.Root(hasher)), kRootHashesHex[0]);
  for (uint64_t i = 0; i < tree.size(); ++i) {
    range.Append(hasher, tree.leaves()[i], [&](int level, uint64_t index, const Hash& hash) {
      EXPECT_EQ(HexEncode(hash),
                kNodeHashesHex[static_cast<size_t>(level)][static_cast<size_t>(index)]);
    });
    EXPECT_EQ(range.size(), i + 1);
    EXPECT_EQ(HexEncode(range.Root(hasher)), kRootHashesHex[i + 1]);
  }
}

// The RFC 6962 section 2.1.3 example tree of 7 leaves: which nodes make up each path.
TEST(MerkleKnownTreeTest, Rfc6962ExamplePaths) {
  MemoryTree tree = KnownTree();
  tree.set_limit(7);
  auto path = [&](uint64_t index) {
    StatusOr<std::vector<Hash>> proof = InclusionProof(tree, index, 7);
    EXPECT_TRUE(proof.ok()) << proof.status().ToString();
    return proof.ok() ? *proof : std::vector<Hash>{};
  };
  // The RFC's names: a..f the hashes of leaves d0..d5, j = the hash of d6, g..i the parents of
  // a..f, k = MTH(d0..d3), l = MTH(d4..d6).
  const Hash& b = tree.node(0, 1);
  const Hash& c = tree.node(0, 2);
  const Hash& d = tree.node(0, 3);
  const Hash& f = tree.node(0, 5);
  const Hash& j = tree.node(0, 6);
  const Hash& g = tree.node(1, 0);
  const Hash& h = tree.node(1, 1);
  const Hash& i = tree.node(1, 2);
  const Hash& k = tree.node(2, 0);
  const Hash l = HashChildren(i, j);
  EXPECT_EQ(path(0), (std::vector<Hash>{b, h, l}));
  EXPECT_EQ(path(3), (std::vector<Hash>{c, g, l}));
  EXPECT_EQ(path(4), (std::vector<Hash>{f, j, k}));
  EXPECT_EQ(path(6), (std::vector<Hash>{i, k}));

  // Section 2.1.4.
  auto consistency = [&](uint64_t old_size) {
    StatusOr<std::vector<Hash>> proof = ConsistencyProof(tree, old_size, 7);
    EXPECT_TRUE(proof.ok()) << proof.status().ToString();
    return proof.ok() ? *proof : std::vector<Hash>{};
  };
  EXPECT_EQ(consistency(3), (std::vector<Hash>{c, d, g, l}));
  EXPECT_EQ(consistency(4), (std::vector<Hash>{l}));
  EXPECT_EQ(consistency(6), (std::vector<Hash>{i, j, k}));
}

// ---------------------------------------------------------------------------------------------
// The transparency-dev/merkle JSON vectors in testdata/merkle.

std::filesystem::path VectorDir() {
  const char* source_dir = std::getenv("QUARTET_SOURCE_DIR");
  std::filesystem::path root = (source_dir != nullptr && *source_dir != '\0')
                                   ? std::filesystem::path(source_dir)
                                   : std::filesystem::path(__FILE__).parent_path() / ".." / "..";
  return root / "testdata" / "merkle";
}

std::vector<std::filesystem::path> JsonFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_regular_file() && it->path().extension() == ".json") files.push_back(it->path());
  }
  EXPECT_FALSE(error) << dir << ": " << error.message();
  std::sort(files.begin(), files.end());
  return files;
}

StatusOr<json> ReadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError("cannot open " + path.string());
  json parsed = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return DataLossError("not a JSON object");
  return parsed;
}

StatusOr<uint64_t> GetUint64(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_unsigned()) {
    return DataLossError(std::string(key) + " is not an unsigned number");
  }
  return it->get<uint64_t>();
}

StatusOr<bool> GetBool(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_boolean()) return DataLossError(std::string(key) + " not bool");
  return it->get<bool>();
}

// Go encodes []byte as standard base64.
StatusOr<Bytes> DecodeBytes(const json& value) {
  if (!value.is_string()) return DataLossError("byte string is not a JSON string");
  return Base64Decode(value.get<std::string>());
}

StatusOr<Bytes> GetBytes(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return DataLossError(std::string(key) + " missing");
  return DecodeBytes(*it);
}

// Go's encoding of a nil slice is null.
StatusOr<std::vector<Bytes>> GetProof(const json& object) {
  auto it = object.find("proof");
  if (it == object.end()) return DataLossError("proof missing");
  std::vector<Bytes> proof;
  if (it->is_null()) return proof;
  if (!it->is_array()) return DataLossError("proof is not an array");
  for (const json& element : *it) {
    ASSIGN_OR_RETURN(Bytes bytes, DecodeBytes(element));
    proof.push_back(std::move(bytes));
  }
  return proof;
}

// The vectors were written for Go's verifier, which takes []byte: it refuses a leaf hash that is
// not 32 bytes but only compares roots with bytes.Equal and hashes proof entries of any length, so
// the vectors use short "garbage" or "don't care" strings there. A Hash cannot hold those, so each
// becomes a stand-in that equals only the stand-in of the same bytes and no real hash; whether such
// a case is refused is then up to the verifier, as it is in Go.
Hash StandIn(const Bytes& bytes) {
  Hash hash{};
  if (bytes.size() == hash.size()) {
    std::copy(bytes.begin(), bytes.end(), hash.begin());
    return hash;
  }
  Sha256 sha;
  return sha.Update("quartet merkle_test stand-in for a non-hash:").Update(bytes).Finish();
}

std::vector<Hash> StandIns(const std::vector<Bytes>& values) {
  std::vector<Hash> hashes;
  for (const Bytes& value : values) hashes.push_back(StandIn(value));
  return hashes;
}

struct VectorTally {
  int files = 0;
  int accepted = 0;
  int refused = 0;
  int refused_by_type = 0;    // leaf hash not 32 bytes: cannot be passed to VerifyInclusion
  int generated_matches = 0;  // accepted cases whose proof we regenerated from the known tree
};

// One inclusion vector: the verdict must be `wantErr`, and an accepted case on the reference tree
// must be exactly the proof InclusionProof generates.
Status CheckInclusionVector(const json& v, MemoryTree& known, VectorTally& tally) {
  ASSIGN_OR_RETURN(uint64_t index, GetUint64(v, "leafIdx"));
  ASSIGN_OR_RETURN(uint64_t size, GetUint64(v, "treeSize"));
  ASSIGN_OR_RETURN(Bytes root_bytes, GetBytes(v, "root"));
  ASSIGN_OR_RETURN(Bytes leaf_bytes, GetBytes(v, "leafHash"));
  ASSIGN_OR_RETURN(std::vector<Bytes> proof_bytes, GetProof(v));
  ASSIGN_OR_RETURN(bool want_err, GetBool(v, "wantErr"));
  const Hash root = StandIn(root_bytes);
  const std::vector<Hash> proof = StandIns(proof_bytes);

  if (leaf_bytes.size() != sizeof(Hash)) {
    ++tally.refused_by_type;
    ++tally.refused;
    EXPECT_TRUE(want_err) << "a leaf hash of " << leaf_bytes.size() << " bytes";
    return Status::Ok();
  }
  const Hash leaf = StandIn(leaf_bytes);
  Status verdict = VerifyInclusion(leaf, index, size, proof, root);
  StatusOr<Hash> implied = RootFromInclusionProof(leaf, index, size, proof);
  EXPECT_EQ(verdict.ok(), !want_err) << verdict.ToString();
  if (!verdict.ok()) {
    ++tally.refused;
    EXPECT_EQ(verdict.code(), StatusCode::kInvalidArgument) << verdict.ToString();
    EXPECT_FALSE(verdict.message().empty());
    EXPECT_TRUE(!implied.ok() || *implied != root);
    return Status::Ok();
  }
  ++tally.accepted;
  EXPECT_TRUE(implied.ok() && *implied == root);
  if (size < kRootHashesHex.size() && root == HashFromHex(kRootHashesHex[size]) &&
      leaf == known.leaves()[index]) {
    known.set_limit(size);
    StatusOr<std::vector<Hash>> generated = InclusionProof(known, index, size);
    EXPECT_TRUE(generated.ok() && *generated == proof);
    ++tally.generated_matches;
  }
  return Status::Ok();
}

Status CheckConsistencyVector(const json& v, MemoryTree& known, VectorTally& tally) {
  ASSIGN_OR_RETURN(uint64_t size1, GetUint64(v, "size1"));
  ASSIGN_OR_RETURN(uint64_t size2, GetUint64(v, "size2"));
  ASSIGN_OR_RETURN(Bytes root1_bytes, GetBytes(v, "root1"));
  ASSIGN_OR_RETURN(Bytes root2_bytes, GetBytes(v, "root2"));
  ASSIGN_OR_RETURN(std::vector<Bytes> proof_bytes, GetProof(v));
  ASSIGN_OR_RETURN(bool want_err, GetBool(v, "wantErr"));
  const Hash root1 = StandIn(root1_bytes);
  const Hash root2 = StandIn(root2_bytes);
  const std::vector<Hash> proof = StandIns(proof_bytes);

  Status verdict = VerifyConsistency(size1, size2, proof, root1, root2);
  EXPECT_EQ(verdict.ok(), !want_err) << verdict.ToString();
  if (!verdict.ok()) {
    ++tally.refused;
    EXPECT_EQ(verdict.code(), StatusCode::kInvalidArgument) << verdict.ToString();
    EXPECT_FALSE(verdict.message().empty());
    return Status::Ok();
  }
  ++tally.accepted;
  if (size2 < kRootHashesHex.size() && root1 == HashFromHex(kRootHashesHex[size1]) &&
      root2 == HashFromHex(kRootHashesHex[size2])) {
    known.set_limit(size2);
    StatusOr<std::vector<Hash>> generated = ConsistencyProof(known, size1, size2);
    EXPECT_TRUE(generated.ok() && *generated == proof);
    ++tally.generated_matches;
  }
  return Status::Ok();
}

void RecordTally(const VectorTally& tally) {
  ::testing::Test::RecordProperty("files", tally.files);
  ::testing::Test::RecordProperty("accepted", tally.accepted);
  ::testing::Test::RecordProperty("refused", tally.refused);
  ::testing::Test::RecordProperty("refused_by_type", tally.refused_by_type);
  ::testing::Test::RecordProperty("generated_matches", tally.generated_matches);
}

template <typename Check>
VectorTally CheckVectorFolder(const std::filesystem::path& dir, Check check) {
  MemoryTree known = KnownTree();
  VectorTally tally;
  for (const std::filesystem::path& path : JsonFiles(dir)) {
    SCOPED_TRACE(path.string());
    ++tally.files;
    StatusOr<json> vector = ReadJson(path);
    if (!vector.ok()) {
      ADD_FAILURE() << vector.status().ToString();
      continue;
    }
    Status status = check(*vector, known, tally);
    EXPECT_TRUE(status.ok()) << "malformed vector: " << status.ToString();
  }
  return tally;
}

TEST(MerkleVectorTest, InclusionVectors) {
  const VectorTally tally = CheckVectorFolder(VectorDir() / "inclusion", CheckInclusionVector);
  RecordTally(tally);
  EXPECT_GT(tally.files, 50) << "vectors missing from " << VectorDir();
  EXPECT_EQ(tally.accepted + tally.refused, tally.files);
  EXPECT_GT(tally.accepted, 0);
  EXPECT_GT(tally.refused, tally.refused_by_type);
  EXPECT_GE(tally.generated_matches, 5);
}

TEST(MerkleVectorTest, ConsistencyVectors) {
  const VectorTally tally = CheckVectorFolder(VectorDir() / "consistency", CheckConsistencyVector);
  RecordTally(tally);
  EXPECT_GT(tally.files, 50) << "vectors missing from " << VectorDir();
  EXPECT_EQ(tally.accepted + tally.refused, tally.files);
  EXPECT_GT(tally.accepted, 0);
  EXPECT_GT(tally.refused, 0);
  EXPECT_GE(tally.generated_matches, 5);
}

TEST(MerkleVectorTest, FindsAllVectors) {
  const size_t files = JsonFiles(VectorDir()).size();
  EXPECT_GT(files, 100u) << "vectors missing from " << VectorDir();
}

// ---------------------------------------------------------------------------------------------
// Properties over random trees.

class MerklePropertyTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kSmall = 300;
  static constexpr uint64_t kSizes[] = {1000, 4097};

  static void SetUpTestSuite() { tree_ = new MemoryTree(RandomLeaves(4097, 42)); }
  void SetUp() override {
    tree_->set_limit(tree_->size());
    tree_->TakeReads();
  }
  static void TearDownTestSuite() {
    delete tree_;
    tree_ = nullptr;
  }

  static std::vector<uint64_t> AllSizes() {
    std::vector<uint64_t> sizes;
    for (uint64_t n = 1; n <= kSmall; ++n) sizes.push_back(n);
    sizes.insert(sizes.end(), std::begin(kSizes), std::end(kSizes));
    return sizes;
  }

  static MemoryTree* tree_;
};

MemoryTree* MerklePropertyTest::tree_ = nullptr;

TEST_F(MerklePropertyTest, RootsMatchNaiveMth) {
  MemoryTree& tree = *tree_;
  for (uint64_t n : AllSizes()) {
    tree.set_limit(n);
    StatusOr<Hash> root = ComputeRoot(tree, n);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(*root, Mth(tree.prefix(n))) << "size " << n;
    EXPECT_LE(tree.TakeReads(), ReadBudget(n));
  }
  tree.set_limit(0);
  StatusOr<Hash> empty = ComputeRoot(tree, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, EmptyTreeRoot());
  EXPECT_EQ(tree.TakeReads(), 0);
}

TEST_F(MerklePropertyTest, SubtreeRoots) {
  MemoryTree& tree = *tree_;
  tree.set_limit(tree.size());
  for (uint64_t begin = 0; begin < 64; ++begin) {
    for (uint64_t end = begin + 1; end <= 130; ++end) {
      StatusOr<Hash> root = ComputeSubtreeRoot(tree, begin, end);
      if (begin % std::bit_floor(end - begin) == 0) {
        ASSERT_TRUE(root.ok()) << begin << ".." << end << ": " << root.status().ToString();
        EXPECT_EQ(*root, Mth(tree.prefix(end).subspan(begin))) << begin << ".." << end;
      } else {
        EXPECT_EQ(root.status().code(), StatusCode::kInvalidArgument) << begin << ".." << end;
      }
    }
  }
  EXPECT_EQ(ComputeSubtreeRoot(tree, 5, 5).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ComputeSubtreeRoot(tree, 6, 5).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(MerklePropertyTest, EveryInclusionProofVerifies) {
  MemoryTree& tree = *tree_;
  for (uint64_t n : AllSizes()) {
    tree.set_limit(n);
    const Hash root = Mth(tree.prefix(n));
    for (uint64_t i = 0; i < n; ++i) {
      StatusOr<std::vector<Hash>> proof = InclusionProof(tree, i, n);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_LE(tree.TakeReads(), ReadBudget(n));
      if (n <= 100) {
        EXPECT_EQ(*proof, Path(i, tree.prefix(n))) << i << " in " << n;
      }
      const Hash& leaf = tree.leaves()[i];
      Status verified = VerifyInclusion(leaf, i, n, *proof, root);
      ASSERT_TRUE(verified.ok()) << i << " in " << n << ": " << verified.ToString();
      StatusOr<Hash> implied = RootFromInclusionProof(leaf, i, n, *proof);
      ASSERT_TRUE(implied.ok());
      EXPECT_EQ(*implied, root);
    }
  }
}

// Every single-bit change to a proof, and every structural change, is refused.
TEST_F(MerklePropertyTest, TamperedInclusionProofsFail) {
  MemoryTree& tree = *tree_;
  FakeRandom random(7);
  for (uint64_t n = 1; n <= 64; ++n) {
    tree.set_limit(n);
    const Hash root = Mth(tree.prefix(n));
    for (uint64_t i = 0; i < n; ++i) {
      StatusOr<std::vector<Hash>> generated = InclusionProof(tree, i, n);
      ASSERT_TRUE(generated.ok());
      const std::vector<Hash>& proof = *generated;
      const Hash& leaf = tree.leaves()[i];
      for (size_t e = 0; e < proof.size(); ++e) {
        for (size_t bit = 0; bit < 256; ++bit) {
          // Every bit for small trees, one random bit per element beyond.
          const size_t b = n <= 24 ? bit : random.NextUint64() % 256;
          std::vector<Hash> tampered = proof;
          tampered[e] = FlipBit(tampered[e], b);
          ASSERT_FALSE(VerifyInclusion(leaf, i, n, tampered, root).ok()) << i << " in " << n;
          if (n > 24) break;
        }
      }
      EXPECT_FALSE(VerifyInclusion(FlipBit(leaf, 0), i, n, proof, root).ok());
      EXPECT_FALSE(VerifyInclusion(leaf, i, n, proof, FlipBit(root, 255)).ok());
      std::vector<Hash> longer = proof;
      longer.push_back(root);
      EXPECT_FALSE(VerifyInclusion(leaf, i, n, longer, root).ok());
      longer.insert(longer.begin(), leaf);
      longer.pop_back();
      EXPECT_FALSE(VerifyInclusion(leaf, i, n, longer, root).ok());
      if (!proof.empty()) {
        EXPECT_FALSE(
            VerifyInclusion(leaf, i, n, std::span(proof).first(proof.size() - 1), root).ok());
        EXPECT_FALSE(VerifyInclusion(leaf, i, n, std::span(proof).subspan(1), root).ok());
      }
      for (uint64_t other = 0; other < n + 2; ++other) {
        if (other == i) continue;
        EXPECT_FALSE(VerifyInclusion(leaf, other, n, proof, root).ok()) << i << "->" << other;
      }
    }
  }
}

TEST_F(MerklePropertyTest, EveryConsistencyProofVerifies) {
  MemoryTree& tree = *tree_;
  for (uint64_t new_size = 1; new_size <= 70; ++new_size) {
    const Hash new_root = Mth(tree.prefix(new_size));
    tree.set_limit(new_size);
    for (uint64_t old_size = 1; old_size <= new_size; ++old_size) {
      const Hash old_root = Mth(tree.prefix(old_size));
      StatusOr<std::vector<Hash>> proof = ConsistencyProof(tree, old_size, new_size);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_LE(tree.TakeReads(), ReadBudget(new_size));
      EXPECT_EQ(*proof, Subproof(old_size, tree.prefix(new_size), true))
          << old_size << " -> " << new_size;
      Status verified = VerifyConsistency(old_size, new_size, *proof, old_root, new_root);
      EXPECT_TRUE(verified.ok()) << old_size << " -> " << new_size << ": " << verified.ToString();
    }
  }
  // A few long-range proofs in the bigger trees.
  for (auto [old_size, new_size] : std::vector<std::pair<uint64_t, uint64_t>>{
           {1, 4097}, {1000, 4097}, {1024, 4097}, {4096, 4097}, {300, 1000}, {999, 1000}}) {
    tree.set_limit(new_size);
    StatusOr<std::vector<Hash>> proof = ConsistencyProof(tree, old_size, new_size);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_LE(tree.TakeReads(), ReadBudget(new_size));
    EXPECT_TRUE(VerifyConsistency(old_size, new_size, *proof, Mth(tree.prefix(old_size)),
                                  Mth(tree.prefix(new_size)))
                    .ok())
        << old_size << " -> " << new_size;
  }
}

TEST_F(MerklePropertyTest, TamperedConsistencyProofsFail) {
  MemoryTree& tree = *tree_;
  FakeRandom random(9);
  for (uint64_t new_size = 2; new_size <= 70; ++new_size) {
    const Hash new_root = Mth(tree.prefix(new_size));
    tree.set_limit(new_size);
    for (uint64_t old_size = 1; old_size < new_size; ++old_size) {
      const Hash old_root = Mth(tree.prefix(old_size));
      StatusOr<std::vector<Hash>> generated = ConsistencyProof(tree, old_size, new_size);
      ASSERT_TRUE(generated.ok());
      const std::vector<Hash>& proof = *generated;
      for (size_t e = 0; e < proof.size(); ++e) {
        for (size_t bit = 0; bit < 256; ++bit) {
          const size_t b = new_size <= 16 ? bit : random.NextUint64() % 256;
          std::vector<Hash> tampered = proof;
          tampered[e] = FlipBit(tampered[e], b);
          ASSERT_FALSE(VerifyConsistency(old_size, new_size, tampered, old_root, new_root).ok())
              << old_size << " -> " << new_size << " element " << e << " bit " << b;
          if (new_size > 16) break;
        }
      }
      EXPECT_FALSE(
          VerifyConsistency(old_size, new_size, proof, FlipBit(old_root, 3), new_root).ok());
      EXPECT_FALSE(
          VerifyConsistency(old_size, new_size, proof, old_root, FlipBit(new_root, 3)).ok());
      EXPECT_FALSE(VerifyConsistency(old_size, new_size, proof, new_root, old_root).ok());
      EXPECT_FALSE(VerifyConsistency(old_size, new_size, {}, old_root, new_root).ok());
      std::vector<Hash> longer = proof;
      longer.push_back(new_root);
      EXPECT_FALSE(VerifyConsistency(old_size, new_size, longer, old_root, new_root).ok());
      longer.pop_back();
      longer.insert(longer.begin(), old_root);
      EXPECT_FALSE(VerifyConsistency(old_size, new_size, longer, old_root, new_root).ok());
      EXPECT_FALSE(VerifyConsistency(old_size, new_size, std::span(proof).first(proof.size() - 1),
                                     old_root, new_root)
                       .ok());
      EXPECT_FALSE(VerifyConsistency(new_size, old_size, proof, new_root, old_root).ok());
    }
  }
}

TEST_F(MerklePropertyTest, CompactRangeMatchesTreeAtEverySize) {
  MemoryTree& tree = *tree_;
  MerkleHasher hasher;
  CompactRange range;
  for (uint64_t n = 1; n <= tree.size(); ++n) {
    std::vector<std::tuple<int, uint64_t, Hash>> reported;
    range.Append(hasher, tree.leaves()[n - 1], [&](int level, uint64_t index, const Hash& hash) {
      reported.emplace_back(level, index, hash);
    });
    ASSERT_EQ(range.size(), n);

    // The nodes completed by leaf n - 1 are those ending at n: one per trailing zero of n, plus
    // the leaf, smallest first.
    std::vector<std::tuple<int, uint64_t, Hash>> completed;
    for (int level = 0; level <= std::countr_zero(n); ++level) {
      const uint64_t index = (n >> level) - 1;
      completed.emplace_back(level, index, tree.node(level, index));
    }
    EXPECT_EQ(reported, completed) << "size " << n;

    if (n > kSmall && n != 1000 && n != tree.size()) continue;
    tree.set_limit(n);
    StatusOr<Hash> root = ComputeRoot(tree, n);
    ASSERT_TRUE(root.ok());
    tree.TakeReads();
    EXPECT_EQ(range.Root(hasher), *root) << "size " << n;
    EXPECT_EQ(*root, Mth(tree.prefix(n)));

    StatusOr<CompactRange> rebuilt = CompactRange::FromReader(tree, n);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
    EXPECT_EQ(tree.TakeReads(), std::popcount(n));
    EXPECT_EQ(rebuilt->size(), n);
    EXPECT_EQ(rebuilt->Root(hasher), *root) << "size " << n;
    if (n < tree.size()) {
      // The rebuilt edge carries on exactly like the original.
      rebuilt->Append(hasher, tree.leaves()[n]);
      EXPECT_EQ(rebuilt->Root(hasher), Mth(tree.prefix(n + 1))) << "size " << n + 1;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sizes near 2^64, on a tree whose leaves are all equal so that every node of a level has the same
// hash and any size is cheap.

class UniformTree final : public NodeReader {
 public:
  explicit UniformTree(uint64_t limit) : limit_(limit) {
    levels_[0] = HashLeaf(AsBytes("the same entry everywhere"));
    for (size_t level = 1; level < levels_.size(); ++level) {
      levels_[level] = HashChildren(levels_[level - 1], levels_[level - 1]);
    }
  }

  StatusOr<Hash> ReadNode(int level, uint64_t index) override {
    reads_.emplace_back(level, index);
    if (level < 0 || level >= 64 || index >= (limit_ >> level)) {
      ADD_FAILURE() << "read of node (" << level << ", " << index << ") outside the tree of "
                    << limit_;
      return OutOfRangeError("node outside the tree");
    }
    return levels_[static_cast<size_t>(level)];
  }

  std::vector<std::pair<int, uint64_t>> TakeReads() { return std::exchange(reads_, {}); }

 private:
  std::array<Hash, 64> levels_;
  uint64_t limit_;
  std::vector<std::pair<int, uint64_t>> reads_;
};

constexpr uint64_t kMax = ~uint64_t{0};
constexpr uint64_t kHugeSizes[] = {uint64_t{1} << 63, (uint64_t{1} << 63) + 1,
                                   (uint64_t{1} << 40) + 12345, kMax - 1, kMax};

TEST(MerkleHugeTreeTest, CompactRangeFromReader) {
  MerkleHasher hasher;
  for (uint64_t size : kHugeSizes) {
    UniformTree tree(size);
    StatusOr<Hash> root = ComputeRoot(tree, size);
    ASSERT_TRUE(root.ok());
    tree.TakeReads();
    StatusOr<CompactRange> range = CompactRange::FromReader(tree, size);
    ASSERT_TRUE(range.ok());
    EXPECT_EQ(range->size(), size);
    EXPECT_EQ(range->Root(hasher), *root) << size;
    // One node per set bit, largest first, each starting where the previous one ended.
    const std::vector<std::pair<int, uint64_t>> reads = tree.TakeReads();
    ASSERT_EQ(reads.size(), static_cast<size_t>(std::popcount(size)));
    uint64_t begin = 0;
    for (auto [level, index] : reads) {
      EXPECT_NE(size & (uint64_t{1} << level), 0u);
      EXPECT_EQ(index << level, begin);
      begin += uint64_t{1} << level;
    }
    EXPECT_EQ(begin, size);
  }
}

TEST(MerkleHugeTreeTest, ProofsVerify) {
  for (uint64_t size : kHugeSizes) {
    UniformTree tree(size);
    StatusOr<Hash> root = ComputeRoot(tree, size);
    ASSERT_TRUE(root.ok());
    for (uint64_t index : {uint64_t{0}, uint64_t{1}, size / 2, size - 2, size - 1}) {
      tree.TakeReads();
      StatusOr<std::vector<Hash>> proof = InclusionProof(tree, index, size);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_LE(tree.TakeReads().size(), static_cast<size_t>(ReadBudget(size)));
      EXPECT_TRUE(VerifyInclusion(HashLeaf(AsBytes("the same entry everywhere")), index, size,
                                  *proof, *root)
                      .ok())
          << index << " in " << size;
    }
    for (uint64_t old_size : kHugeSizes) {
      if (old_size > size) continue;
      StatusOr<Hash> old_root = ComputeRoot(tree, old_size);
      ASSERT_TRUE(old_root.ok());
      tree.TakeReads();
      StatusOr<std::vector<Hash>> proof = ConsistencyProof(tree, old_size, size);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_LE(tree.TakeReads().size(), static_cast<size_t>(ReadBudget(size)));
      EXPECT_TRUE(VerifyConsistency(old_size, size, *proof, *old_root, *root).ok())
          << old_size << " -> " << size;
    }
  }
}

TEST(CompactRangeTest, EmptyAndFromEmptyReader) {
  MerkleHasher hasher;
  EXPECT_EQ(CompactRange().Root(hasher), EmptyTreeRoot());
  EXPECT_EQ(CompactRange().size(), 0u);
  FailingReader reader;
  StatusOr<CompactRange> empty = CompactRange::FromReader(reader, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->Root(hasher), EmptyTreeRoot());
}

// ---------------------------------------------------------------------------------------------
// Refusals.

TEST(MerkleErrorTest, GeneratorsRefuseBadSizes) {
  MemoryTree tree(RandomLeaves(8, 3));
  EXPECT_EQ(InclusionProof(tree, 0, 0).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(InclusionProof(tree, 8, 8).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(InclusionProof(tree, 9, 8).status().code(), StatusCode::kOutOfRange);
  StatusOr<std::vector<Hash>> single = InclusionProof(tree, 0, 1);
  ASSERT_TRUE(single.ok());
  EXPECT_TRUE(single->empty());

  EXPECT_EQ(ConsistencyProof(tree, 0, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(tree, 0, 5).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(tree, 6, 5).status().code(), StatusCode::kInvalidArgument);
  for (uint64_t n = 1; n <= 8; ++n) {
    StatusOr<std::vector<Hash>> same = ConsistencyProof(tree, n, n);
    ASSERT_TRUE(same.ok());
    EXPECT_TRUE(same->empty());
  }
  EXPECT_EQ(tree.TakeReads(), 0);
}

TEST(MerkleErrorTest, ReaderErrorsPropagate) {
  FailingReader reader;
  EXPECT_EQ(ComputeRoot(reader, 5).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ComputeSubtreeRoot(reader, 4, 6).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(InclusionProof(reader, 3, 5).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ConsistencyProof(reader, 3, 5).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(CompactRange::FromReader(reader, 5).status().code(), StatusCode::kDataLoss);
}

TEST(MerkleErrorTest, VerifyInclusionRefusals) {
  const std::vector<Hash> leaves = RandomLeaves(2, 4);
  const Hash root = HashChildren(leaves[0], leaves[1]);
  const std::vector<Hash> proof = {leaves[1]};
  ASSERT_TRUE(VerifyInclusion(leaves[0], 0, 2, proof, root).ok());
  auto code = [](const Status& status) { return status.code(); };
  EXPECT_EQ(code(VerifyInclusion(leaves[0], 2, 2, proof, root)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(VerifyInclusion(leaves[0], 0, 0, {}, EmptyTreeRoot())),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(VerifyInclusion(leaves[0], 0, 2, {}, root)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(VerifyInclusion(leaves[0], 0, 1, proof, root)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(VerifyInclusion(leaves[0], 0, 1, {}, root)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(VerifyInclusion(leaves[0], 0, 1, {}, leaves[0])), StatusCode::kOk);
  EXPECT_EQ(RootFromInclusionProof(leaves[0], 5, 5, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RootFromInclusionProof(leaves[0], 0, 4, proof).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RootFromInclusionProof(leaves[0], 0, 1, proof).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(MerkleErrorTest, VerifyConsistencyRefusals) {
  const std::vector<Hash> leaves = RandomLeaves(2, 5);
  const Hash& root1 = leaves[0];
  const Hash root2 = HashChildren(leaves[0], leaves[1]);
  const std::vector<Hash> proof = {leaves[1]};
  ASSERT_TRUE(VerifyConsistency(1, 2, proof, root1, root2).ok());
  auto code = [](const Status& status) { return status.code(); };
  // RFC 9162: nothing is consistent with the empty tree, not even the empty tree.
  EXPECT_EQ(code(VerifyConsistency(0, 2, {}, EmptyTreeRoot(), root2)),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(VerifyConsistency(0, 0, {}, EmptyTreeRoot(), EmptyTreeRoot())),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(VerifyConsistency(2, 1, proof, root2, root1)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(VerifyConsistency(2, 2, {}, root2, root2)), StatusCode::kOk);
  EXPECT_EQ(code(VerifyConsistency(2, 2, proof, root2, root2)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(VerifyConsistency(2, 2, {}, root2, root1)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(VerifyConsistency(1, 2, {}, root1, root2)), StatusCode::kInvalidArgument);
  const std::vector<Hash> longer = {leaves[1], leaves[1]};
  EXPECT_EQ(code(VerifyConsistency(1, 2, longer, root1, root2)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(VerifyConsistency(1, 3, proof, root1, root2)), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace quartet::ledger

#include "ledger/receipt.h"

#include <bit>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ledger/merkle.h"

namespace quartet::ledger {
namespace {

constexpr std::string_view kOrigin = "example.com/fancylog";

// RFC 6962 section 2.1 straight from its recursive definitions, as an independent reference.
Hash TreeHash(std::span<const Hash> leaves) {
  if (leaves.size() == 1) return leaves[0];
  const size_t k = std::bit_floor(leaves.size() - 1);
  return HashChildren(TreeHash(leaves.first(k)), TreeHash(leaves.subspan(k)));
}

std::vector<Hash> AuditPath(size_t m, std::span<const Hash> leaves) {
  if (leaves.size() == 1) return {};
  const size_t k = std::bit_floor(leaves.size() - 1);
  std::vector<Hash> path;
  if (m < k) {
    path = AuditPath(m, leaves.first(k));
    path.push_back(TreeHash(leaves.subspan(k)));
  } else {
    path = AuditPath(m - k, leaves.subspan(k));
    path.push_back(TreeHash(leaves.first(k)));
  }
  return path;
}

std::string EntryAt(size_t i) { return "entry " + std::to_string(i); }

NoteVerifier VerifierOf(const NoteSigner& signer) {
  return *NoteVerifier::Parse(signer.VerifierKeyString());
}

// A log of `size` entries, its key, three witnesses and receipts for its entries.
class ReceiptTest : public ::testing::Test {
 protected:
  ReceiptTest() : random_(2024) {
    log_ = *NoteSigner::Generate(kOrigin, SignatureType::kEd25519, random_);
    for (int i = 0; i < 3; ++i) {
      witnesses_.push_back(*NoteSigner::Generate("witness" + std::to_string(i) + ".example",
                                                 SignatureType::kCosignatureV1, random_));
    }
  }

  void Grow(size_t size) {
    leaves_.clear();
    for (size_t i = 0; i < size; ++i) leaves_.push_back(HashLeaf(AsBytes(EntryAt(i))));
  }

  Checkpoint CurrentCheckpoint(std::string_view origin = kOrigin) const {
    Checkpoint checkpoint;
    checkpoint.origin = std::string(origin);
    checkpoint.size = leaves_.size();
    checkpoint.root = TreeHash(leaves_);
    return checkpoint;
  }

  // The checkpoint signed by the log and cosigned by the first `cosigners` witnesses.
  std::string SignedNote(const Checkpoint& checkpoint, size_t cosigners) const {
    const std::string text = checkpoint.Text();
    std::string note = text + "\n" + log_.SignatureLine(text);
    for (size_t i = 0; i < cosigners; ++i)
      note += witnesses_[i].SignatureLine(text, 1700000000 + i);
    return note;
  }

  Receipt MakeReceipt(size_t index, size_t cosigners = 3) const {
    Receipt receipt;
    receipt.index = index;
    receipt.proof = AuditPath(index, leaves_);
    receipt.checkpoint_note = SignedNote(CurrentCheckpoint(), cosigners);
    return receipt;
  }

  ReceiptPolicy Policy(size_t required) const {
    ReceiptPolicy policy;
    policy.origin = std::string(kOrigin);
    policy.log_key = VerifierOf(log_);
    for (const NoteSigner& witness : witnesses_) policy.witnesses.push_back(VerifierOf(witness));
    policy.witnesses_required = required;
    return policy;
  }

  FakeRandom random_;
  NoteSigner log_;
  std::vector<NoteSigner> witnesses_;
  std::vector<Hash> leaves_;
};

// A receipt built independently with Python (hashlib, `cryptography`) for this test: entries
// "entry 0".."entry 2", index 1, the log key is the RFC 8032 TEST 2 seed (type 0x01) and the
// witness the TEST 1 seed (type 0x04, timestamp 1700000000).
constexpr std::string_view kPythonReceipt =
    "c2sp.org/tlog-proof@v1\n"
    "index 1\n"
    "dziFphNIniTOLPdhmdakI/BC5LvxLX7s7pEu8nbGVwE=\n"
    "V8efTzGuApxdS9MLBzwnyU35NDiytGl+Hh7vW8A5SkE=\n"
    "\n"
    "example.com/behind-the-sofa\n"
    "3\n"
    "lPvQ3YNvUDAWkubQ6t5yjuGexSv/8WBu2AfIV11aqhk=\n"
    "\n"
    "\xE2\x80\x94 example.com/behind-the-sofa "
    "N7xU19jCVHnK693Fn8YkMpVOw3hGqvQAOLkTV10bhT9rN9qq2c5M3lxu9Kcr6tBmTAGB0qj4/B23c9VqjXpQquMYyQg=\n"
    "\xE2\x80\x94 witness.example.com/w1 "
    "fm9KqgAAAABlU/"
    "EAQbpo6nwWOiXtYR1Si73BcsEuFEGYFJjhN66iCckhiY5qq5YFic4+cWgSvnbTSyhcyniC5B5YlAYV9dys"
    "nkwSCQ==\n";

TEST(ReceiptVectorTest, VerifiesReceiptMadeElsewhere) {
  ReceiptPolicy policy;
  policy.origin = "example.com/behind-the-sofa";
  policy.log_key = *NoteVerifier::Parse(
      "example.com/behind-the-sofa+37bc54d7+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM");
  policy.witnesses = {*NoteVerifier::Parse(
      "witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea")};
  policy.witnesses_required = 1;
  StatusOr<Receipt> receipt = Receipt::Parse(kPythonReceipt);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_FALSE(receipt->extra.has_value());
  EXPECT_EQ(receipt->index, 1u);
  EXPECT_EQ(receipt->proof.size(), 2u);
  EXPECT_EQ(receipt->Format(), kPythonReceipt);
  StatusOr<Checkpoint> checkpoint = VerifyReceipt(*receipt, AsBytes(EntryAt(1)), policy);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
  EXPECT_EQ(checkpoint->size, 3u);
  EXPECT_EQ(checkpoint->root,
            TreeHash(std::vector{HashLeaf(AsBytes(EntryAt(0))), HashLeaf(AsBytes(EntryAt(1))),
                                 HashLeaf(AsBytes(EntryAt(2)))}));
  EXPECT_FALSE(VerifyReceipt(*receipt, AsBytes(EntryAt(0)), policy).ok());
  EXPECT_FALSE(VerifyReceipt(*receipt, AsBytes(EntryAt(2)), policy).ok());
  policy.witnesses_required = 0;
  policy.witnesses.clear();
  EXPECT_TRUE(VerifyReceipt(*receipt, AsBytes(EntryAt(1)), policy).ok());
}

TEST_F(ReceiptTest, FormatMatchesTheSpecLayout) {
  Grow(4);
  Receipt receipt = MakeReceipt(2);
  receipt.extra = Bytes{'h', 'i'};
  ASSERT_EQ(receipt.proof.size(), 2u);
  const std::string expected = "c2sp.org/tlog-proof@v1\nextra aGk=\nindex 2\n" +
                               Base64Encode(receipt.proof[0]) + "\n" +
                               Base64Encode(receipt.proof[1]) + "\n\n" + receipt.checkpoint_note;
  EXPECT_EQ(receipt.Format(), expected);
}

TEST_F(ReceiptTest, ParseRoundTrips) {
  Grow(13);
  for (bool with_extra : {false, true}) {
    Receipt receipt = MakeReceipt(5);
    // The extra data of the spec's example.
    if (with_extra)
      receipt.extra = *Base64Decode("YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ");
    const std::string text = receipt.Format();
    StatusOr<Receipt> parsed = Receipt::Parse(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->extra, receipt.extra);
    EXPECT_EQ(parsed->index, 5u);
    EXPECT_EQ(parsed->proof, receipt.proof);
    EXPECT_EQ(parsed->checkpoint_note, receipt.checkpoint_note);
    EXPECT_EQ(parsed->Format(), text);
  }
}

TEST_F(ReceiptTest, EmptyProofAndEmptyExtra) {
  Grow(1);
  Receipt receipt = MakeReceipt(0);
  receipt.extra = Bytes{};
  EXPECT_TRUE(receipt.proof.empty());
  const std::string text = receipt.Format();
  EXPECT_TRUE(text.starts_with("c2sp.org/tlog-proof@v1\nextra \nindex 0\n\n"));
  StatusOr<Receipt> parsed = Receipt::Parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_TRUE(parsed->extra.has_value());
  EXPECT_TRUE(parsed->extra->empty());
  EXPECT_TRUE(VerifyReceipt(*parsed, AsBytes(EntryAt(0)), Policy(3)).ok());
}

TEST_F(ReceiptTest, ParseRefusesMalformedReceipts) {
  Grow(4);
  const Receipt receipt = MakeReceipt(1);
  const std::string note = receipt.checkpoint_note;
  const std::string h0 = Base64Encode(receipt.proof[0]);
  const std::string h1 = Base64Encode(receipt.proof[1]);
  std::string h1_high = h1;  // libsodium 1.0.18 decodes bytes from 0x80 up as '/'
  h1_high[0] = '\xBF';
  const std::string head = "c2sp.org/tlog-proof@v1\n";
  std::string too_long = head + "index 1\n";
  for (int i = 0; i < 65; ++i) too_long += h0 + "\n";
  const std::vector<std::string> bad = {
      "",
      "c2sp.org/tlog-proof@v2\nindex 1\n" + h0 + "\n" + h1 + "\n\n" + note,
      "C2SP.org/tlog-proof@v1\nindex 1\n" + h0 + "\n" + h1 + "\n\n" + note,
      "c2sp.org/tlog-proof@v1",
      head,
      head + "index 1\n" + h0 + "\n" + h1 + "\n",                          // no blank line, no note
      head + "index 1\n" + h0 + "\n" + h1 + "\n\n",                        // no note
      head + "index 1\n" + h0 + "\n" + h1 + note,                          // no blank line
      head + "\nindex 1\n" + h0 + "\n" + h1 + "\n\n" + note,               // blank line first
      head + "index 01\n" + h0 + "\n" + h1 + "\n\n" + note,                // leading zero
      head + "index -1\n" + h0 + "\n" + h1 + "\n\n" + note,                // sign
      head + "index \n" + h0 + "\n" + h1 + "\n\n" + note,                  // no number
      head + "index  1\n" + h0 + "\n" + h1 + "\n\n" + note,                // two spaces
      head + "Index 1\n" + h0 + "\n" + h1 + "\n\n" + note,                 // capital
      head + "index 18446744073709551616\n\n" + note,                      // overflow
      head + "extra !!\nindex 1\n" + h0 + "\n" + h1 + "\n\n" + note,       // bad extra base64
      head + "extra aGk\nindex 1\n" + h0 + "\n" + h1 + "\n\n" + note,      // missing padding
      head + "extra aGk=\n" + h0 + "\n" + h1 + "\n\n" + note,              // no index
      head + "index 1\nextra aGk=\n" + h0 + "\n" + h1 + "\n\n" + note,     // extra after index
      head + "index 1\n" + h0.substr(1) + "\n" + h1 + "\n\n" + note,       // bad hash base64
      head + "extra \xBF/8=\nindex 1\n" + h0 + "\n" + h1 + "\n\n" + note,  // 0xBF for '/'
      head + "index 1\n" + h0 + "\n" + h1_high + "\n\n" + note,            // 0xBF, read as '/'
      head + "index 1\n" + Base64Encode(Bytes(31)) + "\n\n" + note,        // short hash
      head + "index 1\n" + Base64Encode(Bytes(64)) + "\n\n" + note,        // long hash
      too_long + "\n" + note,                                              // 65 hashes
      head + "index 1\n" + h0 + "\n" + h1 + "\n\n" + note.substr(0, note.size() - 1),
      head + "index 1\n" + h0 + "\n" + h1 + "\n\n" + CurrentCheckpoint().Text(),  // unsigned
      head + "index 1\n" + h0 + "\n" + h1 + "\n\nnot a checkpoint\n\n" +
          log_.SignatureLine("not a checkpoint\n"),
  };
  for (const std::string& text : bad) EXPECT_FALSE(Receipt::Parse(text).ok()) << text;
}

TEST_F(ReceiptTest, VerifiesEveryEntryOfManyTreeSizes) {
  for (size_t size : {1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 31, 33}) {
    Grow(size);
    for (size_t index = 0; index < size; ++index) {
      StatusOr<Receipt> receipt = Receipt::Parse(MakeReceipt(index, 2).Format());
      ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
      StatusOr<Checkpoint> checkpoint = VerifyReceipt(*receipt, AsBytes(EntryAt(index)), Policy(2));
      ASSERT_TRUE(checkpoint.ok())
          << size << " " << index << ": " << checkpoint.status().ToString();
      EXPECT_EQ(checkpoint->size, size);
      EXPECT_EQ(checkpoint->origin, kOrigin);
    }
  }
}

TEST_F(ReceiptTest, WrongIndexOrEntryIsRefused) {
  Grow(13);
  const Receipt receipt = MakeReceipt(5);
  ASSERT_TRUE(VerifyReceipt(receipt, AsBytes(EntryAt(5)), Policy(2)).ok());
  EXPECT_FALSE(VerifyReceipt(receipt, AsBytes(EntryAt(6)), Policy(2)).ok());
  EXPECT_FALSE(VerifyReceipt(receipt, AsBytes(std::string("entry 5 ")), Policy(2)).ok());
  for (uint64_t index : {uint64_t{4}, uint64_t{6}, uint64_t{13}, uint64_t{21}, UINT64_MAX}) {
    Receipt moved = receipt;
    moved.index = index;
    EXPECT_FALSE(VerifyReceipt(moved, AsBytes(EntryAt(5)), Policy(2)).ok()) << index;
  }
}

TEST_F(ReceiptTest, TamperedProofIsRefused) {
  Grow(13);
  const Receipt receipt = MakeReceipt(5);
  for (size_t i = 0; i < receipt.proof.size(); ++i) {
    Receipt tampered = receipt;
    tampered.proof[i][0] ^= 1;
    EXPECT_FALSE(VerifyReceipt(tampered, AsBytes(EntryAt(5)), Policy(2)).ok());
  }
  Receipt shorter = receipt;
  shorter.proof.pop_back();
  EXPECT_FALSE(VerifyReceipt(shorter, AsBytes(EntryAt(5)), Policy(2)).ok());
  Receipt longer = receipt;
  longer.proof.push_back(receipt.proof[0]);
  EXPECT_FALSE(VerifyReceipt(longer, AsBytes(EntryAt(5)), Policy(2)).ok());
}

TEST_F(ReceiptTest, WrongOriginIsRefused) {
  Grow(5);
  Receipt receipt = MakeReceipt(1);
  ReceiptPolicy policy = Policy(2);
  policy.origin = "example.com/otherlog";
  EXPECT_EQ(VerifyReceipt(receipt, AsBytes(EntryAt(1)), policy).status().code(),
            StatusCode::kInvalidArgument);
  // A checkpoint for another origin, validly signed by the same key.
  receipt.checkpoint_note = SignedNote(CurrentCheckpoint("example.com/otherlog"), 3);
  EXPECT_FALSE(VerifyReceipt(receipt, AsBytes(EntryAt(1)), Policy(2)).ok());
}

TEST_F(ReceiptTest, InsufficientCosignaturesAreRefused) {
  Grow(5);
  for (size_t cosigners = 0; cosigners <= 3; ++cosigners) {
    const Receipt receipt = MakeReceipt(1, cosigners);
    for (size_t required = 0; required <= 3; ++required) {
      const StatusOr<Checkpoint> result =
          VerifyReceipt(receipt, AsBytes(EntryAt(1)), Policy(required));
      EXPECT_EQ(result.ok(), cosigners >= required) << cosigners << " of " << required;
    }
  }
  // More required than named is a policy error.
  EXPECT_FALSE(VerifyReceipt(MakeReceipt(1), AsBytes(EntryAt(1)), Policy(4)).ok());
}

TEST_F(ReceiptTest, RepeatedOrUnlistedCosignaturesDoNotCount) {
  Grow(5);
  const Checkpoint checkpoint = CurrentCheckpoint();
  const std::string text = checkpoint.Text();
  Receipt receipt = MakeReceipt(1);
  // Witness 0 cosigns three times, and a stranger cosigns: one listed witness.
  NoteSigner stranger =
      *NoteSigner::Generate("stranger.example", SignatureType::kCosignatureV1, random_);
  receipt.checkpoint_note = text + "\n" + log_.SignatureLine(text) +
                            witnesses_[0].SignatureLine(text, 1) +
                            witnesses_[0].SignatureLine(text, 2) +
                            witnesses_[0].SignatureLine(text, 3) + stranger.SignatureLine(text, 4);
  EXPECT_TRUE(VerifyReceipt(receipt, AsBytes(EntryAt(1)), Policy(1)).ok());
  EXPECT_FALSE(VerifyReceipt(receipt, AsBytes(EntryAt(1)), Policy(2)).ok());
  // Listing witness 0 twice in the policy does not make it count twice.
  ReceiptPolicy policy = Policy(2);
  policy.witnesses = {policy.witnesses[0], policy.witnesses[0]};
  EXPECT_FALSE(VerifyReceipt(receipt, AsBytes(EntryAt(1)), policy).ok());
  // Nor does listing the log's own key as a witness.
  policy.witnesses = {policy.witnesses[0], VerifierOf(log_)};
  EXPECT_FALSE(VerifyReceipt(receipt, AsBytes(EntryAt(1)), policy).ok());
}

TEST_F(ReceiptTest, LogSignatureIsRequired) {
  Grow(5);
  const std::string text = CurrentCheckpoint().Text();
  Receipt receipt = MakeReceipt(1);
  // Cosigned by all witnesses but not signed by the log.
  receipt.checkpoint_note = text + "\n";
  for (const NoteSigner& witness : witnesses_)
    receipt.checkpoint_note += witness.SignatureLine(text, 5);
  EXPECT_EQ(VerifyReceipt(receipt, AsBytes(EntryAt(1)), Policy(3)).status().code(),
            StatusCode::kUnauthenticated);
  // Signed by another key with the log's name.
  NoteSigner impostor = *NoteSigner::Generate(kOrigin, SignatureType::kEd25519, random_);
  receipt.checkpoint_note = text + "\n" + impostor.SignatureLine(text);
  for (const NoteSigner& witness : witnesses_)
    receipt.checkpoint_note += witness.SignatureLine(text, 5);
  EXPECT_FALSE(VerifyReceipt(receipt, AsBytes(EntryAt(1)), Policy(3)).ok());
}

TEST_F(ReceiptTest, BadSignatureFromAKnownKeyIsRefused) {
  Grow(5);
  const std::string text = CurrentCheckpoint().Text();
  Receipt receipt = MakeReceipt(1);
  // Witness 2's cosignature is over another checkpoint: it fails, so the whole note is refused.
  Checkpoint other = CurrentCheckpoint();
  other.root[0] ^= 1;
  receipt.checkpoint_note =
      text + "\n" + log_.SignatureLine(text) + witnesses_[0].SignatureLine(text, 1) +
      witnesses_[1].SignatureLine(text, 1) + witnesses_[2].SignatureLine(other.Text(), 1);
  EXPECT_EQ(VerifyReceipt(receipt, AsBytes(EntryAt(1)), Policy(2)).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(ReceiptTest, TamperedCheckpointIsRefused) {
  Grow(5);
  Receipt receipt = MakeReceipt(1);
  const size_t newline = receipt.checkpoint_note.find('\n');
  receipt.checkpoint_note[newline + 1] = '6';  // the size line: 5 -> 6
  EXPECT_FALSE(VerifyReceipt(receipt, AsBytes(EntryAt(1)), Policy(0)).ok());
}

}  // namespace
}  // namespace quartet::ledger

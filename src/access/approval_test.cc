#include "access/approval.h"

#include <gtest/gtest.h>

#include "base/random.h"

namespace quartet::access {
namespace {

constexpr std::string_view kRequest = R"({"client":"acme","id":"g-1","reason":"patching"})";

Bytes Hex(std::string_view hex) { return *HexDecode(hex); }

// RFC 8032 section 7.1, test 1: an Ed25519 key pair that any implementation (WebCrypto in the
// owner's browser among them) derives the same way.
const Bytes kRfc8032Seed = Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const Bytes kRfc8032PublicKey =
    Hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");

TEST(ApprovalTest, TheSignedMessageNamesTheDecisionAndTheWholeRequest) {
  EXPECT_EQ(OwnerDecisionMessage(OwnerDecision::kApprove, kRequest),
            std::string("quartet-owner-decision/v1\napprove\n") + std::string(kRequest));
  EXPECT_EQ(OwnerDecisionMessage(OwnerDecision::kDeny, kRequest),
            std::string("quartet-owner-decision/v1\ndeny\n") + std::string(kRequest));
}

TEST(ApprovalTest, KeysAreStandardEd25519AndNamedByTheirHash) {
  auto signer = OwnerSigner::FromSeed(kRfc8032Seed);
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_EQ(signer->key().public_key, kRfc8032PublicKey);
  EXPECT_EQ(signer->Seed(), kRfc8032Seed);
  // The first 8 bytes of SHA-256 of the public key.
  EXPECT_EQ(signer->key().Id(), "21fe31dfa154a261");
  EXPECT_EQ(OwnerSigner::FromSeed(Bytes(31, 1)).status().code(), StatusCode::kInvalidArgument);
}

TEST(ApprovalTest, AKeyMadeFromItsSeedIsTheSameKey) {
  FakeRandom random(3);
  const OwnerSigner generated = OwnerSigner::Generate(random);
  auto restored = OwnerSigner::FromSeed(generated.Seed());
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->key().public_key, generated.key().public_key);
  // Ed25519 signatures are deterministic: the same key signs the same message the same way.
  EXPECT_EQ(restored->Sign(OwnerDecision::kApprove, kRequest),
            generated.Sign(OwnerDecision::kApprove, kRequest));
  FakeRandom other(4);
  EXPECT_NE(OwnerSigner::Generate(other).key().public_key, generated.key().public_key);
}

TEST(ApprovalTest, OnlyAValidPointIsAnOwnerKey) {
  EXPECT_TRUE(OwnerKey::FromPublicKey(kRfc8032PublicKey).ok());
  EXPECT_EQ(OwnerKey::FromPublicKey(Bytes(31, 1)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OwnerKey::FromPublicKey(Bytes(33, 1)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OwnerKey::FromPublicKey({}).status().code(), StatusCode::kInvalidArgument);
  // The identity point, of small order: every signature would verify under it.
  Bytes identity(32, 0);
  identity[0] = 1;
  EXPECT_EQ(OwnerKey::FromPublicKey(identity).status().code(), StatusCode::kInvalidArgument);
  // Not the encoding of any point (y >= p).
  EXPECT_EQ(OwnerKey::FromPublicKey(Bytes(32, 0xff)).status().code(), StatusCode::kInvalidArgument);
}

TEST(ApprovalTest, TheOwnersSignatureOfThisDecisionOnThisRequestVerifies) {
  const OwnerSigner owner = *OwnerSigner::FromSeed(kRfc8032Seed);
  for (OwnerDecision decision : {OwnerDecision::kApprove, OwnerDecision::kDeny}) {
    EXPECT_TRUE(
        VerifyOwnerDecision(owner.key(), decision, kRequest, owner.Sign(decision, kRequest)).ok());
  }
}

TEST(ApprovalTest, ASignatureCannotBeMovedOrForged) {
  const OwnerSigner owner = *OwnerSigner::FromSeed(kRfc8032Seed);
  const Bytes approval = owner.Sign(OwnerDecision::kApprove, kRequest);
  auto refused = [&](const OwnerKey& key, OwnerDecision decision, std::string_view request,
                     const Bytes& signature) {
    return VerifyOwnerDecision(key, decision, request, signature).code() ==
           StatusCode::kUnauthenticated;
  };
  // To the other decision, to another request, to another owner's key.
  EXPECT_TRUE(refused(owner.key(), OwnerDecision::kDeny, kRequest, approval));
  std::string other_request(kRequest);
  other_request.replace(other_request.find("g-1"), 3, "g-2");
  EXPECT_TRUE(refused(owner.key(), OwnerDecision::kApprove, other_request, approval));
  EXPECT_TRUE(refused(owner.key(), OwnerDecision::kApprove, std::string(kRequest) + " ", approval));
  FakeRandom random(5);
  EXPECT_TRUE(
      refused(OwnerSigner::Generate(random).key(), OwnerDecision::kApprove, kRequest, approval));
  // Altered, cut short, grown, or empty.
  for (size_t bit : {0u, 255u, 256u, 511u}) {
    Bytes altered = approval;
    altered[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_TRUE(refused(owner.key(), OwnerDecision::kApprove, kRequest, altered)) << bit;
  }
  EXPECT_TRUE(refused(owner.key(), OwnerDecision::kApprove, kRequest,
                      Bytes(approval.begin(), approval.end() - 1)));
  Bytes longer = approval;
  longer.push_back(0);
  EXPECT_TRUE(refused(owner.key(), OwnerDecision::kApprove, kRequest, longer));
  EXPECT_TRUE(refused(owner.key(), OwnerDecision::kApprove, kRequest, {}));
  // The same signature with S + L, the group order: valid to a lax verifier, refused here, so
  // that each decision has one signature.
  const Bytes order = Hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  Bytes malleated = approval;
  unsigned carry = 0;
  for (size_t i = 0; i < 32; ++i) {
    const unsigned sum = malleated[32 + i] + order[i] + carry;
    malleated[32 + i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
  }
  EXPECT_TRUE(refused(owner.key(), OwnerDecision::kApprove, kRequest, malleated));
  // A key that is not 32 bytes checks nothing.
  EXPECT_EQ(VerifyOwnerDecision(OwnerKey{Bytes(31, 1)}, OwnerDecision::kApprove, kRequest, approval)
                .message(),
            "malformed owner signature");
}

}  // namespace
}  // namespace quartet::access

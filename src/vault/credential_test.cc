#include "vault/credential.h"

#include <gtest/gtest.h>

#include "vault/sealing_key.h"

namespace quartet::vault {
namespace {

class CredentialTest : public ::testing::Test {
 protected:
  FakeRandom random_{3};
  HpkeKeyPair agent_ = GenerateHpkeKeyPair(random_);
  std::string sealing_key_ = SealingKeyString(agent_.public_key);
  CredentialName name_{"acme", "mail", "admin", 3};
};

TEST_F(CredentialTest, OpensForTheAgentAndTheCommitmentMatches) {
  auto sealed = SealCredential(name_, sealing_key_, "correct horse battery staple", random_);
  ASSERT_TRUE(sealed.ok()) << sealed.status().message();
  EXPECT_EQ(sealed->sealed.sealed_to, sealing_key_);
  EXPECT_EQ(sealed->commitment.size(), 64u);
  EXPECT_EQ(sealed->sealed.ciphertext.find("horse"), std::string::npos);
  auto opened = OpenCredential(name_, agent_, sealed->sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  EXPECT_EQ(opened->secret, "correct horse battery staple");
  EXPECT_EQ(opened->commitment, sealed->commitment);
  // The same secret sealed again commits differently: the salt is fresh, so equal secrets do not
  // show in the log.
  auto again = SealCredential(name_, sealing_key_, "correct horse battery staple", random_);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->commitment, sealed->commitment);
}

TEST_F(CredentialTest, ASealedSecretMovedElsewhereDoesNotOpen) {
  auto sealed = SealCredential(name_, sealing_key_, "s3cret", random_);
  ASSERT_TRUE(sealed.ok());
  for (CredentialName other :
       {CredentialName{"beta", "mail", "admin", 3}, CredentialName{"acme", "books", "admin", 3},
        CredentialName{"acme", "mail", "root", 3}, CredentialName{"acme", "mail", "admin", 4}}) {
    EXPECT_EQ(OpenCredential(other, agent_, sealed->sealed).status().code(), StatusCode::kDataLoss)
        << CredentialAad(other);
  }
  // Another agent's key, or a claim to be sealed to it, opens nothing.
  const HpkeKeyPair stranger = GenerateHpkeKeyPair(random_);
  EXPECT_FALSE(OpenCredential(name_, stranger, sealed->sealed).ok());
  SealedCredential relabelled = sealed->sealed;
  relabelled.sealed_to = SealingKeyString(stranger.public_key);
  EXPECT_FALSE(OpenCredential(name_, stranger, relabelled).ok());
  SealedCredential damaged = sealed->sealed;
  damaged.ciphertext[0] ^= 0x40;
  EXPECT_EQ(OpenCredential(name_, agent_, damaged).status().code(), StatusCode::kDataLoss);
}

TEST_F(CredentialTest, AnySecretBytesWithinTheLimit) {
  const std::string binary("\0\xff\n\"\\ key", 10);
  auto sealed = SealCredential(name_, sealing_key_, binary, random_);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(OpenCredential(name_, agent_, sealed->sealed)->secret, binary);
  EXPECT_TRUE(SealCredential(name_, sealing_key_, std::string(kMaxSecretSize, 'x'), random_).ok());
  EXPECT_EQ(SealCredential(name_, sealing_key_, std::string(kMaxSecretSize + 1, 'x'), random_)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SealCredential(name_, sealing_key_, "", random_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SealCredential(name_, "not a key", "x", random_).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SealingKeyTest, TextAndFileRoundTripAndBadKeysAreRefused) {
  FakeRandom random(9);
  const HpkeKeyPair pair = GenerateHpkeKeyPair(random);
  auto parsed = ParseSealingKey(SealingKeyString(pair.public_key));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, pair.public_key);
  auto file = ParseSealingKeyFile(SealingKeyFile(pair));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->private_key, pair.private_key);
  EXPECT_EQ(file->public_key, pair.public_key);
  EXPECT_FALSE(ParseSealingKeyFile("quartet-sealing-key/v1 AAAA\n").ok());
  EXPECT_FALSE(ParseSealingKeyFile(SealingKeyString(pair.public_key)).ok());
  EXPECT_FALSE(ParseSealingKey("AAAA").ok());
  EXPECT_FALSE(ParseSealingKey(SealingKeyString(HpkeKey{})).ok()) << "small order";
  HpkeKey order_eight{};  // a point of order 8 on Curve25519 (RFC 7748 section 5's list)
  const Bytes point =
      *HexDecode("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
  std::copy(point.begin(), point.end(), order_eight.begin());
  EXPECT_FALSE(ParseSealingKey(SealingKeyString(order_eight)).ok());
}

}  // namespace
}  // namespace quartet::vault

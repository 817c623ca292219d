#include "vault/hpke.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace quartet::vault {
namespace {

Bytes Hex(std::string_view hex) {
  auto bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.ok()) << hex;
  return bytes.ok() ? *bytes : Bytes{};
}

std::string HexOf(ByteView bytes) { return HexEncode(bytes); }
std::string HexOf(std::string_view text) { return HexEncode(AsBytes(text)); }

HpkeKey KeyOf(std::string_view hex) {
  HpkeKey key{};
  const Bytes bytes = Hex(hex);
  EXPECT_EQ(bytes.size(), key.size());
  std::copy_n(bytes.begin(), std::min(bytes.size(), key.size()), key.begin());
  return key;
}

// RFC 9180 appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode.
constexpr std::string_view kInfo = "4f6465206f6e2061204772656369616e2055726e";
constexpr std::string_view kIkmE =
    "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234";
constexpr std::string_view kPkEm =
    "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431";
constexpr std::string_view kSkEm =
    "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736";
constexpr std::string_view kIkmR =
    "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037";
constexpr std::string_view kPkRm =
    "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d";
constexpr std::string_view kSkRm =
    "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8";
constexpr std::string_view kSharedSecret =
    "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc";
constexpr std::string_view kKey = "4531685d41d65f03dc48f6b8302c05b0";
constexpr std::string_view kBaseNonce = "56d890e5accaaf011cff4b7d";
constexpr std::string_view kExporterSecret =
    "45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8";
constexpr std::string_view kPlaintext =
    "4265617574792069732074727574682c20747275746820626561757479";

// Sequence number -> ciphertext (the AAD is "Count-<n>").
const std::map<uint64_t, std::string_view>& Encryptions() {
  static const auto* encryptions = new std::map<uint64_t, std::string_view>{
      {0,
       "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512"
       "a"},
      {1,
       "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b8"
       "4"},
      {2,
       "498dfcabd92e8acedc281e85af1cb4e3e31c7dc394a1ca20e173cb72516491588d96a19ad4a683518973dcc18"
       "0"},
      {4,
       "583bd32bc67a5994bb8ceaca813d369bca7b2a42408cddef5e22f880b631215a09fc0012bc69fccaa251c0246"
       "d"},
      {255,
       "7175db9717964058640a3a11fb9007941a5d1757fda1a6935c805c21af32505bf106deefec4a49ac38d71c9e0"
       "a"},
      {256,
       "957f9800542b0b8891badb026d79cc54597cb2d225b54c00c5238c25d05c30e3fbeda97d2e0e1aba483a2df9f"
       "2"},
  };
  return *encryptions;
}

TEST(HpkeTest, DerivesTheVectorsKeyPairs) {
  auto ephemeral = DeriveHpkeKeyPair(Hex(kIkmE));
  ASSERT_TRUE(ephemeral.ok());
  EXPECT_EQ(HexOf(ephemeral->private_key), kSkEm);
  EXPECT_EQ(HexOf(ephemeral->public_key), kPkEm);
  auto recipient = DeriveHpkeKeyPair(Hex(kIkmR));
  ASSERT_TRUE(recipient.ok());
  EXPECT_EQ(HexOf(recipient->private_key), kSkRm);
  EXPECT_EQ(HexOf(recipient->public_key), kPkRm);
  EXPECT_FALSE(DeriveHpkeKeyPair(Bytes(31, 1)).ok());
}

TEST(HpkeTest, SenderFollowsTheVectorsKeyScheduleAndEncryptions) {
  const HpkeKeyPair ephemeral{KeyOf(kSkEm), KeyOf(kPkEm)};
  HpkeKey enc{};
  auto sender = HpkeContext::SetupSender(KeyOf(kPkRm), Hex(kInfo), ephemeral, enc);
  ASSERT_TRUE(sender.ok()) << sender.status().message();
  EXPECT_EQ(HexOf(enc), kPkEm);
  EXPECT_EQ(HexOf(sender->shared_secret()), kSharedSecret);
  EXPECT_EQ(HexOf(sender->key()), kKey);
  EXPECT_EQ(HexOf(sender->base_nonce()), kBaseNonce);
  EXPECT_EQ(HexOf(sender->exporter_secret()), kExporterSecret);
  const Bytes plaintext = Hex(kPlaintext);
  for (uint64_t sequence = 0; sequence <= 256; ++sequence) {
    const std::string aad = "Count-" + std::to_string(sequence);
    auto ciphertext = sender->Seal(AsBytes(aad), plaintext);
    ASSERT_TRUE(ciphertext.ok());
    auto expected = Encryptions().find(sequence);
    if (expected != Encryptions().end()) {
      EXPECT_EQ(HexOf(*ciphertext), expected->second) << sequence;
    }
  }
}

TEST(HpkeTest, RecipientOpensTheVectorsEncryptionsAndExports) {
  const HpkeKeyPair recipient{KeyOf(kSkRm), KeyOf(kPkRm)};
  auto context = HpkeContext::SetupRecipient(Hex(kPkEm), recipient, Hex(kInfo));
  ASSERT_TRUE(context.ok());
  EXPECT_EQ(HexOf(context->shared_secret()), kSharedSecret);
  // Between the vectors' messages the recipient opens the sender's, to keep in step.
  const HpkeKeyPair ephemeral{KeyOf(kSkEm), KeyOf(kPkEm)};
  HpkeKey enc{};
  auto sender = HpkeContext::SetupSender(KeyOf(kPkRm), Hex(kInfo), ephemeral, enc);
  ASSERT_TRUE(sender.ok());
  for (uint64_t sequence = 0; sequence <= 256; ++sequence) {
    const std::string aad = "Count-" + std::to_string(sequence);
    auto sealed = sender->Seal(AsBytes(aad), Hex(kPlaintext));
    ASSERT_TRUE(sealed.ok());
    auto expected = Encryptions().find(sequence);
    const Bytes ciphertext = expected == Encryptions().end() ? Bytes(sealed->begin(), sealed->end())
                                                             : Hex(expected->second);
    if (sequence == 3) {
      // One that does not open leaves the sequence where it was.
      EXPECT_EQ(context->Open(AsBytes("Count-4"), ciphertext).status().code(),
                StatusCode::kDataLoss);
    }
    auto plaintext = context->Open(AsBytes(aad), ciphertext);
    ASSERT_TRUE(plaintext.ok()) << sequence;
    EXPECT_EQ(HexOf(*plaintext), kPlaintext);
  }
  const std::map<std::string, std::string> exports = {
      {"", "3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee"},
      {"00", "2e8f0b54673c7029649d4eb9d5e33bf1872cf76d623ff164ac185da9e88c21a5"},
      {"54657374436f6e74657874",
       "e9e43065102c3836401bed8c3c3c75ae46be1639869391d62c61f1ec7af54931"},
  };
  for (const auto& [exporter_context, value] : exports) {
    auto exported = context->Export(Hex(exporter_context), 32);
    ASSERT_TRUE(exported.ok());
    EXPECT_EQ(HexOf(*exported), value) << exporter_context;
  }
}

TEST(HpkeTest, SingleShotOpensOnlyWhatWasSealedForTheKey) {
  FakeRandom random(7);
  const HpkeKeyPair agent = GenerateHpkeKeyPair(random);
  const HpkeKeyPair other = GenerateHpkeKeyPair(random);
  const std::string info = "quartet credential";
  const std::string aad = "acme/mail/admin v1";
  auto sealed =
      HpkeSeal(agent.public_key, AsBytes(info), AsBytes(aad), AsBytes("hunter2 is not it"), random);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->ciphertext.size(), 17 + kHpkeTagSize);
  EXPECT_EQ(sealed->ciphertext.find("hunter2"), std::string::npos);
  auto opened =
      HpkeOpen(agent, sealed->enc, AsBytes(info), AsBytes(aad), AsBytes(sealed->ciphertext));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "hunter2 is not it");
  // Another key, another binding (info or aad), or one flipped bit: nothing opens.
  EXPECT_FALSE(
      HpkeOpen(other, sealed->enc, AsBytes(info), AsBytes(aad), AsBytes(sealed->ciphertext)).ok());
  EXPECT_FALSE(
      HpkeOpen(agent, sealed->enc, AsBytes("other info"), AsBytes(aad), AsBytes(sealed->ciphertext))
          .ok());
  EXPECT_FALSE(HpkeOpen(agent, sealed->enc, AsBytes(info), AsBytes("acme/mail/admin v2"),
                        AsBytes(sealed->ciphertext))
                   .ok());
  std::string flipped = sealed->ciphertext;
  flipped[3] ^= 1;
  EXPECT_EQ(
      HpkeOpen(agent, sealed->enc, AsBytes(info), AsBytes(aad), AsBytes(flipped)).status().code(),
      StatusCode::kDataLoss);
  EXPECT_FALSE(HpkeOpen(agent, sealed->enc, AsBytes(info), AsBytes(aad), Bytes(3)).ok());
  // A small-order public key (here zero) is refused rather than giving an all-zero secret.
  EXPECT_FALSE(HpkeSeal(HpkeKey{}, AsBytes(info), {}, AsBytes("x"), random).ok());
  EXPECT_FALSE(HpkeOpen(agent, Bytes(32, 0), AsBytes(info), {}, AsBytes(sealed->ciphertext)).ok());
  EXPECT_FALSE(HpkeOpen(agent, Bytes(31, 1), AsBytes(info), {}, AsBytes(sealed->ciphertext)).ok());
}

}  // namespace
}  // namespace quartet::vault

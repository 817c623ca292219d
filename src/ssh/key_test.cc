#include "ssh/key.h"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ssh/ssh_keygen_testing.h"
#include "ssh/wire.h"

namespace quartet::ssh {
namespace {

using testing::FixedRandom;
using ::testing::HasSubstr;
using testing::ReadTestFile;
using testing::SshKeygen;
using testing::TestKey;
using testing::WriteTestFile;

TEST(SshKeyTest, FormatsAndParsesPublicKeyLines) {
  const KeyPair pair = TestKey(1);
  const std::string line = FormatPublicKey(pair.public_key(), "alice@example");
  EXPECT_TRUE(line.starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"));
  EXPECT_TRUE(line.ends_with(" alice@example"));
  EXPECT_EQ(*ParsePublicKey(line), pair.public_key());
  EXPECT_EQ(*ParsePublicKey(line + "\n"), pair.public_key());
  EXPECT_EQ(*ParsePublicKey(FormatPublicKey(pair.public_key(), "")), pair.public_key());
  EXPECT_EQ(FormatPublicKey(pair.public_key(), "two\nlines"),
            FormatPublicKey(pair.public_key(), "two lines"));
}

TEST(SshKeyTest, SeedRoundTripsAndSignsVerifiably) {
  const KeyPair pair = TestKey(2);
  auto again = KeyPair::FromSeed(pair.Seed());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_key(), pair.public_key());
  EXPECT_EQ(again->SignRaw(AsBytes("message")), pair.SignRaw(AsBytes("message")));
  EXPECT_EQ(pair.SignRaw(AsBytes("message")).size(), 64u);
  EXPECT_FALSE(KeyPair::FromSeed(Bytes(31)).ok());
}

TEST(SshKeyTest, RefusesMalformedPublicKeys) {
  const PublicKey key = TestKey(3).public_key();
  const Bytes blob = PublicKeyBlob(key);
  ASSERT_EQ(blob.size(), 51u);

  EXPECT_FALSE(ParsePublicKey("").ok());
  EXPECT_FALSE(ParsePublicKey("ssh-ed25519").ok());
  EXPECT_FALSE(ParsePublicKey("ssh-ed25519 not-base64!").ok());
  EXPECT_FALSE(ParsePublicKey("ssh-rsa " + Base64Encode(blob)).ok());  // line type is not ed25519
  EXPECT_FALSE(ParsePublicKey(FormatPublicKey(key, "a") + "\nsecond line").ok());

  Bytes rsa;  // an ed25519 line holding another type's blob
  PutString(rsa, "ssh-rsa");
  PutString(rsa, ByteView(key.bytes));
  EXPECT_FALSE(ParsePublicKey("ssh-ed25519 " + Base64Encode(rsa)).ok());

  Bytes extra = blob;  // trailing garbage inside the blob
  extra.push_back(0);
  EXPECT_FALSE(ParsePublicKey("ssh-ed25519 " + Base64Encode(extra)).ok());
  for (size_t size = 0; size < blob.size(); ++size) {
    EXPECT_FALSE(ParsePublicKeyBlob(ByteView(blob).first(size)).ok()) << size;
  }

  Bytes small_order;  // the identity point: order 1
  PutString(small_order, "ssh-ed25519");
  Bytes identity(32, 0);
  identity[0] = 1;
  PutString(small_order, identity);
  EXPECT_FALSE(ParsePublicKey("ssh-ed25519 " + Base64Encode(small_order)).ok());
}

TEST(SshKeyTest, PrivateKeyFileRoundTrips) {
  const KeyPair pair = TestKey(4);
  FakeRandom random(5);
  const std::string text = pair.PrivateKeyFile("comment", random);
  EXPECT_TRUE(text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
  EXPECT_TRUE(text.ends_with("\n-----END OPENSSH PRIVATE KEY-----\n"));
  auto parsed = KeyPair::ParsePrivateKeyFile(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->Seed(), pair.Seed());
}

// The decoded binary of a private key file, and the text for a changed binary.
Bytes DecodePrivateKeyFile(const std::string& text) {
  std::string base64;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("-----")) base64 += line;
  }
  return *Base64Decode(base64);
}
std::string EncodePrivateKeyFile(const Bytes& blob) {
  return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + Base64Encode(blob) +
         "\n-----END OPENSSH PRIVATE KEY-----\n";
}

// Offsets into an unencrypted ed25519 key file: magic (15), "none" (8), "none" (8), "" (4), count
// (4), public blob (55), private section length (4), then the section.
constexpr size_t kSectionOffset = 98;
constexpr size_t kCheckOffset = kSectionOffset;
constexpr size_t kSecretKeyOffset = kSectionOffset + 8 + 15 + 36 + 4;

TEST(SshKeyTest, RefusesMalformedPrivateKeyFiles) {
  FakeRandom random(6);
  const std::string text = TestKey(6).PrivateKeyFile("c", random);
  const Bytes blob = DecodePrivateKeyFile(text);
  ASSERT_TRUE(KeyPair::ParsePrivateKeyFile(EncodePrivateKeyFile(blob)).ok());

  EXPECT_FALSE(KeyPair::ParsePrivateKeyFile("").ok());
  EXPECT_FALSE(KeyPair::ParsePrivateKeyFile(text.substr(0, text.size() - 10)).ok());
  EXPECT_FALSE(KeyPair::ParsePrivateKeyFile(text + "more\n").ok());
  for (size_t size = 0; size < blob.size(); ++size) {
    EXPECT_FALSE(
        KeyPair::ParsePrivateKeyFile(EncodePrivateKeyFile(Bytes(blob.begin(), blob.begin() + size)))
            .ok())
        << size;
  }
  Bytes check = blob;
  check[kCheckOffset] ^= 1;  // the two check integers differ
  EXPECT_FALSE(KeyPair::ParsePrivateKeyFile(EncodePrivateKeyFile(check)).ok());
  Bytes secret = blob;
  secret[kSecretKeyOffset] ^= 1;  // the seed no longer yields the public key
  EXPECT_FALSE(KeyPair::ParsePrivateKeyFile(EncodePrivateKeyFile(secret)).ok());
  Bytes padding = blob;
  padding.back() ^= 0x10;
  EXPECT_FALSE(KeyPair::ParsePrivateKeyFile(EncodePrivateKeyFile(padding)).ok());
  Bytes extra = blob;
  extra.push_back(0);
  EXPECT_FALSE(KeyPair::ParsePrivateKeyFile(EncodePrivateKeyFile(extra)).ok());
}

TEST(SshKeyTest, SshKeygenPrintsOurFingerprint) {
  REQUIRE_SSH_KEYGEN();
  TempDirectory dir{"quartet-ssh"};
  const KeyPair pair = TestKey(7);
  const std::string pub =
      WriteTestFile(dir.path(), "key.pub", FormatPublicKey(pair.public_key(), "alice") + "\n");
  const auto result = SshKeygen({"-l", "-f", pub});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.out, "256 " + Fingerprint(pair.public_key()) + " alice (ED25519)\n");
}

TEST(SshKeyTest, SshKeygenReadsOurPrivateKeyFile) {
  REQUIRE_SSH_KEYGEN();
  TempDirectory dir{"quartet-ssh"};
  const KeyPair pair = TestKey(8);
  FakeRandom random(9);
  const std::string key =
      WriteTestFile(dir.path(), "key", pair.PrivateKeyFile("bob@host", random), 0600);
  const auto result = SshKeygen({"-y", "-f", key});
  ASSERT_EQ(result.status, 0) << result.err;
  auto parsed = ParsePublicKey(result.out);
  ASSERT_TRUE(parsed.ok()) << result.out;
  EXPECT_EQ(*parsed, pair.public_key());
  EXPECT_THAT(result.out, HasSubstr("bob@host"));
}

TEST(SshKeyTest, ReadsAndReproducesSshKeygenKeys) {
  REQUIRE_SSH_KEYGEN();
  TempDirectory dir{"quartet-ssh"};
  const auto made = SshKeygen({"-q", "-t", "ed25519", "-N", "", "-C", "made by ssh-keygen", "-f",
                               (dir.path() / "k").string()});
  ASSERT_EQ(made.status, 0) << made.err;
  const std::string text = ReadTestFile(dir.path(), "k");
  auto pair = KeyPair::ParsePrivateKeyFile(text);
  ASSERT_TRUE(pair.ok()) << pair.status().ToString();
  auto public_key = ParsePublicKey(ReadTestFile(dir.path(), "k.pub"));
  ASSERT_TRUE(public_key.ok()) << public_key.status().ToString();
  EXPECT_EQ(pair->public_key(), *public_key);

  // Byte for byte, given ssh-keygen's check integer.
  const Bytes blob = DecodePrivateKeyFile(text);
  FixedRandom check(Bytes(blob.begin() + kCheckOffset, blob.begin() + kCheckOffset + 4));
  EXPECT_EQ(pair->PrivateKeyFile("made by ssh-keygen", check), text);

  const auto fingerprint = SshKeygen({"-l", "-f", (dir.path() / "k.pub").string()});
  EXPECT_THAT(fingerprint.out, HasSubstr(" " + Fingerprint(*public_key) + " "));
}

TEST(SshKeyTest, RefusesSshKeygenEncryptedKeysAndOtherTypes) {
  REQUIRE_SSH_KEYGEN();
  TempDirectory dir{"quartet-ssh"};
  ASSERT_EQ(SshKeygen({"-q", "-t", "ed25519", "-a", "1", "-N", "passphrase", "-f",
                       (dir.path() / "enc").string()})
                .status,
            0);
  EXPECT_FALSE(KeyPair::ParsePrivateKeyFile(ReadTestFile(dir.path(), "enc")).ok());
  ASSERT_EQ(
      SshKeygen({"-q", "-t", "ecdsa", "-N", "", "-f", (dir.path() / "ecdsa").string()}).status, 0);
  EXPECT_FALSE(KeyPair::ParsePrivateKeyFile(ReadTestFile(dir.path(), "ecdsa")).ok());
  EXPECT_FALSE(ParsePublicKey(ReadTestFile(dir.path(), "ecdsa.pub")).ok());
}

}  // namespace
}  // namespace quartet::ssh

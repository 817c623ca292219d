#include "ssh/krl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ssh/certificate.h"
#include "ssh/ssh_keygen_testing.h"

namespace quartet::ssh {
namespace {

using ::testing::HasSubstr;
using testing::ReadTestFile;
using testing::SshKeygen;
using testing::TestKey;
using testing::WriteTestFile;

std::string SignedCertificate(const KeyPair& ca, uint64_t serial) {
  CertificateTemplate t;
  t.subject = TestKey(100 + serial).public_key();
  t.serial = serial;
  t.key_id = "user-" + std::to_string(serial);
  t.principals = {"root"};
  t.valid_after = 0;
  t.valid_before = ~uint64_t{0};
  FakeRandom random(serial);
  return *SignUserCertificate(t, ca, random, "") + "\n";
}

TEST(SshKrlTest, WritesTheHeaderAndOneSerialListSection) {
  const PublicKey ca = TestKey(1).public_key();
  auto krl = BuildKrl(ca, {9, 3, 3, 5}, 2, 0x0102030405060708, "hi");
  ASSERT_TRUE(krl.ok());
  std::string expected = "5353484b524c0a00";              // magic
  expected += "00000001";                                 // format version
  expected += "0000000000000002";                         // krl_version
  expected += "0102030405060708";                         // generated_date
  expected += "0000000000000000";                         // flags
  expected += "00000000";                                 // reserved
  expected += "000000026869";                             // comment "hi"
  expected += "0100000058";                               // KRL_SECTION_CERTIFICATES, 88 bytes
  expected += "00000033" + HexEncode(PublicKeyBlob(ca));  // CA key
  expected += "00000000";                                 // reserved
  expected += "2000000018";                               // KRL_SECTION_CERT_SERIAL_LIST, 24 bytes
  expected += "0000000000000003";
  expected += "0000000000000005";
  expected += "0000000000000009";
  EXPECT_EQ(HexEncode(*krl), expected);
}

TEST(SshKrlTest, RefusesSerialZeroAndOmitsAnEmptySection) {
  const PublicKey ca = TestKey(2).public_key();
  EXPECT_EQ(BuildKrl(ca, {4, 0}, 1, 0, "").status().code(), StatusCode::kInvalidArgument);
  auto empty = BuildKrl(ca, {}, 1, 0, "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), 8u + 4 + 8 + 8 + 8 + 4 + 4);
}

TEST(SshKrlTest, SshKeygenReportsRevokedCertificates) {
  REQUIRE_SSH_KEYGEN();
  TempDirectory dir{"quartet-ssh"};
  const KeyPair ca = TestKey(3);
  const std::string revoked =
      WriteTestFile(dir.path(), "revoked-cert.pub", SignedCertificate(ca, 5));
  const std::string kept = WriteTestFile(dir.path(), "kept-cert.pub", SignedCertificate(ca, 6));
  const std::string krl = WriteTestFile(
      dir.path(), "krl", *BuildKrl(ca.public_key(), {9, 5, 1000000}, 1, 1700000000, "test"));

  const auto revoked_result = SshKeygen({"-Q", "-f", krl, revoked});
  EXPECT_NE(revoked_result.status, 0);
  EXPECT_THAT(revoked_result.out, HasSubstr("REVOKED"));
  const auto kept_result = SshKeygen({"-Q", "-f", krl, kept});
  EXPECT_EQ(kept_result.status, 0) << kept_result.err;
  EXPECT_THAT(kept_result.out, HasSubstr(": ok"));

  // A certificate of the same serial from another CA is not revoked.
  const std::string other =
      WriteTestFile(dir.path(), "other-cert.pub", SignedCertificate(TestKey(4), 5));
  EXPECT_EQ(SshKeygen({"-Q", "-f", krl, other}).status, 0);
  // Nor is anything by an empty KRL.
  const std::string empty =
      WriteTestFile(dir.path(), "empty-krl", *BuildKrl(ca.public_key(), {}, 1, 1700000000, ""));
  EXPECT_EQ(SshKeygen({"-Q", "-f", empty, revoked}).status, 0);
}

TEST(SshKrlTest, MatchesSshKeygenByteForByte) {
  REQUIRE_SSH_KEYGEN();
  TempDirectory dir{"quartet-ssh"};
  const KeyPair ca = TestKey(5);
  const std::string ca_pub =
      WriteTestFile(dir.path(), "ca.pub", FormatPublicKey(ca.public_key(), "ca") + "\n");
  // Far-apart serials, so that ssh-keygen picks a serial list rather than a range or bitmap.
  const std::string spec =
      WriteTestFile(dir.path(), "spec", "serial: 9000000000\nserial: 1000\nserial: 5000000\n");
  const auto made =
      SshKeygen({"-k", "-f", (dir.path() / "keygen-krl").string(), "-s", ca_pub, "-z", "3", spec});
  ASSERT_EQ(made.status, 0) << made.err;
  const std::string theirs = ReadTestFile(dir.path(), "keygen-krl");
  ASSERT_GE(theirs.size(), 28u);
  const uint64_t generated_at = ReadBigEndian64(AsBytes(theirs).data() + 20);

  auto ours = BuildKrl(ca.public_key(), {5000000, 9000000000, 1000}, 3, generated_at, "");
  ASSERT_TRUE(ours.ok());
  EXPECT_EQ(HexEncode(*ours), HexEncode(AsBytes(theirs)));
}

}  // namespace
}  // namespace quartet::ssh

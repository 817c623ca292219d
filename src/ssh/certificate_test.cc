#include "ssh/certificate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ssh/ssh_keygen_testing.h"
#include "ssh/wire.h"

namespace quartet::ssh {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using testing::ReadTestFile;
using testing::SshKeygen;
using testing::TestKey;
using testing::WriteTestFile;

constexpr uint64_t kValidAfter = 1700000000;  // 2023-11-14T22:13:20Z

CertificateTemplate TestTemplate(const PublicKey& subject) {
  CertificateTemplate t;
  t.subject = subject;
  t.serial = 42;
  t.key_id = "ana.ruiz@harbor-dental T-4101";
  t.principals = {"root", "admin"};
  t.valid_after = kValidAfter;
  t.valid_before = kValidAfter + 3600;
  t.critical_options = {{"source-address", "10.0.0.0/8"}, {"force-command", "/usr/bin/true"}};
  t.extensions = {"permit-pty", "permit-agent-forwarding"};
  return t;
}

Bytes CertificateBlob(const std::string& line) {
  auto parsed = ParseKeyLine(line);
  return parsed.ok() ? parsed->blob : Bytes();
}

std::string CertificateLine(const Bytes& blob) {
  return FormatKeyLine(kEd25519CertType, blob, "c");
}

TEST(SshCertificateTest, SignsAndParsesUserCertificates) {
  const KeyPair ca = TestKey(1);
  const KeyPair user = TestKey(2);
  FakeRandom random(3);
  auto line = SignUserCertificate(TestTemplate(user.public_key()), ca, random, "ana");
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_TRUE(line->starts_with(
      "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29t"));
  EXPECT_TRUE(line->ends_with(" ana"));

  auto cert = ParseCertificate(*line);
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  EXPECT_EQ(cert->subject, user.public_key());
  EXPECT_EQ(cert->ca, ca.public_key());
  EXPECT_EQ(cert->nonce.size(), 32u);
  EXPECT_EQ(cert->serial, 42u);
  EXPECT_EQ(cert->type, kUserCertificate);
  EXPECT_EQ(cert->key_id, "ana.ruiz@harbor-dental T-4101");
  EXPECT_THAT(cert->principals, ElementsAre("root", "admin"));
  EXPECT_EQ(cert->valid_after, kValidAfter);
  EXPECT_EQ(cert->valid_before, kValidAfter + 3600);
  EXPECT_THAT(cert->critical_options, ElementsAre(Pair("force-command", "/usr/bin/true"),
                                                  Pair("source-address", "10.0.0.0/8")));
  EXPECT_THAT(cert->extensions,
              ElementsAre(Pair("permit-agent-forwarding", ""), Pair("permit-pty", "")));
  EXPECT_EQ(cert->comment, "ana");
}

TEST(SshCertificateTest, RefusesTemplatesSshdWouldReject) {
  const KeyPair ca = TestKey(4);
  FakeRandom random(5);
  const CertificateTemplate good = TestTemplate(TestKey(6).public_key());
  ASSERT_TRUE(SignUserCertificate(good, ca, random, "").ok());

  auto refused = [&](CertificateTemplate t) {
    return SignUserCertificate(t, ca, random, "").status().code() == StatusCode::kInvalidArgument;
  };
  CertificateTemplate t = good;
  t.principals.clear();
  EXPECT_TRUE(refused(t));
  t = good;
  t.principals.push_back("");
  EXPECT_TRUE(refused(t));
  t = good;
  t.key_id.clear();
  EXPECT_TRUE(refused(t));
  t = good;
  t.valid_before = t.valid_after;
  EXPECT_TRUE(refused(t));
  t = good;
  t.extensions.push_back("permit-pty");
  EXPECT_TRUE(refused(t));
  t = good;
  t.critical_options.push_back({"", "x"});
  EXPECT_TRUE(refused(t));
  t = good;
  t.key_id = std::string("a\0b", 3);
  EXPECT_TRUE(refused(t));
}

TEST(SshCertificateTest, RefusesTamperedOrMalformedCertificates) {
  const KeyPair ca = TestKey(7);
  FakeRandom random(8);
  const std::string line =
      *SignUserCertificate(TestTemplate(TestKey(9).public_key()), ca, random, "c");
  const Bytes blob = CertificateBlob(line);
  ASSERT_TRUE(ParseCertificate(CertificateLine(blob)).ok());

  Bytes signature = blob;
  signature.back() ^= 1;
  EXPECT_EQ(ParseCertificate(CertificateLine(signature)).status().code(),
            StatusCode::kUnauthenticated);
  Bytes body = blob;
  body[50] ^= 1;  // inside the nonce
  EXPECT_EQ(ParseCertificate(CertificateLine(body)).status().code(), StatusCode::kUnauthenticated);
  Bytes extra = blob;
  extra.push_back(0);
  EXPECT_EQ(ParseCertificate(CertificateLine(extra)).status().code(), StatusCode::kInvalidArgument);
  for (size_t size = 0; size < blob.size(); ++size) {
    EXPECT_FALSE(ParseCertificate(CertificateLine(Bytes(blob.begin(), blob.begin() + size))).ok())
        << size;
  }
  EXPECT_FALSE(
      ParseCertificate("ssh-ed25519 " + Base64Encode(blob)).ok());  // line type is not a cert type
  EXPECT_FALSE(ParseCertificate(FormatPublicKey(ca.public_key(), "")).ok());
}

// A certificate signed by `ca` with the given extensions data, verbatim.
std::string CertificateWithExtensions(const KeyPair& ca, const Bytes& extensions) {
  Bytes principals;
  PutString(principals, "root");
  Bytes blob;
  PutString(blob, kEd25519CertType);
  PutString(blob, Bytes(32, 7));
  PutString(blob, ByteView(ca.public_key().bytes));
  PutUint64(blob, 1);
  PutUint32(blob, kUserCertificate);
  PutString(blob, "id");
  PutString(blob, principals);
  PutUint64(blob, 0);
  PutUint64(blob, ~uint64_t{0});
  PutString(blob, "");
  PutString(blob, extensions);
  PutString(blob, "");
  PutString(blob, PublicKeyBlob(ca.public_key()));
  Bytes signature;
  PutString(signature, kEd25519KeyType);
  PutString(signature, ca.SignRaw(blob));
  PutString(blob, signature);
  return CertificateLine(blob);
}

TEST(SshCertificateTest, RefusesUnsortedRepeatedOrMalformedExtensions) {
  const KeyPair ca = TestKey(10);
  auto extensions = [](std::vector<std::string> names) {
    Bytes out;
    for (const std::string& name : names) {
      PutString(out, name);
      PutString(out, "");
    }
    return out;
  };
  EXPECT_TRUE(ParseCertificate(CertificateWithExtensions(
                                   ca, extensions({"permit-X11-forwarding", "permit-pty"})))
                  .ok());
  EXPECT_FALSE(ParseCertificate(CertificateWithExtensions(
                                    ca, extensions({"permit-pty", "permit-X11-forwarding"})))
                   .ok());
  EXPECT_FALSE(
      ParseCertificate(CertificateWithExtensions(ca, extensions({"permit-pty", "permit-pty"})))
          .ok());
  Bytes truncated = extensions({"permit-pty"});
  truncated.pop_back();
  truncated.push_back(1);  // the data claims one byte that is not there
  EXPECT_FALSE(ParseCertificate(CertificateWithExtensions(ca, truncated)).ok());
  Bytes value;  // data that is not a nested string
  PutString(value, "login@github.com");
  PutString(value, "abc");
  EXPECT_FALSE(ParseCertificate(CertificateWithExtensions(ca, value)).ok());
}

TEST(SshCertificateTest, SshKeygenShowsWhatWeSigned) {
  REQUIRE_SSH_KEYGEN();
  TempDirectory dir{"quartet-ssh"};
  const KeyPair ca = TestKey(11);
  FakeRandom random(12);
  const std::string cert = WriteTestFile(
      dir.path(), "user-cert.pub",
      *SignUserCertificate(TestTemplate(TestKey(13).public_key()), ca, random, "ana") + "\n");
  const auto result = SshKeygen({"-L", "-f", cert});
  ASSERT_EQ(result.status, 0) << result.err;
  const std::string& out = result.out;
  EXPECT_THAT(out, HasSubstr("Type: ssh-ed25519-cert-v01@openssh.com user certificate"));
  EXPECT_THAT(out, HasSubstr("Signing CA: ED25519 " + Fingerprint(ca.public_key()) +
                             " (using ssh-ed25519)"));
  EXPECT_THAT(
      out, HasSubstr("Public key: ED25519-CERT " + Fingerprint(TestKey(13).public_key()) + "\n"));
  EXPECT_THAT(out, HasSubstr("Key ID: \"ana.ruiz@harbor-dental T-4101\""));
  EXPECT_THAT(out, HasSubstr("Serial: 42\n"));
  EXPECT_THAT(out, HasSubstr("Valid: from 2023-11-14T22:13:20 to 2023-11-14T23:13:20"));
  EXPECT_THAT(out, HasSubstr("Principals: \n                root\n                admin\n"));
  EXPECT_THAT(out, HasSubstr("Critical Options: \n                force-command /usr/bin/true\n"
                             "                source-address 10.0.0.0/8\n"));
  EXPECT_THAT(
      out,
      HasSubstr(
          "Extensions: \n                permit-agent-forwarding\n                permit-pty\n"));
}

TEST(SshCertificateTest, ParsesCertificatesSignedBySshKeygen) {
  REQUIRE_SSH_KEYGEN();
  TempDirectory dir{"quartet-ssh"};
  ASSERT_EQ(
      SshKeygen({"-q", "-t", "ed25519", "-N", "", "-C", "ca", "-f", (dir.path() / "ca").string()})
          .status,
      0);
  ASSERT_EQ(
      SshKeygen({"-q", "-t", "ed25519", "-N", "", "-C", "user", "-f", (dir.path() / "k").string()})
          .status,
      0);
  const auto signed_by_keygen =
      SshKeygen({"-q", "-s", (dir.path() / "ca").string(), "-I", "id", "-n", "root", "-z", "7",
                 "-V", "+1h", "-O", "force-command=/bin/date", (dir.path() / "k.pub").string()});
  ASSERT_EQ(signed_by_keygen.status, 0) << signed_by_keygen.err;

  auto cert = ParseCertificate(ReadTestFile(dir.path(), "k-cert.pub"));
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  EXPECT_EQ(cert->subject, *ParsePublicKey(ReadTestFile(dir.path(), "k.pub")));
  EXPECT_EQ(cert->ca, *ParsePublicKey(ReadTestFile(dir.path(), "ca.pub")));
  EXPECT_EQ(cert->type, kUserCertificate);
  EXPECT_EQ(cert->key_id, "id");
  EXPECT_EQ(cert->serial, 7u);
  EXPECT_THAT(cert->principals, ElementsAre("root"));
  EXPECT_LT(cert->valid_after, cert->valid_before);
  EXPECT_LE(cert->valid_before - cert->valid_after, 3600u + 120u);
  EXPECT_THAT(cert->critical_options, ElementsAre(Pair("force-command", "/bin/date")));
  EXPECT_THAT(cert->extensions,
              ElementsAre(Pair("permit-X11-forwarding", ""), Pair("permit-agent-forwarding", ""),
                          Pair("permit-port-forwarding", ""), Pair("permit-pty", ""),
                          Pair("permit-user-rc", "")));
  EXPECT_EQ(cert->comment, "user");
}

}  // namespace
}  // namespace quartet::ssh

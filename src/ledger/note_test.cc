#include "ledger/note.h"

#include <sodium.h>

#include <cstdio>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace quartet::ledger {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

// c2sp.org/signed-note, "Verifier keys": the example key and note.
constexpr std::string_view kSpecVkey =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
constexpr std::string_view kSpecNote =
    "This is an example message.\n"
    "\n"
    "\xE2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
    "\n";

// golang.org/x/mod/sumdb/note, note_test.go: keys, text and signatures (data only).
constexpr std::string_view kPeterSkey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kPeterVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kEnochVkey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr std::string_view kGoText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kPeterSig =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
constexpr std::string_view kEnochSig =
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

// A cosignature/v1 vector made independently with Python's `cryptography` (OpenSSL) for this
// test: the RFC 8032 section 7.1 TEST 1 seed as a witness key, the checkpoint and timestamp of
// the c2sp.org/tlog-cosignature example.
constexpr std::string_view kWitnessSkey =
    "PRIVATE+KEY+witness.example.com/w1+7e6f4aaa+BJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g";
constexpr std::string_view kWitnessVkey =
    "witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
constexpr std::string_view kSofaText =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
constexpr uint64_t kSofaTime = 1679315147;
constexpr std::string_view kWitnessCosig =
    "\xE2\x80\x94 witness.example.com/w1 "
    "fm9KqgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeRF/kmm5tlCr9sJ57DLErur7K0yDXc2ArN+TIuotuB/HbuL3AJ"
    "sp3bv/aNCQ==\n";
// The same text signed (type 0x01) with the RFC 8032 TEST 2 seed as the log key.
constexpr std::string_view kSofaLogVkey =
    "example.com/behind-the-sofa+37bc54d7+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM";
constexpr std::string_view kSofaLogSig =
    "\xE2\x80\x94 example.com/behind-the-sofa "
    "N7xU1+abfjKmQX7u2YhTdYaOXrug9rsbMBefB1zqpTMCh7Qbu95DTTW6yAHrIQI/"
    "NYE44uaYFncmQ4kfoZLG679blQk=\n";

std::string Str(std::string_view s) { return std::string(s); }

NoteVerifier MustVerifier(std::string_view vkey) {
  StatusOr<NoteVerifier> verifier = NoteVerifier::Parse(vkey);
  EXPECT_TRUE(verifier.ok()) << vkey << ": " << verifier.status().ToString();
  return verifier.ok() ? *verifier : NoteVerifier();
}

NoteSigner MustSigner(std::string_view skey) {
  StatusOr<NoteSigner> signer = NoteSigner::Parse(skey);
  EXPECT_TRUE(signer.ok()) << signer.status().ToString();
  return signer.ok() ? *signer : NoteSigner();
}

NoteSigner MakeSigner(std::string_view name, SignatureType type, uint64_t seed) {
  FakeRandom random(seed);
  StatusOr<NoteSigner> signer = NoteSigner::Generate(name, type, random);
  EXPECT_TRUE(signer.ok()) << signer.status().ToString();
  return *signer;
}

NoteVerifier VerifierOf(const NoteSigner& signer) {
  return MustVerifier(signer.VerifierKeyString());
}

std::string KeyIdHex(uint32_t key_id) {
  char buffer[9];
  std::snprintf(buffer, sizeof(buffer), "%08x", static_cast<unsigned>(key_id));
  return buffer;
}

// A verifier key string for `key` with a correct key ID.
std::string VkeyFor(std::string_view name, SignatureType type, const Bytes& key) {
  Bytes material = {static_cast<uint8_t>(type)};
  material.insert(material.end(), key.begin(), key.end());
  return Str(name) + "+" + KeyIdHex(ComputeKeyId(name, type, key)) + "+" + Base64Encode(material);
}

Bytes FromHex(std::string_view hex) { return *HexDecode(hex); }

// ---- Keys ----

TEST(NoteKeyTest, SpecExampleVerifierKey) {
  NoteVerifier verifier = MustVerifier(kSpecVkey);
  EXPECT_EQ(verifier.name(), "example.com/foo");
  EXPECT_EQ(verifier.key_id(), 0x530d903au);
  EXPECT_EQ(verifier.type(), SignatureType::kEd25519);
  EXPECT_EQ(verifier.public_key().size(), 32u);
  EXPECT_EQ(ComputeKeyId("example.com/foo", SignatureType::kEd25519, verifier.public_key()),
            0x530d903au);
  EXPECT_EQ(verifier.VerifierKeyString(), kSpecVkey);
}

TEST(NoteKeyTest, GoSignerKeyRoundTrips) {
  NoteSigner signer = MustSigner(kPeterSkey);
  EXPECT_EQ(signer.name(), "PeterNeumann");
  EXPECT_EQ(signer.key_id(), 0xc74f20a3u);
  EXPECT_EQ(signer.type(), SignatureType::kEd25519);
  EXPECT_EQ(signer.SignerKeyString(), kPeterSkey);
  EXPECT_EQ(signer.VerifierKeyString(), kPeterVkey);
  EXPECT_EQ(MustVerifier(kPeterVkey).VerifierKeyString(), kPeterVkey);
  EXPECT_EQ(MustVerifier(kEnochVkey).key_id(), 0xaf0cfe78u);
}

// As golang.org/x/mod's TestNewVerifier: every proper substring and every one-byte change fails.
TEST(NoteKeyTest, MangledVerifierKeysAreRefused) {
  const std::string vkey = Str(kPeterVkey);
  for (size_t i = 0; i <= vkey.size(); ++i) {
    for (size_t j = i + 1; j <= vkey.size(); ++j) {
      if (i == 0 && j == vkey.size()) continue;
      EXPECT_FALSE(NoteVerifier::Parse(vkey.substr(i, j - i)).ok()) << vkey.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < vkey.size(); ++i) {
    std::string mangled = vkey;
    ++mangled[i];
    EXPECT_FALSE(NoteVerifier::Parse(mangled).ok()) << mangled;
  }
  // Wrong key length and unknown algorithm, each with a key ID that matches its bytes.
  EXPECT_FALSE(NoteVerifier::Parse(
                   "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
                   .ok());
  EXPECT_FALSE(
      NoteVerifier::Parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
          .ok());
}

TEST(NoteKeyTest, MangledSignerKeysAreRefused) {
  const std::string skey = Str(kPeterSkey);
  for (size_t i = 0; i <= skey.size(); ++i) {
    for (size_t j = i + 1; j <= skey.size(); ++j) {
      if (i == 0 && j == skey.size()) continue;
      EXPECT_FALSE(NoteSigner::Parse(skey.substr(i, j - i)).ok()) << skey.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < skey.size(); ++i) {
    std::string mangled = skey;
    ++mangled[i];
    EXPECT_FALSE(NoteSigner::Parse(mangled).ok()) << mangled;
  }
}

TEST(NoteKeyTest, KeyIdHexMustBeLowercase) {
  EXPECT_FALSE(
      NoteVerifier::Parse("example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
          .ok());
}

TEST(NoteKeyTest, KeyNames) {
  EXPECT_TRUE(IsValidKeyName("example.com/foo"));
  EXPECT_TRUE(IsValidKeyName("quasimodo.example/salvatore"));
  EXPECT_TRUE(IsValidKeyName("\xC3\xA8"));  // è
  EXPECT_FALSE(IsValidKeyName(""));
  EXPECT_FALSE(IsValidKeyName("a+b"));
  EXPECT_FALSE(IsValidKeyName("a b"));
  EXPECT_FALSE(IsValidKeyName("a\tb"));
  EXPECT_FALSE(IsValidKeyName("a\nb"));
  EXPECT_FALSE(
      IsValidKeyName("a\xC2\xA0"
                     "b"));  // U+00A0 no-break space
  EXPECT_FALSE(
      IsValidKeyName("a\xE2\x80\x83"
                     "b"));  // U+2003 em space
  EXPECT_FALSE(
      IsValidKeyName("a\xE3\x80\x80"
                     "b"));  // U+3000 ideographic space
  EXPECT_FALSE(
      IsValidKeyName("a\x01"
                     "b"));
  EXPECT_FALSE(
      IsValidKeyName("a\xFF"
                     "b"));  // not UTF-8
  EXPECT_FALSE(NoteSigner::FromSeed("a+b", SignatureType::kEd25519, Bytes(32)).ok());
  EXPECT_FALSE(NoteSigner::FromSeed("a b", SignatureType::kEd25519, Bytes(32)).ok());
}

TEST(NoteKeyTest, SmallOrderAndInvalidPublicKeysAreRefused) {
  const std::vector<std::string_view> bad_keys = {
      // The identity (order 1).
      "0100000000000000000000000000000000000000000000000000000000000000",
      // y = 0 (order 4) and y = -1 (order 2).
      "0000000000000000000000000000000000000000000000000000000000000000",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      // Non-canonical encodings (y = p, y = p + 1) of small-order points.
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      // The identity with the sign bit set.
      "0100000000000000000000000000000000000000000000000000000000000080",
      // y = 2 is not on the curve.
      "0200000000000000000000000000000000000000000000000000000000000000",
  };
  for (std::string_view hex : bad_keys) {
    const Bytes key = FromHex(hex);
    for (SignatureType type : {SignatureType::kEd25519, SignatureType::kCosignatureV1}) {
      EXPECT_FALSE(NoteVerifier::FromPublicKey("example.com/bad", type, key).ok()) << hex;
      EXPECT_FALSE(NoteVerifier::Parse(VkeyFor("example.com/bad", type, key)).ok()) << hex;
    }
  }
}

TEST(NoteKeyTest, KeysWithATorsionComponentAreRefused) {
  NoteSigner signer = MakeSigner("example.com/log", SignatureType::kEd25519, 1);
  const Bytes order2 = FromHex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  Bytes mixed(32);
  ASSERT_EQ(crypto_core_ed25519_add(mixed.data(), signer.public_key().data(), order2.data()), 0);
  EXPECT_FALSE(
      NoteVerifier::Parse(VkeyFor("example.com/log", SignatureType::kEd25519, mixed)).ok());
  // The key itself is fine.
  const Bytes good(signer.public_key().begin(), signer.public_key().end());
  EXPECT_TRUE(NoteVerifier::Parse(VkeyFor("example.com/log", SignatureType::kEd25519, good)).ok());
}

TEST(NoteKeyTest, UnsupportedTypesAreRefused) {
  const Bytes key = FromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  for (uint8_t type : {0x00, 0x02, 0x03, 0x05, 0x06, 0xff}) {
    const auto t = static_cast<SignatureType>(type);
    EXPECT_FALSE(NoteVerifier::Parse(VkeyFor("example.com/x", t, key)).ok()) << int{type};
    EXPECT_FALSE(NoteVerifier::FromPublicKey("example.com/x", t, key).ok()) << int{type};
    EXPECT_FALSE(NoteSigner::FromSeed("example.com/x", t, Bytes(32)).ok()) << int{type};
  }
}

TEST(NoteKeyTest, WrongSizesAreRefused) {
  EXPECT_FALSE(NoteSigner::FromSeed("a", SignatureType::kEd25519, Bytes(31)).ok());
  EXPECT_FALSE(NoteSigner::FromSeed("a", SignatureType::kEd25519, Bytes(33)).ok());
  const Bytes key = FromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_FALSE(
      NoteVerifier::FromPublicKey("a", SignatureType::kEd25519, ByteView(key).first(31)).ok());
  EXPECT_FALSE(NoteVerifier::Parse("a+00000000+").ok());
}

TEST(NoteKeyTest, GenerateIsDeterministicForAGivenRandomSource) {
  NoteSigner a = MakeSigner("example.com/a", SignatureType::kEd25519, 7);
  NoteSigner b = MakeSigner("example.com/a", SignatureType::kEd25519, 7);
  NoteSigner c = MakeSigner("example.com/a", SignatureType::kEd25519, 8);
  EXPECT_EQ(a.SignerKeyString(), b.SignerKeyString());
  EXPECT_NE(a.SignerKeyString(), c.SignerKeyString());
  EXPECT_EQ(MustSigner(a.SignerKeyString()).VerifierKeyString(), a.VerifierKeyString());
}

TEST(NoteKeyTest, CosignatureKeyStrings) {
  NoteSigner witness = MustSigner(kWitnessSkey);
  EXPECT_EQ(witness.type(), SignatureType::kCosignatureV1);
  EXPECT_EQ(witness.key_id(), 0x7e6f4aaau);
  EXPECT_EQ(witness.SignerKeyString(), kWitnessSkey);
  EXPECT_EQ(witness.VerifierKeyString(), kWitnessVkey);
  // The same key and name under type 0x01 has another key ID.
  StatusOr<NoteVerifier> plain =
      NoteVerifier::FromPublicKey(witness.name(), SignatureType::kEd25519, witness.public_key());
  ASSERT_TRUE(plain.ok());
  EXPECT_NE(plain->key_id(), witness.key_id());
}

// ---- Signing ----

TEST(NoteSignTest, ReproducesGoSignatureByteForByte) {
  NoteSigner signer = MustSigner(kPeterSkey);
  EXPECT_EQ(signer.SignatureLine(kGoText), kPeterSig);
  Note note{Str(kGoText), {{"PeterNeumann", 0xc74f20a3, signer.SignBytes(kGoText)}}};
  EXPECT_EQ(note.Format(), Str(kGoText) + "\n" + Str(kPeterSig));
}

TEST(NoteSignTest, ReproducesCosignatureVector) {
  NoteSigner witness = MustSigner(kWitnessSkey);
  EXPECT_EQ(witness.SignatureLine(kSofaText, kSofaTime), kWitnessCosig);
  const Bytes bytes = witness.SignBytes(kSofaText, kSofaTime);
  ASSERT_EQ(bytes.size(), 72u);
  EXPECT_EQ(ReadBigEndian64(bytes.data()), kSofaTime);
}

TEST(NoteSignTest, VerifyChecksTextKeyAndSignature) {
  NoteSigner signer = MustSigner(kPeterSkey);
  NoteVerifier verifier = MustVerifier(kPeterVkey);
  Bytes signature = signer.SignBytes("hi\n");
  EXPECT_TRUE(verifier.Verify("hi\n", signature));
  EXPECT_FALSE(verifier.Verify("hi!\n", signature));
  EXPECT_FALSE(MustVerifier(kEnochVkey).Verify("hi\n", signature));
  signature[0] ^= 1;
  EXPECT_FALSE(verifier.Verify("hi\n", signature));
  EXPECT_FALSE(verifier.Verify("hi\n", ByteView(signature).first(63)));
}

TEST(NoteSignTest, CosignatureVerifyReturnsTimestamp) {
  NoteVerifier verifier = MustVerifier(kWitnessVkey);
  NoteSigner witness = MustSigner(kWitnessSkey);
  uint64_t timestamp = 0;
  EXPECT_TRUE(verifier.Verify(kSofaText, witness.SignBytes(kSofaText, 42), &timestamp));
  EXPECT_EQ(timestamp, 42u);
  // The timestamp is signed: changing it breaks the signature.
  Bytes bytes = witness.SignBytes(kSofaText, 42);
  bytes[7] = 43;
  EXPECT_FALSE(verifier.Verify(kSofaText, bytes));
  // No timestamp is not a cosignature.
  EXPECT_FALSE(verifier.Verify(kSofaText, ByteView(bytes).subspan(8)));
  // A plain Ed25519 signature by the same key over the bare text does not pass as a cosignature.
  NoteSigner plain = *NoteSigner::FromSeed(witness.name(), SignatureType::kEd25519,
                                           FromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b3269"
                                                   "19703bac031cae7f60"));
  Bytes forged(8, 0);
  const Bytes plain_sig = plain.SignBytes(kSofaText);
  forged.insert(forged.end(), plain_sig.begin(), plain_sig.end());
  EXPECT_FALSE(verifier.Verify(kSofaText, forged));
}

TEST(NoteSignTest, CosignatureTimestampAbove2To63IsRefused) {
  NoteSigner witness = MustSigner(kWitnessSkey);
  NoteVerifier verifier = MustVerifier(kWitnessVkey);
  const uint64_t max = uint64_t{1} << 63;
  EXPECT_TRUE(verifier.Verify(kSofaText, witness.SignBytes(kSofaText, max - 1)));
  EXPECT_FALSE(verifier.Verify(kSofaText, witness.SignBytes(kSofaText, max)));
}

TEST(NoteSignTest, CosignatureCoversExtensionLines) {
  NoteSigner witness = MustSigner(kWitnessSkey);
  NoteVerifier verifier = MustVerifier(kWitnessVkey);
  const std::string text = Str(kSofaText) + "extension\n";
  const Bytes signature = witness.SignBytes(text, kSofaTime);
  EXPECT_TRUE(verifier.Verify(text, signature));
  EXPECT_FALSE(verifier.Verify(Str(kSofaText) + "extensioN\n", signature));
  EXPECT_FALSE(verifier.Verify(kSofaText, signature));
}

TEST(NoteSignTest, DefaultConstructedKeysDoNothing) {
  EXPECT_TRUE(NoteSigner().SignBytes("a\n").empty());
  EXPECT_FALSE(NoteVerifier().Verify("a\n", Bytes(64)));
}

// ---- Parsing ----

TEST(NoteParseTest, ParsesSignatureLines) {
  StatusOr<Note> note = ParseNote(Str(kGoText) + "\n" + Str(kPeterSig) + Str(kEnochSig));
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(note->text, kGoText);
  ASSERT_EQ(note->signatures.size(), 2u);
  EXPECT_EQ(note->signatures[0].name, "PeterNeumann");
  EXPECT_EQ(note->signatures[0].key_id, 0xc74f20a3u);
  EXPECT_EQ(note->signatures[0].signature.size(), 64u);
  EXPECT_EQ(note->signatures[1].name, "EnochRoot");
  EXPECT_EQ(note->signatures[1].key_id, 0xaf0cfe78u);
  EXPECT_EQ(note->Format(), Str(kGoText) + "\n" + Str(kPeterSig) + Str(kEnochSig));
}

TEST(NoteParseTest, TextIsSeparatedByTheLastEmptyLine) {
  const std::string text =
      "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\n"
      "ed \xC3\xA8 subito sera.\n";
  const std::string wire = text + "\n" + Str(kPeterSig);
  StatusOr<Note> note = ParseNote(wire);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(note->text, text);
  EXPECT_EQ(note->signatures.size(), 1u);
}

TEST(NoteParseTest, RefusesMalformedNotes) {
  const std::string text = Str(kGoText);
  const std::string sig = Str(kPeterSig);
  const std::string b64 = sig.substr(sig.find(' ', 4) + 1);  // base64 and newline
  const std::vector<std::string> bad = {
      "",
      text,                                         // no signatures
      text + "\n",                                  // blank line, no signatures
      text + sig,                                   // missing blank line
      text + "\n" + sig.substr(0, sig.size() - 1),  // missing final newline
      "\x01" + text + "\n" + sig,                   // control character
      "a\tb\n\n" + sig,                             // tab
      "a\rb\n\n" + sig,                             // carriage return
      "\xFF" + text + "\n" + sig,                   // not UTF-8
      "\xC0\xAF\n\n" + sig,                         // overlong '/'
      "\xED\xA0\x80\n\n" + sig,                     // surrogate U+D800
      "\xF4\x90\x80\x80\n\n" + sig,                 // above U+10FFFF
      "\xE2\x80\n\n" + sig,                         // truncated sequence
      text + "\n\xE2\x80\x94 Bad Name " + b64,      // space in the name
      text + "\n\xE2\x80\x94 a+b " + b64,           // '+' in the name
      text +
          "\n\xE2\x80\x94 a\xC2\xA0"
          "b " +
          b64,                                                 // U+00A0 in the name
      text + "\n\xE2\x80\x94  " + b64,                         // empty name
      text + "\n\xE2\x80\x94 PeterNeumann\n",                  // no signature
      text + "\n\xE2\x80\x94 PeterNeumann \n",                 // empty signature
      text + "\n\xE2\x80\x94 PeterNeumann AAAAAA==\n",         // only a key ID
      text + "\n\xE2\x80\x94 PeterNeumann x08go/ZJ!uBS9UG\n",  // bad base64
      text + "\n\xE2\x80\x94 PeterNeumann x08go/ZJkuB=\n",     // bad base64 length
      text + "\n\xE2\x80\x94 PeterNeumann  " + b64,            // two spaces
      text + "\n- PeterNeumann " + b64,                        // hyphen, not em dash
      text + "\n\xE2\x80\x94PeterNeumann " + b64,              // no space after the dash
      text + "\n" + sig + "Unexpected line.\n",
      text + "\n" + sig + "\n",  // trailing blank line
  };
  for (const std::string& wire : bad) {
    EXPECT_FALSE(ParseNote(wire).ok()) << wire;
    EXPECT_FALSE(OpenNote(wire, std::vector{MustVerifier(kPeterVkey)}).ok()) << wire;
  }
}

// libsodium 1.0.18 decodes any byte from 0x80 up as '/': such bytes must not pass as base64.
TEST(NoteParseTest, RefusesNonAsciiBytesInBase64) {
  std::string vkey = Str(kPeterVkey);
  vkey[vkey.find('/')] = '\xBF';
  EXPECT_FALSE(NoteVerifier::Parse(vkey).ok());
  std::string skey = Str(kPeterSkey);
  skey[skey.find('+', 40)] = '\xBF';
  EXPECT_FALSE(NoteSigner::Parse(skey).ok());
  // In a note everything must be UTF-8, so look for a signature with "//" to turn into "é".
  NoteSigner signer = MustSigner(kPeterSkey);
  const NoteVerifier verifier = MustVerifier(kPeterVkey);
  int found = 0;
  for (int i = 0; i < 5000 && found < 3; ++i) {
    const std::string text = "note " + std::to_string(i) + "\n";
    std::string line = signer.SignatureLine(text);
    const size_t slashes = line.find("//");
    if (slashes == std::string::npos) continue;
    ++found;
    ASSERT_TRUE(OpenNote(text + "\n" + line, std::vector{verifier}).ok());
    line.replace(slashes, 2, "\xC3\xA9");
    EXPECT_FALSE(ParseNote(text + "\n" + line).ok()) << line;
    EXPECT_FALSE(OpenNote(text + "\n" + line, std::vector{verifier}).ok()) << line;
  }
  EXPECT_EQ(found, 3);
}

TEST(NoteParseTest, AcceptsUpTo100Signatures) {
  std::string wire = Str(kGoText) + "\n";
  for (int i = 0; i < 100; ++i) wire += kPeterSig;
  StatusOr<Note> note = ParseNote(wire);
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(note->signatures.size(), 100u);
  EXPECT_FALSE(ParseNote(wire + Str(kPeterSig)).ok());
  EXPECT_FALSE(OpenNote(wire + Str(kPeterSig), std::vector{MustVerifier(kPeterVkey)}).ok());
}

// ---- Opening ----

TEST(NoteOpenTest, SpecExample) {
  std::vector<VerifiedSignature> verified;
  StatusOr<Note> note = OpenNote(kSpecNote, std::vector{MustVerifier(kSpecVkey)}, &verified);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(note->text, "This is an example message.\n");
  ASSERT_EQ(verified.size(), 1u);
  EXPECT_EQ(verified[0].name, "example.com/foo");
  EXPECT_EQ(verified[0].key_id, 0x530d903au);
  EXPECT_EQ(verified[0].type, SignatureType::kEd25519);
}

TEST(NoteOpenTest, GoVectors) {
  const std::string wire = Str(kGoText) + "\n" + Str(kPeterSig) + Str(kEnochSig);
  const NoteVerifier peter = MustVerifier(kPeterVkey);
  const NoteVerifier enoch = MustVerifier(kEnochVkey);
  std::vector<VerifiedSignature> verified;
  ASSERT_TRUE(OpenNote(wire, std::vector{peter}, &verified).ok());
  EXPECT_THAT(verified, ElementsAre(Field(&VerifiedSignature::name, "PeterNeumann")));
  ASSERT_TRUE(OpenNote(wire, std::vector{peter, enoch}, &verified).ok());
  EXPECT_THAT(verified, ElementsAre(Field(&VerifiedSignature::name, "PeterNeumann"),
                                    Field(&VerifiedSignature::name, "EnochRoot")));
  EXPECT_EQ(OpenNote(wire, {}).status().code(), StatusCode::kUnauthenticated);
  // Repeated signatures by one key are reported once.
  ASSERT_TRUE(
      OpenNote(Str(kGoText) + "\n" + Str(kPeterSig) + Str(kPeterSig), std::vector{peter}, &verified)
          .ok());
  EXPECT_EQ(verified.size(), 1u);
  // A duplicated identical verifier is not ambiguous.
  EXPECT_TRUE(OpenNote(wire, std::vector{enoch, peter, enoch}).ok());
}

TEST(NoteOpenTest, TamperedTextIsRefused) {
  std::string wire = Str(kGoText) + "\n" + Str(kPeterSig);
  wire[3] = 'Y';
  EXPECT_EQ(OpenNote(wire, std::vector{MustVerifier(kPeterVkey)}).status().code(),
            StatusCode::kUnauthenticated);
}

TEST(NoteOpenTest, KnownKeyWithBadSignatureRejectsTheWholeNote) {
  const std::string sig = Str(kPeterSig);
  // From golang.org/x/mod: "ABCD" spliced into the base64 keeps it valid but breaks the signature.
  const std::string broken = sig.substr(0, 60) + "ABCD" + sig.substr(60);
  const NoteVerifier peter = MustVerifier(kPeterVkey);
  const NoteVerifier enoch = MustVerifier(kEnochVkey);
  EXPECT_FALSE(OpenNote(Str(kGoText) + "\n" + broken, std::vector{peter}).ok());
  // Even when another known key signed correctly, in either order.
  EXPECT_FALSE(
      OpenNote(Str(kGoText) + "\n" + Str(kEnochSig) + broken, std::vector{peter, enoch}).ok());
  EXPECT_FALSE(
      OpenNote(Str(kGoText) + "\n" + broken + Str(kEnochSig), std::vector{peter, enoch}).ok());
  // Even after a good signature by the same key.
  EXPECT_FALSE(OpenNote(Str(kGoText) + "\n" + sig + broken, std::vector{peter}).ok());
  // A broken signature from an unknown key is ignored.
  const std::string enoch_broken =
      Str(kEnochSig).substr(0, 60) + "ABCD" + Str(kEnochSig).substr(60);
  EXPECT_TRUE(OpenNote(Str(kGoText) + "\n" + sig + enoch_broken, std::vector{peter}).ok());
}

TEST(NoteOpenTest, WrongKeyAndUnknownKeysAreRefused) {
  const std::string wire = Str(kGoText) + "\n" + Str(kPeterSig);
  // Only Enoch is known: Peter's signature is ignored and nothing verifies.
  EXPECT_EQ(OpenNote(wire, std::vector{MustVerifier(kEnochVkey)}).status().code(),
            StatusCode::kUnauthenticated);
  // Same name, other key (so other key ID): unknown, ignored.
  NoteSigner impostor = MakeSigner("PeterNeumann", SignatureType::kEd25519, 99);
  EXPECT_FALSE(OpenNote(wire, std::vector{VerifierOf(impostor)}).ok());
  // Same key ID, other name: unknown, ignored.
  std::string renamed = Str(kGoText) + "\n" + Str(kPeterSig);
  renamed.replace(renamed.find("PeterNeumann"), 12, "PeterNeumanX");
  EXPECT_FALSE(OpenNote(renamed, std::vector{MustVerifier(kPeterVkey)}).ok());
  EXPECT_TRUE(ParseNote(renamed).ok());
}

TEST(NoteOpenTest, AcceptsSixteenSigners) {
  const std::string text = "sixteen\n";
  Note note{text, {}};
  std::vector<NoteVerifier> known;
  for (uint64_t i = 0; i < 16; ++i) {
    NoteSigner signer = MakeSigner("signer" + std::to_string(i), SignatureType::kEd25519, i);
    note.signatures.push_back({signer.name(), signer.key_id(), signer.SignBytes(text)});
    known.push_back(VerifierOf(signer));
  }
  std::vector<VerifiedSignature> verified;
  ASSERT_TRUE(OpenNote(note.Format(), known, &verified).ok());
  EXPECT_EQ(verified.size(), 16u);
}

TEST(NoteOpenTest, CosignedCheckpointVector) {
  const std::string wire = Str(kSofaText) + "\n" + Str(kSofaLogSig) + Str(kWitnessCosig);
  std::vector<VerifiedSignature> verified;
  StatusOr<Note> note = OpenNote(
      wire, std::vector{MustVerifier(kSofaLogVkey), MustVerifier(kWitnessVkey)}, &verified);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  ASSERT_EQ(verified.size(), 2u);
  EXPECT_EQ(verified[0].type, SignatureType::kEd25519);
  EXPECT_EQ(verified[0].timestamp, 0u);
  EXPECT_EQ(verified[1].name, "witness.example.com/w1");
  EXPECT_EQ(verified[1].key_id, 0x7e6f4aaau);
  EXPECT_EQ(verified[1].type, SignatureType::kCosignatureV1);
  EXPECT_EQ(verified[1].timestamp, kSofaTime);
  // The witness alone opens it too; the log's unknown signature is ignored.
  EXPECT_TRUE(OpenNote(wire, std::vector{MustVerifier(kWitnessVkey)}).ok());
  // The spec's example cosignature line is from an unknown key: ignored.
  const std::string spec_cosig =
      "\xE2\x80\x94 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZC"
      "B9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";
  EXPECT_TRUE(OpenNote(wire + spec_cosig, std::vector{MustVerifier(kWitnessVkey)}).ok());
}

}  // namespace
}  // namespace quartet::ledger

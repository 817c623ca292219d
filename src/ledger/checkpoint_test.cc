#include "ledger/checkpoint.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/bytes.h"
#include "ledger/note.h"

namespace quartet::ledger {
namespace {

// The example of c2sp.org/tlog-checkpoint.
constexpr std::string_view kSofaText =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
constexpr std::string_view kSofaRoot = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";

Hash RootOf(std::string_view base64) {
  Hash root{};
  const Bytes bytes = *Base64Decode(base64);
  std::copy(bytes.begin(), bytes.end(), root.begin());
  return root;
}

TEST(CheckpointTest, ParsesSpecExample) {
  StatusOr<Checkpoint> checkpoint = Checkpoint::Parse(kSofaText);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
  EXPECT_EQ(checkpoint->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(checkpoint->size, 20852163u);
  EXPECT_EQ(checkpoint->root, RootOf(kSofaRoot));
  EXPECT_TRUE(checkpoint->extensions.empty());
  EXPECT_EQ(checkpoint->Text(), kSofaText);
}

TEST(CheckpointTest, TextAndParseRoundTrip) {
  Checkpoint checkpoint;
  checkpoint.origin = "example.com/log42";
  checkpoint.size = 0;
  checkpoint.root = RootOf("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");  // SHA-256("")
  checkpoint.extensions = {"first extension", "\xE2\x80\x94 second"};
  const std::string text = checkpoint.Text();
  EXPECT_EQ(text,
            "example.com/log42\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
            "first extension\n\xE2\x80\x94 second\n");
  StatusOr<Checkpoint> parsed = Checkpoint::Parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->origin, checkpoint.origin);
  EXPECT_EQ(parsed->size, checkpoint.size);
  EXPECT_EQ(parsed->root, checkpoint.root);
  EXPECT_EQ(parsed->extensions, checkpoint.extensions);
}

TEST(CheckpointTest, LargestSize) {
  StatusOr<Checkpoint> checkpoint =
      Checkpoint::Parse("o\n18446744073709551615\n" + std::string(kSofaRoot) + "\n");
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(checkpoint->size, UINT64_MAX);
}

TEST(CheckpointTest, OriginIsOpaque) {
  // Spaces and '+' are only discouraged; clients must not assume the origin's format.
  StatusOr<Checkpoint> checkpoint =
      Checkpoint::Parse("a log + more\n1\n" + std::string(kSofaRoot) + "\n");
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(checkpoint->origin, "a log + more");
}

TEST(CheckpointTest, RefusesMalformedText) {
  const std::string root = std::string(kSofaRoot);
  const std::vector<std::string> bad = {
      "",
      "\n",
      "example.com/log\n",
      "example.com/log\n1\n",
      "example.com/log\n1\n" + root,                            // missing final newline
      "\n1\n" + root + "\n",                                    // empty origin
      "example.com/log\n01\n" + root + "\n",                    // leading zero
      "example.com/log\n00\n" + root + "\n",                    // leading zero
      "example.com/log\n+1\n" + root + "\n",                    // sign
      "example.com/log\n-1\n" + root + "\n",                    // sign
      "example.com/log\n 1\n" + root + "\n",                    // space
      "example.com/log\n1 \n" + root + "\n",                    // space
      "example.com/log\n0x10\n" + root + "\n",                  // hex
      "example.com/log\n\n" + root + "\n",                      // empty size
      "example.com/log\n18446744073709551616\n" + root + "\n",  // overflow
      "example.com/log\n1\n\n",                                 // empty root
      "example.com/log\n1\n" + root.substr(0, 40) + "\n",       // truncated base64
      "example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",     // non-zero pad bits
      "example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",      // missing padding
      "example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I= \n",    // trailing space
      "example.com/log\n1\nCsUYapGGPo4dkMgIAUqom\xBFXajj7h2fB2MPA3j2jxq2I=\n",  // 0xBF for '/'
      "example.com/log\n1\n" + Base64Encode(Bytes(31)) + "\n",                  // 31 bytes
      "example.com/log\n1\n" + Base64Encode(Bytes(33)) + "\n",                  // 33 bytes
      "example.com/log\n1\n" + Base64Encode(Bytes(64)) + "\n",                  // 64 bytes
      "example.com/log\n1\n" + root + "\n\n",       // empty extension line
      "example.com/log\n1\n" + root + "\next\n\n",  // empty extension line
      "example.com/log\n1\n" + root + "\next",      // missing final newline
  };
  for (const std::string& text : bad) EXPECT_FALSE(Checkpoint::Parse(text).ok()) << text;
}

TEST(CheckpointTest, SignedAndCosignedCheckpointOpens) {
  FakeRandom random(1);
  StatusOr<NoteSigner> log =
      NoteSigner::Generate("example.com/behind-the-sofa", SignatureType::kEd25519, random);
  StatusOr<NoteSigner> witness =
      NoteSigner::Generate("witness.example/w1", SignatureType::kCosignatureV1, random);
  ASSERT_TRUE(log.ok() && witness.ok());
  const std::string text = std::string(kSofaText);
  const std::string wire =
      text + "\n" + log->SignatureLine(text) + witness->SignatureLine(text, 1700000000);
  std::vector<NoteVerifier> known = {*NoteVerifier::Parse(log->VerifierKeyString()),
                                     *NoteVerifier::Parse(witness->VerifierKeyString())};
  std::vector<VerifiedSignature> verified;
  StatusOr<Note> note = OpenNote(wire, known, &verified);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(verified.size(), 2u);
  StatusOr<Checkpoint> checkpoint = Checkpoint::Parse(note->text);
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(checkpoint->size, 20852163u);
}

}  // namespace
}  // namespace quartet::ledger

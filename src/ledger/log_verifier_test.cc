#include "ledger/log_verifier.h"

#include <gtest/gtest.h>

#include "base/fault_file_system.h"
#include "ledger/integrator.h"
#include "ledger/memory_log_store.h"

namespace quartet::ledger {
namespace {

constexpr char kTenant[] = "acme";
constexpr char kOrigin[] = "example.test/logs/acme";
constexpr char kDirectory[] = "data/logs/acme";

NoteSigner LogSigner(uint8_t seed) {
  return *NoteSigner::FromSeed(kOrigin, SignatureType::kEd25519, Bytes(32, seed));
}

// A log published by the integrator into an in-memory file system, checked from outside.
class LogVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.CreateLog({kTenant, kOrigin, signer_.VerifierKeyString(), ""}).ok());
  }

  // Appends `count` entries and publishes them.
  void Publish(int count) {
    std::vector<std::string> entries;
    for (int i = 0; i < count; ++i) {
      entries.push_back("{\"kind\":\"note\",\"n\":" + std::to_string(next_++) + "}");
    }
    ASSERT_TRUE(store_.Append(kTenant, entries).ok());
    Integrator integrator(store_, fs_, kTenant, kDirectory, signer_);
    ASSERT_TRUE(integrator.Open().ok());
    ASSERT_TRUE(integrator.IntegrateOnce().ok());
  }

  std::string Path(const TileId& id) const { return std::string(kDirectory) + "/" + id.Path(); }
  std::string PublishedNote() { return *fs_.ReadFile(std::string(kDirectory) + "/checkpoint"); }

  void Damage(const std::string& path, size_t offset) {
    std::string data = *fs_.ReadFile(path);
    ASSERT_LT(offset, data.size());
    data[offset] ^= 1;
    ASSERT_TRUE(WriteFileAtomically(fs_, path, data).ok());
  }

  StatusOr<VerifiedLog> Verify(VerifyLogOptions options) {
    return VerifyLog([&] { return served_note_.empty() ? PublishedNote() : served_note_; },
                     [&](const TileId& id) { return fs_.ReadFile(Path(id)); }, options);
  }
  StatusOr<VerifiedLog> Verify(std::optional<std::string> previous = std::nullopt) {
    return Verify(VerifyLogOptions{key_, {}, std::move(previous), nullptr});
  }

  MemoryLogStore store_;
  FaultInjectionFileSystem fs_;
  NoteSigner signer_ = LogSigner(7);
  NoteVerifier key_ = *NoteVerifier::Parse(signer_.VerifierKeyString());
  std::string served_note_;  // when set, served instead of the published checkpoint
  int next_ = 0;
};

TEST_F(LogVerifierTest, AcceptsAGoodLogAndReportsProgress) {
  Publish(0);
  auto empty = Verify();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->checkpoint.root, EmptyTreeRoot());
  Publish(600);
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  auto verified = Verify(VerifyLogOptions{key_, {}, empty->note, [&](uint64_t done, uint64_t of) {
                                            progress.push_back({done, of});
                                          }});
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->checkpoint.size, 600u);
  EXPECT_EQ(verified->note, PublishedNote());
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), (std::pair<uint64_t, uint64_t>{600, 600}));
}

TEST_F(LogVerifierTest, RefusesATamperedEntry) {
  Publish(300);
  Damage(Path(TileId{kEntriesLevel, 0, 256}), 10);  // a byte of the entry at index 0
  auto verified = Verify();
  EXPECT_EQ(verified.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(verified.status().message().find("does not match the entries"), std::string::npos)
      << verified.status().message();
  // An entry bundle that is cut short does not decode.
  ASSERT_TRUE(
      WriteFileAtomically(fs_, Path(TileId{kEntriesLevel, 1, 44}), std::string("\x00\x05{", 3))
          .ok());
  EXPECT_EQ(Verify().status().code(), StatusCode::kDataLoss);
}

TEST_F(LogVerifierTest, RefusesATamperedOrMissingTile) {
  Publish(300);
  const std::string tile = Path(TileId{0, 0, 256});
  const std::string original = *fs_.ReadFile(tile);
  Damage(tile, 32 * 100);  // the hash of leaf 100
  auto verified = Verify();
  EXPECT_EQ(verified.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(verified.status().message().find("tile/0/000 does not match the entries (hash 100)"),
            std::string::npos)
      << verified.status().message();
  ASSERT_TRUE(WriteFileAtomically(fs_, tile, original.substr(0, 32 * 255)).ok());
  EXPECT_EQ(Verify().status().code(), StatusCode::kDataLoss);
  ASSERT_TRUE(fs_.RemoveFile(tile).ok());
  verified = Verify();
  EXPECT_EQ(verified.status().code(), StatusCode::kNotFound);
  EXPECT_NE(verified.status().message().find("fetching tile/0/000"), std::string::npos);
}

TEST_F(LogVerifierTest, RefusesACheckpointWhoseRootIsNotTheEntries) {
  Publish(10);
  Checkpoint lie = *Checkpoint::Parse(ParseNote(PublishedNote())->text);
  lie.root[0] ^= 1;
  served_note_ = lie.Text() + "\n" + signer_.SignatureLine(lie.Text());
  auto verified = Verify();
  EXPECT_EQ(verified.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(verified.status().message().find("do not hash to the checkpoint's root"),
            std::string::npos)
      << verified.status().message();
}

TEST_F(LogVerifierTest, RefusesAWrongKey) {
  Publish(10);
  // Another key of the same name.
  auto verified =
      Verify(VerifyLogOptions{*NoteVerifier::Parse(LogSigner(8).VerifierKeyString()), {}, {}, {}});
  EXPECT_EQ(verified.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(verified.status().message().find("checkpoint signature"), std::string::npos);
  // The log's key under another name: the note does not name it.
  const NoteSigner renamed =
      *NoteSigner::FromSeed("example.test/logs/other", SignatureType::kEd25519, Bytes(32, 7));
  verified =
      Verify(VerifyLogOptions{*NoteVerifier::Parse(renamed.VerifierKeyString()), {}, {}, {}});
  EXPECT_EQ(verified.status().code(), StatusCode::kInvalidArgument);
  // The log's key, but a checkpoint of another origin that it signed.
  Checkpoint other = *Checkpoint::Parse(ParseNote(PublishedNote())->text);
  other.origin = "example.test/logs/other";
  served_note_ = other.Text() + "\n" + signer_.SignatureLine(other.Text());
  verified = Verify();
  EXPECT_EQ(verified.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(verified.status().message().find("is not the key's name"), std::string::npos);
}

TEST_F(LogVerifierTest, RequiresTheCosignatureOfEveryWitness) {
  Publish(10);
  const NoteSigner witness =
      *NoteSigner::FromSeed("quartet-agent", SignatureType::kCosignatureV1, Bytes(32, 9));
  const NoteVerifier witness_key = *NoteVerifier::Parse(witness.VerifierKeyString());
  auto verified = Verify(VerifyLogOptions{key_, {witness_key}, {}, {}});
  EXPECT_EQ(verified.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(verified.status().message().find("lacks the cosignature of witness quartet-agent"),
            std::string::npos);
  const std::string text = ParseNote(PublishedNote())->text;
  served_note_ = PublishedNote() + witness.SignatureLine(text, 1700000000);
  verified = Verify(VerifyLogOptions{key_, {witness_key}, {}, {}});
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->note, served_note_);
}

TEST_F(LogVerifierTest, RefusesARollbackAgainstTheSavedCheckpoint) {
  Publish(200);
  const std::string at_200 = PublishedNote();
  Publish(100);
  auto at_300 = Verify(at_200);
  ASSERT_TRUE(at_300.ok()) << at_300.status().ToString();
  // The server goes back to the checkpoint of 200 entries, after this verifier saw 300.
  served_note_ = at_200;
  auto verified = Verify(at_300->note);
  EXPECT_EQ(verified.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(verified.status().message().find("rollback: the log now has 200 entries but had 300"),
            std::string::npos)
      << verified.status().message();
}

TEST_F(LogVerifierTest, RefusesAHistoryRewrittenSinceTheSavedCheckpoint) {
  Publish(50);
  // What the verifier saw before: another history of 20 entries under the same key.
  MemoryLogStore other_store;
  FaultInjectionFileSystem other_fs;
  ASSERT_TRUE(other_store.CreateLog({kTenant, kOrigin, signer_.VerifierKeyString(), ""}).ok());
  std::vector<std::string> other_entries;
  for (int i = 0; i < 20; ++i) other_entries.push_back("{\"kind\":\"other\"}");
  ASSERT_TRUE(other_store.Append(kTenant, other_entries).ok());
  Integrator other(other_store, other_fs, kTenant, kDirectory, signer_);
  ASSERT_TRUE(other.Open().ok());
  ASSERT_TRUE(other.IntegrateOnce().ok());
  auto verified = Verify(*other_fs.ReadFile(std::string(kDirectory) + "/checkpoint"));
  EXPECT_EQ(verified.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(verified.status().message().find("history rewritten: the first 20 entries"),
            std::string::npos)
      << verified.status().message();
  // A remembered checkpoint must carry the log's signature too.
  const NoteSigner impostor = LogSigner(8);
  const std::string text = ParseNote(PublishedNote())->text;
  verified = Verify(text + "\n" + impostor.SignatureLine(text));
  EXPECT_EQ(verified.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(verified.status().message().find("the remembered checkpoint"), std::string::npos);
}

}  // namespace
}  // namespace quartet::ledger

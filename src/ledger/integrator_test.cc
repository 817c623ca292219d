#include "ledger/integrator.h"

#include <gtest/gtest.h>

#include "base/fault_file_system.h"
#include "base/random.h"
#include "ledger/log_verifier.h"
#include "ledger/memory_log_store.h"

namespace quartet::ledger {
namespace {

constexpr char kTenant[] = "acme";
constexpr char kDirectory[] = "data/logs/acme";

class IntegratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Bytes seed(32, 7);
    signer_ = *NoteSigner::FromSeed("example.test/logs/acme", SignatureType::kEd25519, seed);
    ASSERT_TRUE(
        store_.CreateLog({kTenant, "example.test/logs/acme", signer_.VerifierKeyString(), ""})
            .ok());
  }

  std::unique_ptr<Integrator> NewIntegrator() {
    return std::make_unique<Integrator>(store_, fs_, kTenant, kDirectory, signer_);
  }

  void AppendEntries(int count) {
    std::vector<std::string> entries;
    for (int i = 0; i < count; ++i) {
      const int n = next_++;
      entries.push_back("{\"n\":" + std::to_string(n) + ",\"pad\":\"" + std::string(n % 50, 'p') +
                        "\"}");
    }
    ASSERT_TRUE(store_.Append(kTenant, entries).ok());
  }

  StatusOr<VerifiedLog> VerifyPublished(std::optional<std::string> previous = std::nullopt) {
    VerifyLogOptions options{
        *NoteVerifier::Parse(signer_.VerifierKeyString()), {}, std::move(previous), nullptr};
    return VerifyLog(
        [&] { return fs_.ReadFile(std::string(kDirectory) + "/checkpoint"); },
        [&](const TileId& id) { return fs_.ReadFile(std::string(kDirectory) + "/" + id.Path()); },
        options);
  }

  // Every checkpoint ever recorded is the root of a prefix of the published tree.
  void ExpectAllCheckpointsConsistent() {
    auto latest = *store_.LatestCheckpoint(kTenant);
    ASSERT_TRUE(latest.has_value());
    TileNodeReader reader(latest->size, [&](const TileId& id) {
      return fs_.ReadFile(std::string(kDirectory) + "/" + id.Path());
    });
    for (const StoredCheckpoint& checkpoint : store_.Checkpoints(kTenant)) {
      if (checkpoint.size == 0) continue;
      auto root = ComputeRoot(reader, checkpoint.size);
      ASSERT_TRUE(root.ok()) << root.status().ToString();
      EXPECT_EQ(*root, checkpoint.root) << "checkpoint " << checkpoint.size;
    }
  }

  MemoryLogStore store_;
  FaultInjectionFileSystem fs_;
  NoteSigner signer_ = *NoteSigner::FromSeed("x", SignatureType::kEd25519, Bytes(32, 1));
  int next_ = 0;
};

TEST_F(IntegratorTest, EmptyLogPublishesACheckpoint) {
  auto integrator = NewIntegrator();
  ASSERT_TRUE(integrator->Open().ok());
  auto verified = VerifyPublished();
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->checkpoint.size, 0u);
  EXPECT_EQ(verified->checkpoint.root, EmptyTreeRoot());
}

TEST_F(IntegratorTest, PublishesTilesThatVerifyAcrossBatchSizes) {
  auto integrator = NewIntegrator();
  ASSERT_TRUE(integrator->Open().ok());
  std::optional<std::string> previous;
  for (int batch : {1, 1, 254, 1, 256, 300, 65536 + 17, 3}) {
    AppendEntries(batch);
    auto size = integrator->IntegrateOnce();
    ASSERT_TRUE(size.ok()) << size.status().ToString();
    EXPECT_EQ(*size, static_cast<uint64_t>(next_));
    auto verified = VerifyPublished(previous);
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    previous = verified->note;
  }
  ExpectAllCheckpointsConsistent();
}

TEST_F(IntegratorTest, IntegratesAtMostTheBatchLimit) {
  auto integrator = NewIntegrator();
  ASSERT_TRUE(integrator->Open().ok());
  AppendEntries(1000);
  EXPECT_EQ(*integrator->IntegrateOnce(300), 300u);
  EXPECT_EQ(*integrator->IntegrateOnce(300), 600u);
  EXPECT_EQ(*integrator->IntegrateOnce(UINT64_MAX), 1000u);  // regression: start + max overflowed
  EXPECT_EQ(*integrator->IntegrateOnce(), 1000u);            // nothing new: no new checkpoint
  EXPECT_EQ(store_.Checkpoints(kTenant).size(), 4u);
  ASSERT_TRUE(VerifyPublished().ok());
}

TEST_F(IntegratorTest, RefusesAKeyThatIsNotTheLogs) {
  NoteSigner other =
      *NoteSigner::FromSeed("example.test/logs/acme", SignatureType::kEd25519, Bytes(32, 9));
  Integrator integrator(store_, fs_, kTenant, kDirectory, other);
  EXPECT_EQ(integrator.Open().code(), StatusCode::kFailedPrecondition);
}

TEST_F(IntegratorTest, RebuildsDamagedTilesFromEntries) {
  {
    auto integrator = NewIntegrator();
    ASSERT_TRUE(integrator->Open().ok());
    AppendEntries(700);
    ASSERT_TRUE(integrator->IntegrateOnce().ok());
  }
  // Damage the partial tile of the right edge and remove a full bundle.
  const std::string partial = std::string(kDirectory) + "/" + TileId{0, 2, 700 - 512}.Path();
  std::string data = *fs_.ReadFile(partial);
  data[5] ^= 1;
  ASSERT_TRUE(WriteFileAtomically(fs_, partial, data).ok());
  ASSERT_TRUE(fs_.RemoveFile(std::string(kDirectory) + "/tile/entries/001").ok());
  EXPECT_FALSE(VerifyPublished().ok());

  auto integrator = NewIntegrator();
  ASSERT_TRUE(integrator->Open().ok());
  auto verified = VerifyPublished();
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->checkpoint.size, 700u);
}

// Crash the file system at many points of publication. After each crash and restart, no
// acknowledged entry is lost, the published log verifies, and every checkpoint ever recorded is
// consistent with the latest.
TEST_F(IntegratorTest, SurvivesCrashesAtEveryStageOfPublication) {
  FakeRandom random(42);
  {
    auto integrator = NewIntegrator();
    ASSERT_TRUE(integrator->Open().ok());
  }
  std::optional<std::string> last_verified;
  int crashes = 0;
  for (int round = 0; round < 150; ++round) {
    AppendEntries(1 + static_cast<int>(random.NextUint64() % 700));
    auto integrator = NewIntegrator();
    Status opened = integrator->Open();
    ASSERT_TRUE(opened.ok()) << opened.ToString();
    fs_.FailAfter(static_cast<int64_t>(random.NextUint64() % 40));
    if (!integrator->IntegrateOnce().ok()) ++crashes;
    fs_.SimulateCrash();
    // What a crash leaves on disk is itself a valid log: a static web server could serve it.
    auto on_disk = VerifyPublished();
    ASSERT_TRUE(on_disk.ok()) << "round " << round << ": " << on_disk.status().ToString();

    auto restarted = NewIntegrator();
    Status reopened = restarted->Open();
    ASSERT_TRUE(reopened.ok()) << "round " << round << ": " << reopened.ToString();
    auto size = restarted->IntegrateOnce();
    ASSERT_TRUE(size.ok()) << size.status().ToString();
    ASSERT_EQ(*size, static_cast<uint64_t>(next_)) << "an acknowledged entry was not published";
    auto verified = VerifyPublished(last_verified);
    ASSERT_TRUE(verified.ok()) << "round " << round << ": " << verified.status().ToString();
    last_verified = verified->note;
  }
  EXPECT_GT(crashes, 50);
  ExpectAllCheckpointsConsistent();
}

}  // namespace
}  // namespace quartet::ledger

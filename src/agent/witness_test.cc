#include "agent/witness.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "access/grant.h"
#include "access/local_time.h"
#include "base/random.h"
#include "base/temp_directory_testing.h"
#include "ledger/memory_tree_testing.h"
#include "ledger/tiles.h"

namespace quartet::agent {
namespace {

constexpr char kOrigin[] = "example.test/logs/acme";
constexpr int64_t kMondayTen = 1795428000;  // 2026-11-23 10:00 UTC, inside business hours

std::string Event(std::string_view kind, int64_t at, Json fields) {
  fields["kind"] = std::string(kind);
  fields["client"] = "acme";
  fields["at"] = at;
  return CanonicalJsonOf(fields);
}

// A log as the server keeps it (entries, a Merkle tree over them, the log's key) and the witness's
// state, starting from the empty tree.
class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const access::Policy policy = access::Policy::SafeDefault("UTC");
    entries_ = {Event("relationship.added", 1, {{"technician", "tom"}, {"by", "admin"}}),
                Event("policy.changed", 1, {{"policy", access::ToJson(policy)}, {"by", "admin"}}),
                Event("resource.added", 2,
                      {{"resource", "web-1"}, {"resource_kind", "ssh-host"}, {"labels", 0}})};
    state_.root = ledger::EmptyTreeRoot();
  }

  // Appends `count` entries: the events of grants approved by the policy, then notes.
  void Grow(size_t count) {
    const size_t target = entries_.size() + count;
    while (entries_.size() < target) {
      if (target - entries_.size() >= 3) {
        access::GrantRequest r;
        r.id = "g" + std::to_string(entries_.size());
        r.client = "acme";
        r.technician = "tom";
        r.resource = "web-1";
        r.login = "root";
        r.reason = "patching";
        r.ticket = "T-1";
        r.duration_seconds = 1800;
        r.requested_at = kMondayTen;
        const access::Policy policy = access::Policy::SafeDefault("UTC");
        ASSERT_TRUE(
            access::Grant::Open(r, policy, *access::ToLocalTime(kMondayTen, "UTC"), entries_).ok());
      } else {
        entries_.push_back(Event("note", 3, {{"n", entries_.size()}}));
      }
    }
  }

  ledger::MemoryTree Tree(const std::vector<std::string>& entries) const {
    std::vector<Hash> leaves;
    for (const std::string& entry : entries) leaves.push_back(ledger::HashLeaf(AsBytes(entry)));
    return ledger::MemoryTree(std::move(leaves));
  }

  // The checkpoint of the first `size` entries of `entries`, signed by `signer`.
  std::string Note(uint64_t size, const std::vector<std::string>& entries,
                   const ledger::NoteSigner& signer, const std::string& origin = kOrigin) const {
    ledger::MemoryTree tree = Tree(entries);
    const ledger::Checkpoint checkpoint{origin, size, *ledger::ComputeRoot(tree, size), {}};
    const std::string text = checkpoint.Text();
    return text + "\n" + signer.SignatureLine(text);
  }

  // What the server offers: the checkpoint of `size` entries with a proof from the witnessed size.
  ledger::AddCheckpointRequest Offer(uint64_t size) const { return Offer(size, entries_); }
  ledger::AddCheckpointRequest Offer(uint64_t size, const std::vector<std::string>& entries) const {
    ledger::AddCheckpointRequest request{state_.size, {}, Note(size, entries, signer_)};
    if (state_.size > 0 && state_.size <= size) {
      ledger::MemoryTree tree = Tree(entries);
      request.proof = *ledger::ConsistencyProof(tree, state_.size, size);
    }
    return request;
  }

  // Serves entries as the tiles do: up to the end of the entry bundle that `begin` is in.
  Status Fetch(uint64_t begin, uint64_t end, std::vector<std::string>& out) {
    ++fetches_;
    const uint64_t bundle_end = (begin / ledger::kTileWidth + 1) * ledger::kTileWidth;
    for (uint64_t i = begin; i < std::min({end, bundle_end, uint64_t{served_.size()}}); ++i)
      out.push_back(served_[i]);
    return Status::Ok();
  }

  StatusOr<WitnessCheck> Check(const ledger::AddCheckpointRequest& request) {
    served_ = entries_;
    return CheckCheckpoint(
        state_, log_key_, kOrigin, request,
        [&](uint64_t begin, uint64_t end, std::vector<std::string>& out) {
          return Fetch(begin, end, out);
        },
        replica_);
  }

  // Checks the offer of `size` entries, which must extend the state, and takes it as the state.
  void Accept(uint64_t size) {
    const ledger::AddCheckpointRequest request = Offer(size);
    auto check = Check(request);
    ASSERT_TRUE(check.ok()) << check.status().ToString();
    ASSERT_EQ(check->outcome, WitnessOutcome::kExtends) << check->detail;
    state_ = {check->checkpoint.size, check->checkpoint.root, check->edge, request.note, ""};
  }

  ledger::NoteSigner signer_ =
      *ledger::NoteSigner::FromSeed(kOrigin, ledger::SignatureType::kEd25519, Bytes(32, 3));
  ledger::NoteVerifier log_key_ = *ledger::NoteVerifier::Parse(signer_.VerifierKeyString());
  std::vector<std::string> entries_;
  std::vector<std::string> served_;
  int fetches_ = 0;
  WitnessState state_;
  Replica replica_{"acme"};
};

TEST_F(WitnessTest, TheFirstCheckpointIsCheckedAgainstItsEntriesAndReplayed) {
  Grow(3);
  const ledger::AddCheckpointRequest request = Offer(entries_.size());
  auto check = Check(request);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->outcome, WitnessOutcome::kExtends);
  EXPECT_EQ(check->checkpoint.size, 6u);
  // The cosignature covers the checkpoint's text, not its signature lines.
  EXPECT_EQ(check->body, check->checkpoint.Text());
  ledger::MerkleHasher hasher;
  EXPECT_EQ(ledger::CompactRange::FromNodes(6, check->edge)->Root(hasher), check->checkpoint.root);
  const GrantRecord* grant = replica_.FindGrant("g3");
  ASSERT_NE(grant, nullptr) << "the entries were replayed";
  EXPECT_TRUE(grant->grant.IsLive(kMondayTen + 1));
  EXPECT_TRUE(replica_.TakeViolations().empty());
}

TEST_F(WitnessTest, GrowthWithAValidConsistencyProofIsCosignedAcrossEntryBundles) {
  Grow(3);
  Accept(entries_.size());
  Grow(600);  // beyond two bundles of 256: the entries come in three fetches
  fetches_ = 0;
  Accept(entries_.size());
  EXPECT_EQ(state_.size, 606u);
  EXPECT_EQ(fetches_, 3);
  // An offer of the same checkpoint again changes nothing.
  auto again = Check(Offer(606));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, WitnessOutcome::kUnchanged);
}

TEST_F(WitnessTest, ASmallerCheckpointIsARollback) {
  Grow(10);
  Accept(entries_.size());
  auto check = Check(Offer(5));
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->outcome, WitnessOutcome::kRollback);
  EXPECT_NE(check->detail.find("went back to size 5 (cosigned: 13)"), std::string::npos)
      << check->detail;
}

TEST_F(WitnessTest, AnotherTreeOfTheSameSizeIsAFork) {
  Grow(10);
  Accept(entries_.size());
  std::vector<std::string> rewritten = entries_;
  rewritten[7] = Event("note", 3, {{"n", "rewritten"}});
  auto check = Check(Offer(entries_.size(), rewritten));
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->outcome, WitnessOutcome::kFork);
  EXPECT_NE(check->detail.find("another tree of the same size"), std::string::npos);
}

TEST_F(WitnessTest, AGrowthThatDoesNotExtendTheCosignedTreeIsAFork) {
  Grow(10);
  Accept(entries_.size());
  Grow(10);
  // A history that differs in the cosigned part, with its own valid proof.
  std::vector<std::string> rewritten = entries_;
  rewritten[2] = Event("note", 3, {{"n", "rewritten"}});
  auto check = Check(Offer(entries_.size(), rewritten));
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->outcome, WitnessOutcome::kFork);
  EXPECT_NE(check->detail.find("does not extend the cosigned one"), std::string::npos);
  // The true history, with a proof tampered with.
  ledger::AddCheckpointRequest tampered = Offer(entries_.size());
  ASSERT_FALSE(tampered.proof.empty());
  tampered.proof[0][0] ^= 1;
  check = Check(tampered);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->outcome, WitnessOutcome::kFork);
}

TEST_F(WitnessTest, EntriesThatDoNotGiveTheRootMakeABadCheckpoint) {
  Grow(4);
  Accept(entries_.size());
  Grow(6);
  const ledger::AddCheckpointRequest request = Offer(entries_.size());
  served_ = entries_;
  served_[9] = Event("note", 3, {{"n", "not the logged one"}});
  auto check = CheckCheckpoint(
      state_, log_key_, kOrigin, request,
      [&](uint64_t begin, uint64_t end, std::vector<std::string>& out) {
        return Fetch(begin, end, out);
      },
      replica_);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->outcome, WitnessOutcome::kBadCheckpoint);
}

TEST_F(WitnessTest, WhatTheLogDidNotSignIsAnErrorNotARefusal) {
  Grow(3);
  // Signed by another key of the same name.
  const ledger::NoteSigner impostor =
      *ledger::NoteSigner::FromSeed(kOrigin, ledger::SignatureType::kEd25519, Bytes(32, 4));
  ledger::AddCheckpointRequest request = Offer(entries_.size());
  request.note = Note(entries_.size(), entries_, impostor);
  EXPECT_EQ(Check(request).status().code(), StatusCode::kUnauthenticated);
  // The log's signature over another text.
  request = Offer(entries_.size());
  request.note[0] ^= 1;  // the first character of the origin line
  EXPECT_EQ(Check(request).status().code(), StatusCode::kUnauthenticated);
  // Signed by the log, but a checkpoint of another log.
  request.note = Note(entries_.size(), entries_, signer_, "example.test/logs/other");
  auto other = Check(request);
  EXPECT_EQ(other.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(other.status().message(), "a checkpoint of another log");
  EXPECT_EQ(state_.size, 0u);
}

TEST_F(WitnessTest, AProofFromAnotherSizeOrAFailedFetchPasses) {
  Grow(3);
  Accept(entries_.size());
  Grow(3);
  ledger::AddCheckpointRequest request = Offer(entries_.size());
  request.old_size = 2;
  EXPECT_EQ(Check(request).status().code(), StatusCode::kFailedPrecondition);
  auto check = CheckCheckpoint(
      state_, log_key_, kOrigin, Offer(entries_.size()),
      [](uint64_t, uint64_t, std::vector<std::string>&) { return UnavailableError("offline"); },
      replica_);
  EXPECT_EQ(check.status().code(), StatusCode::kUnavailable);
  check = CheckCheckpoint(
      state_, log_key_, kOrigin, Offer(entries_.size()),
      [](uint64_t, uint64_t, std::vector<std::string>&) { return Status::Ok(); }, replica_);
  EXPECT_EQ(check.status().code(), StatusCode::kUnavailable);
}

TEST_F(WitnessTest, TheCosignedStateIsDurableAndJudgesTheNextCheckpoint) {
  TempDirectory temp("quartet-witness");
  const std::string directory = (temp.path() / "agent").string();
  FakeRandom random(5);
  Grow(3);
  {
    auto store = AgentStore::Create(directory, random);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Accept(entries_.size());
    ASSERT_TRUE((*store)->CommitWitnessed(state_, replica_, {}).ok());
  }
  // A restarted agent: the state and the replica come back from agent.db.
  auto store = AgentStore::Open(directory);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto loaded = (*store)->LoadWitness();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->size, state_.size);
  EXPECT_EQ(loaded->root, state_.root);
  EXPECT_EQ(loaded->edge, state_.edge);
  EXPECT_EQ(loaded->note, state_.note);
  replica_ = Replica("acme");
  ASSERT_TRUE((*store)->LoadReplica(replica_).ok());
  ASSERT_NE(replica_.FindGrant("g3"), nullptr);
  state_ = *loaded;
  // It still refuses a rollback below what it cosigned before the restart, and extends from there.
  auto rollback = Check(Offer(2));
  ASSERT_TRUE(rollback.ok());
  EXPECT_EQ(rollback->outcome, WitnessOutcome::kRollback);
  Grow(3);
  Accept(entries_.size());
  EXPECT_NE(replica_.FindGrant("g6"), nullptr);
  // A halt is durable too: the agent refuses the log for good, whatever comes next.
  ASSERT_TRUE((*store)->Halt({0, 10, "rollback", "the log went back", false}).ok());
  store = AgentStore::Open(directory);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->LoadWitness()->halted, "rollback: the log went back");
}

}  // namespace
}  // namespace quartet::agent

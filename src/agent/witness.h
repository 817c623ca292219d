// The witness's judgement of one checkpoint the log offers (c2sp.org/tlog-witness semantics): it
// must be signed by the log, extend the last checkpoint the agent cosigned (consistency proof), and
// its new entries, fetched and hashed by the agent onto its stored right edge of the tree, must
// give the checkpoint's root. The entries are replayed into the agent's replica on the way.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/agent_store.h"
#include "agent/replica.h"
#include "ledger/checkpoint.h"
#include "ledger/note.h"
#include "ledger/witness.h"

namespace quartet::agent {

enum class WitnessOutcome {
  kExtends,        // cosign it
  kUnchanged,      // the checkpoint already cosigned
  kRollback,       // smaller than the one cosigned: refuse for good
  kFork,           // does not extend the one cosigned: refuse for good
  kBadCheckpoint,  // signed, but its entries do not give its root: refuse for good
};
std::string_view WitnessOutcomeName(WitnessOutcome outcome);

struct WitnessCheck {
  WitnessOutcome outcome = WitnessOutcome::kUnchanged;
  std::string detail;  // why, for a refusal
  ledger::Checkpoint checkpoint;
  std::string body;        // the checkpoint's note text: what the cosignature covers
  std::vector<Hash> edge;  // with kExtends: the right edge of the new tree
  // With kExtends and a `root_at` size among the new entries: the tree's root at that size.
  std::optional<Hash> root_at;
};

// Appends the entries from `begin` to at most `end` (it may stop early, at a bundle's end).
using EntryFetcher =
    std::function<Status(uint64_t begin, uint64_t end, std::vector<std::string>& out)>;

// Errors are for what may pass (a note the log did not sign, another log's checkpoint, a proof
// from another size than `state`'s, a failed fetch); refusals for good are outcomes. The replica
// has the new entries applied only with kExtends; otherwise the caller reloads it. With
// `root_at` above the cosigned size and at most the checkpoint's, the root of the tree at that
// size is worked out on the way (WitnessCheck::root_at).
StatusOr<WitnessCheck> CheckCheckpoint(const WitnessState& state,
                                       const ledger::NoteVerifier& log_key, std::string_view origin,
                                       const ledger::AddCheckpointRequest& request,
                                       const EntryFetcher& fetch, Replica& replica,
                                       uint64_t root_at = 0);

}  // namespace quartet::agent

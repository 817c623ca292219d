#include "agent/witness.h"

#include "ledger/merkle.h"

namespace quartet::agent {

std::string_view WitnessOutcomeName(WitnessOutcome outcome) {
  switch (outcome) {
    case WitnessOutcome::kExtends:
      return "extends";
    case WitnessOutcome::kUnchanged:
      return "unchanged";
    case WitnessOutcome::kRollback:
      return "rollback";
    case WitnessOutcome::kFork:
      return "fork";
    case WitnessOutcome::kBadCheckpoint:
      return "bad-checkpoint";
  }
  return "unknown";
}

StatusOr<WitnessCheck> CheckCheckpoint(const WitnessState& state,
                                       const ledger::NoteVerifier& log_key, std::string_view origin,
                                       const ledger::AddCheckpointRequest& request,
                                       const EntryFetcher& fetch, Replica& replica,
                                       uint64_t root_at) {
  if (request.old_size != state.size) {
    return FailedPreconditionError("the server offered a proof from size " +
                                   std::to_string(request.old_size) + ", not from " +
                                   std::to_string(state.size));
  }
  const ledger::NoteVerifier keys[] = {log_key};
  auto note = ledger::OpenNote(request.note, keys);
  if (!note.ok())
    return UnauthenticatedError("a checkpoint the log did not sign: " + note.status().message());
  WitnessCheck check;
  ASSIGN_OR_RETURN(check.checkpoint, ledger::Checkpoint::Parse(note->text));
  check.body = note->text;
  const ledger::Checkpoint& checkpoint = check.checkpoint;
  if (checkpoint.origin != origin) return UnauthenticatedError("a checkpoint of another log");
  const std::string sizes =
      std::to_string(checkpoint.size) + " (cosigned: " + std::to_string(state.size) + ")";
  auto refuse = [&](WitnessOutcome outcome, std::string detail) {
    check.outcome = outcome;
    check.detail = std::move(detail);
    return check;
  };
  if (checkpoint.size < state.size)
    return refuse(WitnessOutcome::kRollback, "the log went back to size " + sizes);
  if (checkpoint.size == state.size) {
    if (checkpoint.root != state.root)
      return refuse(WitnessOutcome::kFork, "another tree of the same size " + sizes);
    return refuse(WitnessOutcome::kUnchanged, "");
  }
  if (state.size > 0) {
    Status consistent = ledger::VerifyConsistency(state.size, checkpoint.size, request.proof,
                                                  state.root, checkpoint.root);
    if (!consistent.ok()) {
      return refuse(WitnessOutcome::kFork,
                    "the checkpoint of size " + sizes +
                        " does not extend the cosigned one: " + consistent.message());
    }
  }
  ASSIGN_OR_RETURN(ledger::CompactRange edge,
                   ledger::CompactRange::FromNodes(state.size, state.edge));
  ledger::MerkleHasher hasher;
  std::vector<std::string> entries;
  for (uint64_t index = state.size; index < checkpoint.size;) {
    entries.clear();
    RETURN_IF_ERROR(fetch(index, checkpoint.size, entries));
    if (entries.empty())
      return UnavailableError("no entries served from index " + std::to_string(index));
    for (const std::string& entry : entries) {
      if (index == checkpoint.size) break;
      edge.Append(hasher, hasher.Leaf(ByteView(reinterpret_cast<const uint8_t*>(entry.data()),
                                               entry.size())));
      replica.Apply(index++, entry);
      if (index == root_at) check.root_at = edge.Root(hasher);
    }
  }
  if (edge.Root(hasher) != checkpoint.root) {
    return refuse(WitnessOutcome::kBadCheckpoint,
                  "the entries served do not hash to the root of checkpoint " + sizes);
  }
  check.outcome = WitnessOutcome::kExtends;
  check.edge = edge.nodes();
  return check;
}

}  // namespace quartet::agent

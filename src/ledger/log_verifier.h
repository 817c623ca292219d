// Verifies a whole published log from the outside, as `quartet verify` does: the checkpoint's
// signature, every entry, every hash of every tile, and, given a checkpoint seen before, that the
// log only grew since (same origin, no smaller size, and the old root is the root of the same
// first entries).
//
// Memory stays constant in the log's size: entries are hashed as they stream in and each tile is
// compared as its nodes complete.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ledger/checkpoint.h"
#include "ledger/note.h"
#include "ledger/tiles.h"

namespace quartet::ledger {

struct VerifyLogOptions {
  NoteVerifier log_key;
  // Witnesses (c2sp.org/tlog-cosignature) that must all have cosigned the checkpoint.
  std::vector<NoteVerifier> witnesses;
  // A signed checkpoint this verifier saw before, if any.
  std::optional<std::string> previous_note;
  // Called now and then with (entries verified, entries in the log).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct VerifiedLog {
  Checkpoint checkpoint;
  std::string note;  // the signed checkpoint as fetched
};

// `fetch_checkpoint` returns the signed checkpoint note; `fetch_tile` returns tiles and entry
// bundles. Returns the verified checkpoint, or an error whose message is one clear reason:
// InvalidArgument/DataLoss for a log that does not check, FailedPrecondition for a rollback or a
// rewritten history, and the fetchers' own errors.
StatusOr<VerifiedLog> VerifyLog(const std::function<StatusOr<std::string>()>& fetch_checkpoint,
                                const TileFetcher& fetch_tile, const VerifyLogOptions& options);

}  // namespace quartet::ledger

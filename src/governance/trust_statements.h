// Each client's trust chain as the server keeps it (trust/chain.h, docs/trust-chain.md): the server
// stores and relays the statements the client's owners sign, and checks each against the chain
// before it keeps it, so that it never relays one the chain refuses. The server cannot make a
// statement: it holds no key of the chain. Every statement is also an entry of the client's log
// (kind "trust.statement"), committed with it. A use of the recovery key (a `recovered` statement)
// is told to the client's owners at once, and shown on every dashboard of the client until an owner
// acknowledges it (logged as "trust.recovery_acknowledged").
//
// A statement that needs more owners' signatures than it carries is kept aside while they gather
// (docs/trust-chain.md, "Collecting signatures"): each owner's device checks it against the chain
// it replays itself, adds its signature and submits it again; the server merges the signatures, and
// once enough owners signed it, it joins the chain like any other. Until then it counts for
// nothing; it is dropped once the chain has moved past the position it was made for.
//
// Thread safety: share one per process; every method may be called from any thread.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "governance/committer.h"
#include "governance/permissions.h"
#include "trust/chain.h"

namespace quartet::governance {

class TrustStatements {
 public:
  explicit TrustStatements(Committer& committer) : committer_(committer) {}

  // A statement waiting for more owners' signatures.
  struct Pending {
    std::string id;         // the first 16 hex digits of the SHA-256 of its body
    std::string statement;  // with every signature gathered so far
    std::string kind;
    uint64_t seq = 0;
    std::string proposed_by;
    int64_t proposed_at = 0;
    std::vector<std::string> signed_by;  // the owners whose devices signed it
    int threshold = 1;                   // the owners it needs
  };
  // How many statements may wait for signatures at once, per client.
  static constexpr int64_t kMaxPending = 20;

  // Checks `statement` against the client's chain and keeps it as the chain's next, its
  // signatures merged with those an earlier submission of the same body gathered. One that some
  // owners signed and more must (trust::Chain::CheckCollecting) is kept aside in `pending` instead,
  // from an owner of the client only. NotFound unless `actor` may see the client; PermissionDenied
  // for a genesis, or a statement short of signatures, from anyone but an owner of the client;
  // FailedPrecondition with kMaxPending waiting; the chain's own errors otherwise.
  struct Submitted {
    trust::ChainState state;  // the chain as it stands after it
    std::optional<Pending> pending;
  };
  StatusOr<Submitted> Submit(const Actor& actor, const std::string& client,
                             const std::string& statement);

  // The statements of the client's chain waiting for signatures, made for its head, oldest first.
  // NotFound unless `actor` may see the client.
  StatusOr<std::vector<Pending>> ListPending(const Actor& actor, const std::string& client);
  // The statements of the client's chain, in order, and what they say, for anyone who may see the
  // client; and which uses of the recovery key an owner acknowledged.
  struct Acknowledgement {
    uint64_t seq = 0;  // the `recovered` statement's position
    std::string by;
    int64_t at = 0;
  };
  struct View {
    std::vector<std::string> statements;
    trust::ChainState state;
    std::vector<Acknowledgement> acknowledgements;
    std::vector<Pending> pending;  // with Get(…, pending): waiting for signatures (ListPending)
  };
  // With `pending`, also the statements waiting for signatures (each checked: work a reader of
  // the chain's state alone does not need).
  StatusOr<View> Get(const Actor& actor, const std::string& client, bool pending = false);

  // An owner of the client says they know of the use of the recovery key at `seq` (once; again
  // changes nothing). NotFound unless `actor` may see the client, and for a position that holds no
  // `recovered` statement; PermissionDenied unless `actor` is an owner of the client.
  StatusOr<Acknowledgement> AcknowledgeRecovery(const Actor& actor, const std::string& client,
                                                uint64_t seq);

  // The chain of `client` from its rows on `db` (a connection the caller holds), replayed; each
  // statement is parsed and checked once per process.
  StatusOr<trust::Chain> Load(store::Database& db, const std::string& client) EXCLUDES(chains_mu_);

 private:
  StatusOr<trust::Chain> Replay(const std::string& client, std::span<const std::string> statements)
      EXCLUDES(chains_mu_);

  StatusOr<std::vector<Pending>> ReadPending(store::Database& db, const trust::Chain& chain);
  StatusOr<std::optional<Pending>> FindPending(store::Database& db, const trust::Chain& chain,
                                               const std::string& id);
  static Status DropStalePending(store::Database& db, const std::string& client, uint64_t size);
  StatusOr<Pending> KeepPending(ChangeScope& scope, const Actor& actor, const trust::Chain& chain,
                                const std::string& statement, const std::optional<Pending>& earlier,
                                int64_t now);

  Committer& committer_;
  // A chain as last replayed, and the text of its last statement.
  struct Replayed {
    trust::Chain chain;
    std::string last;
  };
  Mutex chains_mu_;
  std::map<std::string, Replayed> chains_ GUARDED_BY(chains_mu_);
};

}  // namespace quartet::governance

// Each client's trust chain as the server keeps it (trust/chain.h, docs/trust-chain.md): the server
// stores and relays the statements the client's owners sign, and checks each against the chain
// before it keeps it, so that it never relays one the chain refuses. The server cannot make a
// statement: it holds no key of the chain. Every statement is also an entry of the client's log
// (kind "trust.statement"), committed with it. A use of the recovery key (a `recovered` statement)
// is told to the client's owners at once, and shown on every dashboard of the client until an owner
// acknowledges it (logged as "trust.recovery_acknowledged").
//
// Thread safety: share one per process; every method may be called from any thread.
#pragma once

#include <map>
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

  // Checks `statement` against the client's chain and keeps it as the chain's next. NotFound
  // unless `actor` may see the client; PermissionDenied for a genesis from anyone but an owner of
  // the client; the chain's own errors otherwise (trust::Chain::Apply).
  // Returns the chain as it stands after it.
  StatusOr<trust::ChainState> Submit(const Actor& actor, const std::string& client,
                                     const std::string& statement);
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
  };
  StatusOr<View> Get(const Actor& actor, const std::string& client);

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

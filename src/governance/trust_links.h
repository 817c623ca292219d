// Linking a new device to a client's trust chain (docs/trust-chain.md, "Linking a device"). The
// new device makes the `device.added` statement for the chain's head, signs it alone and offers it
// here under a short one-time code; one of the owner's existing devices claims it by that code,
// checks it against the chain it replays itself, adds its signature and submits it like any other
// statement (TrustStatements::Submit). The server only relays: without the existing device's
// signature the statement counts for nothing, and the approving device refuses a statement that
// does not name the key its code names.
//
// A code is ten characters of Crockford base32 ("7KQ2M-9XD4T"; the server keeps only its SHA-256),
// valid for ten minutes and claimed once. Offering and claiming are events of the client's log.
//
// Thread safety: share one per process; every method may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "governance/committer.h"
#include "governance/permissions.h"
#include "governance/trust_statements.h"

namespace quartet::governance {

class TrustLinks {
 public:
  static constexpr int64_t kLinkSeconds = 10 * 60;
  // Links a client may have waiting at once: enough for any owner, too few to fill the database.
  static constexpr int64_t kMaxWaiting = 20;

  TrustLinks(Committer& committer, TrustStatements& trust) : committer_(committer), trust_(trust) {}

  // Keeps `statement`, a device.added made by the new device for the chain as it stands
  // (trust::Chain::CheckLink), under a fresh code. NotFound unless `actor` may see the client;
  // PermissionDenied unless `actor` is an owner of the client and the statement names them;
  // FailedPrecondition for a client without a chain or with kMaxWaiting links waiting; the chain's
  // own errors for the statement.
  struct Offered {
    std::string code;
    std::string key_id;  // the new device's
    int64_t expires_at = 0;
  };
  StatusOr<Offered> Offer(const Actor& actor, const std::string& client,
                          const std::string& statement);

  // The statement offered under `code` (case and '-' do not matter), given once. NotFound unless
  // `actor` may see the client, and for a code unknown, claimed or expired; PermissionDenied
  // unless `actor` is an owner of the client.
  struct Claimed {
    std::string statement;
    std::string offered_by;
    std::string key_id;
    int64_t expires_at = 0;
  };
  StatusOr<Claimed> Claim(const Actor& actor, const std::string& client, std::string_view code);

 private:
  Committer& committer_;
  TrustStatements& trust_;
};

}  // namespace quartet::governance

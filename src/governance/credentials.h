// The client's credentials (docs/credentials.md): passwords and keys for its mailboxes, finance
// systems, consoles and devices, each sealed on the storing machine to the client's agent
// (vault/credential.h). The server keeps only sealed bytes and what the log says of them: who stored
// which version, its commitment, whether it is held exclusively, how it rotates, and its reveals
// and rotations. Nothing here can open a credential.
//
// Thread safety: share one per process; every method may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "governance/committer.h"
#include "governance/permissions.h"
#include "governance/trust_statements.h"
#include "vault/credential.h"

namespace quartet::governance {

// A version to store, as `quartet vault put` and the dashboard make it.
struct CredentialVersion {
  std::string resource;
  std::string name;
  std::string username;  // the account it opens, if it says (shown, not secret)
  bool exclusive = false;
  // How the agent changes it after a reveal: "postgresql://ROLE@HOST:PORT", "ssh://USER@HOST:PORT"
  // or "ldap://HOST:PORT/DN"; empty: by hand.
  std::string rotate;
  uint64_t version = 0;  // the next one: 1 for a new credential
  vault::SealedCredential sealed;
  std::string commitment;
};

// What anyone who may see the client learns of a credential: never its sealed bytes.
struct CredentialInfo {
  std::string resource;
  std::string name;
  std::string username;
  bool exclusive = false;
  std::string rotate;
  uint64_t version = 0;
  std::string commitment;
  std::string sealed_to;
  std::string stored_by;
  int64_t stored_at = 0;
  // The last reveal (0 and empty until one), and the version it revealed.
  uint64_t revealed_version = 0;
  std::string revealed_to;
  std::string revealed_grant;
  int64_t revealed_at = 0;
  int64_t rotated_at = 0;
  // "current", "rotation due" (revealed, the agent rotates it when the grant ends) or "rotate by
  // hand" (revealed, and nothing rotates it).
  std::string state;
};

// Checks a rotation target's form; InvalidArgument naming what is wrong.
Status CheckRotationTarget(std::string_view target);

class Credentials {
 public:
  Credentials(Committer& committer, TrustStatements& trust)
      : committer_(committer), trust_(trust) {}

  // An owner of the client or a provider admin stores the next version of a credential of one of
  // the client's resources. The version must follow the stored one (FailedPrecondition
  // otherwise, naming the current one: seal again for it); it must be sealed to the sealing key of
  // the agent the client's trust chain confirms (FailedPrecondition without one). Logged as
  // `credential.stored`. NotFound unless the actor may see the client.
  StatusOr<CredentialInfo> Store(const Actor& actor, const std::string& client,
                                 const CredentialVersion& version);
  // The client's credentials, by resource and name. Anyone who may see the client.
  StatusOr<std::vector<CredentialInfo>> List(const Actor& actor, const std::string& client);

 private:
  Committer& committer_;
  TrustStatements& trust_;
};

}  // namespace quartet::governance

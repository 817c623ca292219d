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
  // Why the agent's last attempt to rotate it failed, and when (empty and 0 since it succeeded).
  std::string rotation_error;
  int64_t rotation_failed_at = 0;
  // "current", "rotation due" (revealed, the agent rotates it when the grant ends), "rotation
  // failed" (the agent tried and could not: it tries again) or "rotate by hand" (revealed, and
  // nothing rotates it).
  std::string state;
};

// A rotation by the client's agent (agent/agent.h): the secret revealed under `grant` changed on
// its target to `version`, sealed to the agent itself; or, with `failure`, why it could not.
struct CredentialRotation {
  std::string resource;
  std::string name;
  uint64_t version = 0;
  std::string grant;
  vault::SealedCredential sealed;
  std::string commitment;
  // The short SSH certificate the agent logged in to the target with, if it used one.
  std::string certificate_key_id;
  uint64_t certificate_serial = 0;
  std::string failure;
};

// A credential's current version as its agent opens it.
struct SealedCredentialVersion {
  std::string resource;
  std::string name;
  uint64_t version = 0;
  vault::SealedCredential sealed;
  std::string commitment;
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

  // For the client's agent: every credential's current version, sealed to it.
  StatusOr<std::vector<SealedCredentialVersion>> SealedVersions(const std::string& client);
  // The client's agent records a rotation: `version` must follow the stored one and be sealed to
  // the agent the chain confirms; the same version with the same commitment again is OK (an
  // answer the agent did not receive). Logged as `credential.rotated`. With `failure`, logged as
  // `credential.rotation_failed` (once for each new reason) and the version stays.
  Status RecordRotation(const std::string& client, const CredentialRotation& rotation);

 private:
  Status CheckSealedToTheChainsAgent(ChangeScope& scope, const std::string& client,
                                     const vault::SealedCredential& sealed);

  Committer& committer_;
  TrustStatements& trust_;
};

}  // namespace quartet::governance

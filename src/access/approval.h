// Owner approvals and denials are signed by the owner's own Ed25519 key, held by the owner's
// browser or CLI, never by the server. The server checks the signature and keeps it in the log
// entry, so that the client's agent can check it again without trusting the server.
//
// Signed message (UTF-8, no trailing newline after the request):
//   "quartet-owner-decision/v1\n" || ("approve" | "deny") || "\n" || canonical request JSON
// The canonical request (CanonicalRequest in grant.h) names the client, the grant's id and every
// term the owner agrees to, so a signature cannot be moved to another grant, client or decision.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/random.h"
#include "base/status.h"

namespace quartet::access {

enum class OwnerDecision { kApprove, kDeny };

std::string OwnerDecisionMessage(OwnerDecision decision, std::string_view canonical_request);

// A registered owner key: a 32-byte Ed25519 public key and its short ID.
struct OwnerKey {
  Bytes public_key;
  // Hex of the first 8 bytes of SHA-256(public key): how entries and people name the key.
  std::string Id() const;
  // Refuses anything but a valid, non-small-order 32-byte Ed25519 point.
  static StatusOr<OwnerKey> FromPublicKey(ByteView public_key);
};

// Unauthenticated unless `signature` (64 bytes) is `key`'s signature of the decision message.
Status VerifyOwnerDecision(const OwnerKey& key, OwnerDecision decision,
                           std::string_view canonical_request, ByteView signature);

// Whether `signature` is `key`'s Ed25519 signature of `message` (for messages with their own
// domain prefix, such as trust statements).
bool VerifyOwnerSignature(const OwnerKey& key, std::string_view message, ByteView signature);

// An owner's key pair, as the CLI holds it (the browser holds its own in WebCrypto). Secret: never
// log it.
class OwnerSigner {
 public:
  static OwnerSigner Generate(Random& random);
  // From the 32-byte seed that Seed() returns.
  static StatusOr<OwnerSigner> FromSeed(ByteView seed);
  // The secret seed, for keeping the key in a file only its owner can read.
  Bytes Seed() const { return Bytes(secret_key_.begin(), secret_key_.begin() + 32); }
  OwnerKey key() const;
  Bytes Sign(OwnerDecision decision, std::string_view canonical_request) const;
  // The Ed25519 signature of `message`, which must carry its own domain prefix.
  Bytes SignMessage(std::string_view message) const;

 private:
  OwnerSigner() = default;  // only with a key: Generate or FromSeed
  Bytes public_key_;
  Bytes secret_key_;
};

}  // namespace quartet::access

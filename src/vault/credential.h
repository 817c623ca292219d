// A credential sealed to the client's agent (docs/credentials.md). The secret and a random salt are
// sealed with HPKE (vault/hpke.h) to the agent's sealing key, bound to the credential's name and
// version: a sealed secret moved to another credential or version does not open. The log holds a
// commitment to each version — SHA-256 over a label, the salt and the secret — which whoever
// learns the secret (the agent, and a technician it reveals it to) can check, and nobody else can
// test guesses against, the salt being as secret as the secret.
#pragma once

#include <string>
#include <string_view>

#include "base/random.h"
#include "base/status.h"
#include "vault/hpke.h"

namespace quartet::vault {

// Overwrites `text` with zeros when it goes out of scope: for strings that held a secret.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& text) : text_(text) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit();

 private:
  std::string& text_;
};

// The secrets the vault holds are at most this long (passwords, keys, recovery codes).
inline constexpr size_t kMaxSecretSize = 8192;

// Which credential, and which of its versions.
struct CredentialName {
  std::string client;
  std::string resource;
  std::string name;
  uint64_t version = 0;
};

// What the server keeps: the HPKE encapsulation, the ciphertext, and the sealing key (as text) it
// was sealed to.
struct SealedCredential {
  HpkeKey enc{};
  std::string ciphertext;
  std::string sealed_to;
};

struct SealedVersion {
  SealedCredential sealed;
  std::string commitment;  // 64 hex digits
};

// Seals `secret` (1 to kMaxSecretSize bytes) to `sealing_key` (its text, vault/sealing_key.h).
StatusOr<SealedVersion> SealCredential(const CredentialName& credential,
                                       std::string_view sealing_key, std::string_view secret,
                                       Random& random);

struct OpenedCredential {
  std::string secret;
  std::string commitment;  // recomputed from the salt and secret inside
};
// Opens what was sealed for exactly `credential`; DataLoss for anything else.
StatusOr<OpenedCredential> OpenCredential(const CredentialName& credential,
                                          const HpkeKeyPair& agent, const SealedCredential& sealed);

// The commitment to a version's secret: hex of SHA-256("quartet-credential-commitment/v1\n" ||
// salt || secret).
std::string CredentialCommitment(ByteView salt, std::string_view secret);

// A reveal: the secret of one version, sealed by the agent to the one-time key (sealing key text) of
// the technician who asked, bound to the version and to the request. Only the technician's
// machine, which made the key and keeps it in memory, opens it.
struct RevealName {
  CredentialName credential;
  std::string request;  // the reveal request's ID
};
inline constexpr std::string_view kRevealInfo = "quartet-reveal/v1";
StatusOr<HpkeSealed> SealReveal(const RevealName& reveal, std::string_view one_time_key,
                                std::string_view secret, Random& random);
StatusOr<std::string> OpenReveal(const RevealName& reveal, const HpkeKeyPair& one_time,
                                 ByteView enc, ByteView ciphertext);

// HPKE's info and the AAD of one version (canonical JSON of the name and version).
inline constexpr std::string_view kCredentialInfo = "quartet-credential/v1";
std::string CredentialAad(const CredentialName& credential);

}  // namespace quartet::vault

#include "vault/credential.h"

#include <sodium.h>

#include "base/json.h"
#include "base/sha256.h"
#include "vault/sealing_key.h"

namespace quartet::vault {
namespace {

constexpr size_t kSaltSize = 32;

}  // namespace

WipeOnExit::~WipeOnExit() { sodium_memzero(text_.data(), text_.size()); }

std::string CredentialCommitment(ByteView salt, std::string_view secret) {
  Sha256 hash;
  hash.Update(std::string_view("quartet-credential-commitment/v1\n")).Update(salt).Update(secret);
  const Hash digest = hash.Finish();
  return HexEncode(digest);
}

std::string CredentialAad(const CredentialName& credential) {
  return CanonicalJsonOf({{"client", credential.client},
                          {"resource", credential.resource},
                          {"name", credential.name},
                          {"version", credential.version}});
}

namespace {

std::string RevealAad(const RevealName& reveal) {
  return CanonicalJsonOf({{"client", reveal.credential.client},
                          {"resource", reveal.credential.resource},
                          {"name", reveal.credential.name},
                          {"version", reveal.credential.version},
                          {"request", reveal.request}});
}

}  // namespace

StatusOr<HpkeSealed> SealReveal(const RevealName& reveal, std::string_view one_time_key,
                                std::string_view secret, Random& random) {
  ASSIGN_OR_RETURN(const HpkeKey recipient, ParseSealingKey(one_time_key));
  const std::string aad = RevealAad(reveal);
  return HpkeSeal(recipient, AsBytes(kRevealInfo), AsBytes(aad), AsBytes(secret), random);
}

StatusOr<std::string> OpenReveal(const RevealName& reveal, const HpkeKeyPair& one_time,
                                 ByteView enc, ByteView ciphertext) {
  const std::string aad = RevealAad(reveal);
  return HpkeOpen(one_time, enc, AsBytes(kRevealInfo), AsBytes(aad), ciphertext);
}

StatusOr<SealedVersion> SealCredential(const CredentialName& credential,
                                       std::string_view sealing_key, std::string_view secret,
                                       Random& random) {
  if (secret.empty() || secret.size() > kMaxSecretSize)
    return InvalidArgumentError("a secret has 1 to " + std::to_string(kMaxSecretSize) + " bytes");
  ASSIGN_OR_RETURN(const HpkeKey recipient, ParseSealingKey(sealing_key));
  std::array<uint8_t, kSaltSize> salt;
  random.Fill(salt);
  std::string encoded = Base64Encode(AsBytes(secret));
  WipeOnExit wipe_encoded{encoded};
  std::string plaintext = CanonicalJsonOf({{"salt", Base64Encode(salt)}, {"secret", encoded}});
  WipeOnExit wipe_plaintext{plaintext};
  const std::string aad = CredentialAad(credential);
  SealedVersion out;
  out.commitment = CredentialCommitment(salt, secret);
  sodium_memzero(salt.data(), salt.size());
  ASSIGN_OR_RETURN(HpkeSealed sealed, HpkeSeal(recipient, AsBytes(kCredentialInfo), AsBytes(aad),
                                               AsBytes(plaintext), random));
  out.sealed = {sealed.enc, std::move(sealed.ciphertext), std::string(sealing_key)};
  return out;
}

StatusOr<OpenedCredential> OpenCredential(const CredentialName& credential,
                                          const HpkeKeyPair& agent,
                                          const SealedCredential& sealed) {
  if (sealed.sealed_to != SealingKeyString(agent.public_key))
    return DataLossError("the credential was sealed to another key than this agent's");
  const std::string aad = CredentialAad(credential);
  ASSIGN_OR_RETURN(std::string opened, HpkeOpen(agent, sealed.enc, AsBytes(kCredentialInfo),
                                                AsBytes(aad), AsBytes(sealed.ciphertext)));
  WipeOnExit wipe_opened{opened};
  auto document = JsonDocument::Parse(opened, "a sealed credential");
  if (!document.ok()) return DataLossError("a sealed credential does not hold JSON");
  auto salt_text = document->root().Text("salt", Field::kRequired);
  auto secret_text = document->root().Text("secret", Field::kRequired);
  if (!salt_text.ok() || !secret_text.ok())
    return DataLossError("a sealed credential lacks its salt or secret");
  auto salt = Base64Decode(*salt_text);
  auto secret = Base64Decode(*secret_text);
  if (!salt.ok() || salt->size() != kSaltSize || !secret.ok())
    return DataLossError("a sealed credential's salt or secret is malformed");
  OpenedCredential out;
  out.secret.assign(secret->begin(), secret->end());
  sodium_memzero(secret->data(), secret->size());
  out.commitment = CredentialCommitment(*salt, out.secret);
  return out;
}

}  // namespace quartet::vault

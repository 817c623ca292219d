#include "access/approval.h"

#include <sodium.h>

#include "base/sha256.h"

namespace quartet::access {

std::string OwnerDecisionMessage(OwnerDecision decision, std::string_view canonical_request) {
  std::string message = "quartet-owner-decision/v1\n";
  message += decision == OwnerDecision::kApprove ? "approve" : "deny";
  message += '\n';
  message += canonical_request;
  return message;
}

std::string OwnerKey::Id() const {
  const Hash digest = Sha256::Of(public_key);
  return HexEncode(ByteView(digest.data(), 8));
}

StatusOr<OwnerKey> OwnerKey::FromPublicKey(ByteView public_key) {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES) {
    return InvalidArgumentError("an owner key is a 32-byte Ed25519 public key");
  }
  if (crypto_core_ed25519_is_valid_point(public_key.data()) != 1) {
    return InvalidArgumentError("not a valid Ed25519 public key");
  }
  return OwnerKey{Bytes(public_key.begin(), public_key.end())};
}

Status VerifyOwnerDecision(const OwnerKey& key, OwnerDecision decision,
                           std::string_view canonical_request, ByteView signature) {
  if (signature.size() != crypto_sign_BYTES ||
      key.public_key.size() != crypto_sign_PUBLICKEYBYTES) {
    return UnauthenticatedError("malformed owner signature");
  }
  const std::string message = OwnerDecisionMessage(decision, canonical_request);
  if (crypto_sign_verify_detached(signature.data(),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size(), key.public_key.data()) != 0) {
    return UnauthenticatedError(
        "the owner's signature does not match this decision on this request");
  }
  return Status::Ok();
}

bool VerifyOwnerSignature(const OwnerKey& key, std::string_view message, ByteView signature) {
  return signature.size() == crypto_sign_BYTES &&
         key.public_key.size() == crypto_sign_PUBLICKEYBYTES &&
         crypto_sign_verify_detached(signature.data(),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.public_key.data()) == 0;
}

OwnerSigner OwnerSigner::Generate(Random& random) {
  Bytes seed(crypto_sign_SEEDBYTES);
  random.Fill(seed);
  OwnerSigner signer;
  signer.public_key_.resize(crypto_sign_PUBLICKEYBYTES);
  signer.secret_key_.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(signer.public_key_.data(), signer.secret_key_.data(), seed.data());
  sodium_memzero(seed.data(), seed.size());
  return signer;
}

StatusOr<OwnerSigner> OwnerSigner::FromSeed(ByteView seed) {
  if (seed.size() != crypto_sign_SEEDBYTES)
    return InvalidArgumentError("an owner key seed is 32 bytes");
  OwnerSigner signer;
  signer.public_key_.resize(crypto_sign_PUBLICKEYBYTES);
  signer.secret_key_.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(signer.public_key_.data(), signer.secret_key_.data(), seed.data());
  return signer;
}

OwnerKey OwnerSigner::key() const { return OwnerKey{public_key_}; }

Bytes OwnerSigner::Sign(OwnerDecision decision, std::string_view canonical_request) const {
  return SignMessage(OwnerDecisionMessage(decision, canonical_request));
}

Bytes OwnerSigner::SignMessage(std::string_view message) const {
  Bytes signature(crypto_sign_BYTES);
  crypto_sign_detached(signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_key_.data());
  return signature;
}

}  // namespace quartet::access

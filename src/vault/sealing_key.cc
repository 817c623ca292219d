#include "vault/sealing_key.h"

#include <sodium.h>

#include <algorithm>

namespace quartet::vault {
namespace {

constexpr std::string_view kFilePrefix = "quartet-sealing-key/v1 ";

StatusOr<HpkeKey> KeyOf(std::string_view text, std::string_view what) {
  auto bytes = Base64Decode(text);
  if (!bytes.ok() || bytes->size() != kHpkeKeySize)
    return InvalidArgumentError(std::string(what) + " is not the base64 of 32 bytes");
  HpkeKey key;
  std::copy(bytes->begin(), bytes->end(), key.begin());
  sodium_memzero(bytes->data(), bytes->size());
  return key;
}

}  // namespace

std::string SealingKeyString(const HpkeKey& public_key) { return Base64Encode(public_key); }

StatusOr<HpkeKey> ParseSealingKey(std::string_view text) {
  ASSIGN_OR_RETURN(HpkeKey key, KeyOf(text, "the sealing key"));
  // A key of small order would make every shared secret zero: refused when sealing, so here too.
  HpkeKey probe{};
  probe[0] = 1;
  uint8_t shared[crypto_scalarmult_BYTES];
  if (crypto_scalarmult(shared, probe.data(), key.data()) != 0)
    return InvalidArgumentError("the sealing key is not a usable X25519 key");
  return key;
}

std::string SealingKeyFile(const HpkeKeyPair& pair) {
  return std::string(kFilePrefix) + Base64Encode(pair.private_key) + "\n";
}

StatusOr<HpkeKeyPair> ParseSealingKeyFile(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (!text.starts_with(kFilePrefix)) return InvalidArgumentError("not a quartet sealing key file");
  text.remove_prefix(kFilePrefix.size());
  HpkeKeyPair pair;
  ASSIGN_OR_RETURN(pair.private_key, KeyOf(text, "the sealing key file"));
  pair.public_key = HpkePublicKey(pair.private_key);
  return pair;
}

}  // namespace quartet::vault

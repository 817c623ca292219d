// Hybrid public key encryption (RFC 9180) in base mode, with one cipher suite: DHKEM(X25519,
// HKDF-SHA256), HKDF-SHA256 and AES-128-GCM (KEM 0x0020, KDF 0x0001, AEAD 0x0001), the suite of
// RFC 9180 appendix A.1, which WebCrypto opens in a browser too. A secret is sealed to the public
// key of whoever may open it; only the holder of the private key opens it.
//
// X25519 comes from libsodium; HKDF-SHA256 and AES-128-GCM from OpenSSL.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/random.h"
#include "base/status.h"

namespace quartet::vault {

inline constexpr size_t kHpkeKeySize = 32;  // X25519 private and public keys, and `enc`
inline constexpr size_t kHpkeTagSize = 16;  // AES-128-GCM's tag, at the end of every ciphertext

using HpkeKey = std::array<uint8_t, kHpkeKeySize>;

struct HpkeKeyPair {
  HpkeKey private_key;
  HpkeKey public_key;
};

// A fresh key pair from `random`.
HpkeKeyPair GenerateHpkeKeyPair(Random& random);
// DeriveKeyPair(ikm) of RFC 9180 section 7.1.3; `ikm` must hold at least 32 bytes.
StatusOr<HpkeKeyPair> DeriveHpkeKeyPair(ByteView ikm);
// The public key of a private one.
HpkeKey HpkePublicKey(const HpkeKey& private_key);

// The key schedule's outputs for one sender or one recipient (RFC 9180 section 5.1), and the
// AEAD's sequence number. A context seals (sender) or opens (recipient) messages in order.
class HpkeContext {
 public:
  // SetupBaseS: encapsulates to `recipient_public` with the ephemeral key `ephemeral` (a fresh one
  // for every context; tests give the vectors' one). `enc` is what the recipient needs.
  static StatusOr<HpkeContext> SetupSender(const HpkeKey& recipient_public, ByteView info,
                                           const HpkeKeyPair& ephemeral, HpkeKey& enc);
  // SetupBaseR.
  static StatusOr<HpkeContext> SetupRecipient(ByteView enc, const HpkeKeyPair& recipient,
                                              ByteView info);

  HpkeContext(const HpkeContext&) = delete;
  HpkeContext& operator=(const HpkeContext&) = delete;
  HpkeContext(HpkeContext&& other) noexcept;
  HpkeContext& operator=(HpkeContext&&) = delete;
  ~HpkeContext();

  // Seal(aad, pt): the ciphertext with its tag. Each call uses the next sequence number.
  StatusOr<std::string> Seal(ByteView aad, ByteView plaintext);
  // Open(aad, ct): DataLoss for a ciphertext that is not authentic under this context.
  StatusOr<std::string> Open(ByteView aad, ByteView ciphertext);
  // Export(exporter_context, L), for L up to 255 * 32 bytes.
  StatusOr<Bytes> Export(ByteView exporter_context, size_t length) const;

  // The key schedule's values, for the published test vectors.
  ByteView shared_secret() const { return shared_secret_; }
  ByteView key() const { return key_; }
  ByteView base_nonce() const { return base_nonce_; }
  ByteView exporter_secret() const { return exporter_secret_; }

 private:
  HpkeContext() = default;
  static StatusOr<HpkeContext> KeySchedule(ByteView shared_secret, ByteView info);
  std::array<uint8_t, 12> Nonce() const;

  std::array<uint8_t, 32> shared_secret_{};
  std::array<uint8_t, 16> key_{};
  std::array<uint8_t, 12> base_nonce_{};
  std::array<uint8_t, 32> exporter_secret_{};
  uint64_t sequence_ = 0;
};

// Single-shot base mode (RFC 9180 section 6.1): `plaintext` sealed to `recipient_public` under a
// fresh ephemeral key. `enc` and the ciphertext travel together as the sealed message.
struct HpkeSealed {
  HpkeKey enc;
  std::string ciphertext;
};
StatusOr<HpkeSealed> HpkeSeal(const HpkeKey& recipient_public, ByteView info, ByteView aad,
                              ByteView plaintext, Random& random);
StatusOr<std::string> HpkeOpen(const HpkeKeyPair& recipient, ByteView enc, ByteView info,
                               ByteView aad, ByteView ciphertext);

}  // namespace quartet::vault

// C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys (signature type 0x01), and the
// timestamped Ed25519 witness cosignatures of C2SP tlog-cosignature (type 0x04).
//
//   verifier key string:  <name>+<8 hex digits of key ID>+base64(type byte || 32-byte public key)
//   signer key string:    PRIVATE+KEY+<name>+<8 hex digits of key ID>+base64(type byte || 32-byte seed)
//   key ID:               SHA-256(name || 0x0A || type byte || public key)[:4], big-endian uint32
//   signature line:       U+2014 U+0020 <name> U+0020 base64(key ID || signature bytes) U+000A
//
// Signatures are made and checked with libsodium, which refuses small-order public keys.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/random.h"
#include "base/status.h"

namespace quartet::ledger {

enum class SignatureType : uint8_t {
  kEd25519 = 0x01,
  kCosignatureV1 = 0x04,  // c2sp.org/tlog-cosignature: over "cosignature/v1\ntime <t>\n" || text
};

uint32_t ComputeKeyId(std::string_view name, SignatureType type, ByteView public_key);
// Key names must be non-empty and hold no Unicode space and no '+'.
bool IsValidKeyName(std::string_view name);

// A private key that signs notes. Copyable (holds key material: keep copies few).
class NoteSigner {
 public:
  // A fresh key from `random`.
  static StatusOr<NoteSigner> Generate(std::string_view name, SignatureType type, Random& random);
  // From a 32-byte Ed25519 seed.
  static StatusOr<NoteSigner> FromSeed(std::string_view name, SignatureType type, ByteView seed);
  // Parses a signer key string ("PRIVATE+KEY+...").
  static StatusOr<NoteSigner> Parse(std::string_view signer_key);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  SignatureType type() const { return type_; }
  ByteView public_key() const { return public_key_; }
  // The signer key string. Secret: never log it.
  std::string SignerKeyString() const;
  // The verifier key string for this key.
  std::string VerifierKeyString() const;

  // The signature bytes (without the key ID) over `text`. For kCosignatureV1, `timestamp` is the
  // Unix time in seconds and the result is timestamp (8 bytes, big-endian) || Ed25519 signature,
  // and `text` must be a checkpoint body.
  Bytes SignBytes(std::string_view text, uint64_t timestamp = 0) const;
  // A complete signature line, newline included.
  std::string SignatureLine(std::string_view text, uint64_t timestamp = 0) const;

 private:
  std::string name_;
  SignatureType type_ = SignatureType::kEd25519;
  uint32_t key_id_ = 0;
  Bytes public_key_;  // 32 bytes
  Bytes secret_key_;  // libsodium's 64-byte form (seed || public key)
};

// A public key that checks signatures on notes.
class NoteVerifier {
 public:
  // Parses a verifier key string. Refuses unknown types, bad names, a key ID that does not match the
  // key, and small-order public keys.
  static StatusOr<NoteVerifier> Parse(std::string_view verifier_key);
  static StatusOr<NoteVerifier> FromPublicKey(std::string_view name, SignatureType type,
                                              ByteView public_key);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  SignatureType type() const { return type_; }
  ByteView public_key() const { return public_key_; }
  std::string VerifierKeyString() const;

  // Whether `signature` (without the key ID) is this key's signature over `text`. For
  // kCosignatureV1 the timestamp is taken from the signature and returned through `timestamp`.
  bool Verify(std::string_view text, ByteView signature, uint64_t* timestamp = nullptr) const;

 private:
  std::string name_;
  SignatureType type_ = SignatureType::kEd25519;
  uint32_t key_id_ = 0;
  Bytes public_key_;
};

struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  Bytes signature;  // without the key ID
};

struct Note {
  std::string text;  // ends with a newline
  std::vector<NoteSignature> signatures;

  // The note in its wire form: text, a blank line, one signature line each.
  std::string Format() const;
};

// Parses the wire form. Refuses invalid UTF-8, control characters other than newline, a text that
// does not end in a newline, malformed signature lines, no signature, or more than 100 signatures.
StatusOr<Note> ParseNote(std::string_view wire);

struct VerifiedSignature {
  std::string name;
  uint32_t key_id = 0;
  SignatureType type = SignatureType::kEd25519;
  uint64_t timestamp = 0;  // cosignatures only
};

// Opens a signed note as the spec says: signatures from unknown keys are ignored; a signature from a
// known key (same name and key ID) that fails to verify rejects the whole note; at least one known
// key must have signed. Returns the parsed note and, in `verified`, every signature that verified.
StatusOr<Note> OpenNote(std::string_view wire, std::span<const NoteVerifier> known,
                        std::vector<VerifiedSignature>* verified = nullptr);

}  // namespace quartet::ledger

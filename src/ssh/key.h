// Ed25519 keys in OpenSSH's formats: the public key blob and authorized_keys line (RFC 8709,
// RFC 4253 section 6.6), the SHA256 fingerprint `ssh-keygen -l` prints, and the unencrypted
// "openssh-key-v1" private key file (PROTOCOL.key) that `ssh-keygen -t ed25519 -N ''` writes.
// Only ssh-ed25519: every other key type is refused.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/random.h"
#include "base/status.h"

namespace quartet::ssh {

inline constexpr std::string_view kEd25519KeyType = "ssh-ed25519";

// An Ed25519 public key. Values made by the parsers below are valid points of the prime-order
// subgroup (libsodium's crypto_core_ed25519_is_valid_point), never small-order ones.
struct PublicKey {
  std::array<uint8_t, 32> bytes{};

  // From the 32 raw key bytes. InvalidArgument for another length or a point that is not valid.
  static StatusOr<PublicKey> FromBytes(ByteView raw);

  friend bool operator==(const PublicKey&, const PublicKey&) = default;
};

// The wire blob: string "ssh-ed25519" || string key (51 bytes).
Bytes PublicKeyBlob(const PublicKey& key);
// Parses exactly one wire blob. InvalidArgument for another type, a wrong length, trailing bytes
// or a point that is not valid.
StatusOr<PublicKey> ParsePublicKeyBlob(ByteView blob);

// One authorized_keys line without options: "ssh-ed25519 AAAA...[ comment]" (no newline). Line
// breaks and NUL bytes in `comment` become spaces, so the result is always one line.
std::string FormatPublicKey(const PublicKey& key, std::string_view comment);
// Parses a line as FormatPublicKey writes it (or ssh-keygen's .pub file: one trailing newline is
// allowed, and the separators may be runs of spaces or tabs). InvalidArgument for any other key
// type, malformed base64, a blob whose type differs from the line's, or anything ParsePublicKeyBlob
// refuses.
StatusOr<PublicKey> ParsePublicKey(std::string_view line);

// "SHA256:" || unpadded base64 of SHA-256(blob), exactly as `ssh-keygen -l` prints it.
std::string Fingerprint(const PublicKey& key);

// The parts of an OpenSSH public key line "<type> <base64 blob>[ <comment>]", shared with the
// certificate format. ParseKeyLine checks only the line's shape and the base64.
struct KeyLine {
  std::string type;
  Bytes blob;
  std::string comment;
};
StatusOr<KeyLine> ParseKeyLine(std::string_view line);
std::string FormatKeyLine(std::string_view type, ByteView blob, std::string_view comment);

// An Ed25519 key pair (libsodium). Holds secret material: never log it. The secret key is wiped
// when the object is destroyed. Copyable, so that a signer can be handed around by value.
class KeyPair {
 public:
  static KeyPair Generate(Random& random);
  // From the 32-byte seed that Seed() returns. InvalidArgument for any other length.
  static StatusOr<KeyPair> FromSeed(ByteView seed);

  KeyPair(const KeyPair&) = default;
  KeyPair& operator=(const KeyPair&) = default;
  ~KeyPair();

  // The secret 32-byte seed.
  Bytes Seed() const;
  PublicKey public_key() const;
  // The 64-byte Ed25519 signature of `message`.
  Bytes SignRaw(ByteView message) const;

  // The unencrypted private key file (cipher and KDF "none") byte for byte as `ssh-keygen -N ''`
  // writes it: PEM-style armour around base64 wrapped at 70 columns, the two check integers from
  // `random`, the comment, and padding 1, 2, 3... to a multiple of 8 bytes. The caller must store
  // it readable by its owner only (mode 0600): ssh refuses it otherwise.
  std::string PrivateKeyFile(std::string_view comment, Random& random) const;
  // Parses an unencrypted ssh-ed25519 private key file. InvalidArgument for encrypted keys, other
  // key types, more than one key, mismatched check integers, bad padding, trailing bytes, or a
  // secret key that does not match its public key.
  static StatusOr<KeyPair> ParsePrivateKeyFile(std::string_view text);

 private:
  explicit KeyPair(ByteView seed);
  // The decoded binary of an unencrypted ed25519 openssh-key-v1 file.
  static StatusOr<KeyPair> ParseKeyV1(ByteView blob);

  std::array<uint8_t, 64> secret_key_{};  // libsodium layout: seed || public key
};

}  // namespace quartet::ssh

#include "ledger/note.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <utility>

#include "base/sha256.h"
#include "base/utf8.h"

namespace quartet::ledger {
namespace {

constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 em dash, U+0020 space
constexpr std::string_view kSignerKeyPrefix = "PRIVATE+KEY+";
constexpr size_t kMaxSignatures = 100;
constexpr size_t kKeyIdSize = 4;
constexpr size_t kPublicKeySize = crypto_sign_ed25519_PUBLICKEYBYTES;
constexpr size_t kSeedSize = crypto_sign_ed25519_SEEDBYTES;
constexpr size_t kSecretKeySize = crypto_sign_ed25519_SECRETKEYBYTES;
constexpr size_t kEd25519SignatureSize = crypto_sign_ed25519_BYTES;
constexpr size_t kTimestampSize = 8;
// tlog-cosignature: the timestamp "MUST NOT exceed 2^63 - 1".
constexpr uint64_t kMaxTimestamp = std::numeric_limits<int64_t>::max();

static_assert(kPublicKeySize == 32 && kSeedSize == 32 && kSecretKeySize == 64 &&
              kEd25519SignatureSize == 64);

// Initialises libsodium once (thread-safe). False if it cannot be used.
bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

bool IsSupportedType(SignatureType type) {
  return type == SignatureType::kEd25519 || type == SignatureType::kCosignatureV1;
}

// Unicode White_Space (the same set as Go's unicode.IsSpace).
bool IsUnicodeSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// Whether `text` is valid UTF-8 holding no ASCII control character other than newline.
bool IsValidNoteText(std::string_view text) {
  while (!text.empty()) {
    const std::optional<CodePoint> c = DecodeUtf8(text);
    if (!c || (c->value < 0x20 && c->value != '\n')) return false;
    text.remove_prefix(c->length);
  }
  return true;
}

std::string KeyIdHex(uint32_t key_id) {
  char buffer[9];
  std::snprintf(buffer, sizeof(buffer), "%08x", static_cast<unsigned>(key_id));
  return std::string(buffer, 8);
}

// Exactly eight lowercase hex digits, the form that KeyIdHex writes.
StatusOr<uint32_t> ParseKeyIdHex(std::string_view hex) {
  if (hex.size() != 8) return InvalidArgumentError("key ID is not 8 hex digits");
  uint32_t key_id = 0;
  for (char c : hex) {
    uint32_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint32_t>(c - 'a' + 10);
    } else {
      return InvalidArgumentError("key ID is not 8 lowercase hex digits");
    }
    key_id = (key_id << 4) | digit;
  }
  return key_id;
}

// The message that a cosignature/v1 signature covers: two header lines, then the note text.
std::string CosignedMessage(std::string_view text, uint64_t timestamp) {
  std::string message = "cosignature/v1\ntime ";
  message += std::to_string(timestamp);
  message += '\n';
  message += text;
  return message;
}

// "<name>+<8 hex digits>+<base64>", split and decoded. `material` is type byte || key bytes.
struct KeyString {
  std::string_view name;
  uint32_t key_id = 0;
  Bytes material;
};

StatusOr<KeyString> SplitKeyString(std::string_view text) {
  const size_t plus1 = text.find('+');
  if (plus1 == std::string_view::npos) return InvalidArgumentError("key string has no '+'");
  const size_t plus2 = text.find('+', plus1 + 1);
  if (plus2 == std::string_view::npos) return InvalidArgumentError("key string has one '+'");
  KeyString key;
  key.name = text.substr(0, plus1);
  if (!IsValidKeyName(key.name)) return InvalidArgumentError("invalid key name");
  ASSIGN_OR_RETURN(key.key_id, ParseKeyIdHex(text.substr(plus1 + 1, plus2 - plus1 - 1)));
  ASSIGN_OR_RETURN(key.material, Base64Decode(text.substr(plus2 + 1)));
  if (key.material.empty()) return InvalidArgumentError("key string has no key");
  if (!IsSupportedType(static_cast<SignatureType>(key.material[0]))) {
    return InvalidArgumentError("unsupported key type");
  }
  return key;
}

// Whether `key` is a canonical Ed25519 point in the prime-order subgroup, not of small order.
bool IsAcceptablePublicKey(ByteView key) {
  return key.size() == kPublicKeySize && SodiumReady() &&
         crypto_core_ed25519_is_valid_point(key.data()) == 1;
}

StatusOr<NoteSignature> ParseSignatureLine(std::string_view line) {
  if (!line.starts_with(kSignaturePrefix)) {
    return InvalidArgumentError("signature line does not start with an em dash and a space");
  }
  line.remove_prefix(kSignaturePrefix.size());
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return InvalidArgumentError("signature line has no space");
  NoteSignature signature;
  signature.name = std::string(line.substr(0, space));
  if (!IsValidKeyName(signature.name)) return InvalidArgumentError("invalid key name in signature");
  ASSIGN_OR_RETURN(Bytes bytes, Base64Decode(line.substr(space + 1)));
  if (bytes.size() <= kKeyIdSize) return InvalidArgumentError("signature too short");
  signature.key_id = ReadBigEndian32(bytes.data());
  signature.signature.assign(bytes.begin() + kKeyIdSize, bytes.end());
  return signature;
}

// The known key with the signature's name and key ID: nullptr if none, an error if several
// different keys claim them.
StatusOr<const NoteVerifier*> FindKnownKey(std::span<const NoteVerifier> known,
                                           const NoteSignature& signature) {
  const NoteVerifier* found = nullptr;
  for (const NoteVerifier& verifier : known) {
    if (verifier.name() != signature.name || verifier.key_id() != signature.key_id) continue;
    if (found != nullptr && (found->type() != verifier.type() ||
                             !std::ranges::equal(found->public_key(), verifier.public_key()))) {
      return InvalidArgumentError("ambiguous key " + signature.name + "+" +
                                  KeyIdHex(signature.key_id));
    }
    found = &verifier;
  }
  return found;
}

bool AlreadyVerified(const std::vector<VerifiedSignature>& verified, const NoteSignature& sig) {
  return std::ranges::any_of(verified, [&](const VerifiedSignature& v) {
    return v.name == sig.name && v.key_id == sig.key_id;
  });
}

}  // namespace

uint32_t ComputeKeyId(std::string_view name, SignatureType type, ByteView public_key) {
  Sha256 sha;
  const Hash hash = sha.Update(name)
                        .Update(static_cast<uint8_t>('\n'))
                        .Update(static_cast<uint8_t>(type))
                        .Update(public_key)
                        .Finish();
  return ReadBigEndian32(hash.data());
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  while (!name.empty()) {
    const std::optional<CodePoint> c = DecodeUtf8(name);
    // Control characters cannot appear in a note, so a name holding one could never sign.
    if (!c || c->value == '+' || c->value < 0x20 || IsUnicodeSpace(c->value)) return false;
    name.remove_prefix(c->length);
  }
  return true;
}

// ---- NoteSigner ----

StatusOr<NoteSigner> NoteSigner::Generate(std::string_view name, SignatureType type,
                                          Random& random) {
  uint8_t seed[kSeedSize];
  random.Fill(seed);
  StatusOr<NoteSigner> signer = FromSeed(name, type, seed);
  sodium_memzero(seed, sizeof(seed));
  return signer;
}

StatusOr<NoteSigner> NoteSigner::FromSeed(std::string_view name, SignatureType type,
                                          ByteView seed) {
  if (!IsValidKeyName(name)) return InvalidArgumentError("invalid key name");
  if (!IsSupportedType(type)) return InvalidArgumentError("unsupported signature type");
  if (seed.size() != kSeedSize) return InvalidArgumentError("Ed25519 seed is not 32 bytes");
  if (!SodiumReady()) return InternalError("libsodium failed to initialise");
  NoteSigner signer;
  signer.name_ = std::string(name);
  signer.type_ = type;
  signer.public_key_.resize(kPublicKeySize);
  signer.secret_key_.resize(kSecretKeySize);
  crypto_sign_ed25519_seed_keypair(signer.public_key_.data(), signer.secret_key_.data(),
                                   seed.data());
  signer.key_id_ = ComputeKeyId(signer.name_, type, signer.public_key_);
  return signer;
}

StatusOr<NoteSigner> NoteSigner::Parse(std::string_view signer_key) {
  if (!signer_key.starts_with(kSignerKeyPrefix)) {
    return InvalidArgumentError("signer key does not start with PRIVATE+KEY+");
  }
  ASSIGN_OR_RETURN(KeyString key, SplitKeyString(signer_key.substr(kSignerKeyPrefix.size())));
  StatusOr<NoteSigner> signer = InvalidArgumentError("signer key seed is not 32 bytes");
  if (key.material.size() == 1 + kSeedSize) {
    signer = FromSeed(key.name, static_cast<SignatureType>(key.material[0]),
                      ByteView(key.material).subspan(1));
  }
  sodium_memzero(key.material.data(), key.material.size());
  if (signer.ok() && signer->key_id() != key.key_id) {
    return InvalidArgumentError("signer key ID does not match the key");
  }
  return signer;
}

std::string NoteSigner::SignerKeyString() const {
  Bytes material;
  material.push_back(static_cast<uint8_t>(type_));
  material.insert(material.end(), secret_key_.begin(), secret_key_.begin() + kSeedSize);
  std::string out = std::string(kSignerKeyPrefix) + name_ + "+" + KeyIdHex(key_id_) + "+" +
                    Base64Encode(material);
  sodium_memzero(material.data(), material.size());
  return out;
}

std::string NoteSigner::VerifierKeyString() const {
  Bytes material;
  material.push_back(static_cast<uint8_t>(type_));
  material.insert(material.end(), public_key_.begin(), public_key_.end());
  return name_ + "+" + KeyIdHex(key_id_) + "+" + Base64Encode(material);
}

Bytes NoteSigner::SignBytes(std::string_view text, uint64_t timestamp) const {
  if (secret_key_.size() != kSecretKeySize || !SodiumReady()) return {};  // not a real key
  Bytes out;
  std::string cosigned;
  if (type_ == SignatureType::kCosignatureV1) {
    AppendBigEndian64(out, timestamp);
    cosigned = CosignedMessage(text, timestamp);
    text = cosigned;
  }
  const size_t offset = out.size();
  out.resize(offset + kEd25519SignatureSize);
  crypto_sign_ed25519_detached(out.data() + offset, nullptr,
                               reinterpret_cast<const uint8_t*>(text.data()), text.size(),
                               secret_key_.data());
  return out;
}

std::string NoteSigner::SignatureLine(std::string_view text, uint64_t timestamp) const {
  Bytes bytes;
  AppendBigEndian32(bytes, key_id_);
  const Bytes signature = SignBytes(text, timestamp);
  bytes.insert(bytes.end(), signature.begin(), signature.end());
  return std::string(kSignaturePrefix) + name_ + " " + Base64Encode(bytes) + "\n";
}

// ---- NoteVerifier ----

StatusOr<NoteVerifier> NoteVerifier::Parse(std::string_view verifier_key) {
  ASSIGN_OR_RETURN(KeyString key, SplitKeyString(verifier_key));
  const auto type = static_cast<SignatureType>(key.material[0]);
  ASSIGN_OR_RETURN(NoteVerifier verifier,
                   FromPublicKey(key.name, type, ByteView(key.material).subspan(1)));
  if (verifier.key_id() != key.key_id) {
    return InvalidArgumentError("verifier key ID does not match the key");
  }
  return verifier;
}

StatusOr<NoteVerifier> NoteVerifier::FromPublicKey(std::string_view name, SignatureType type,
                                                   ByteView public_key) {
  if (!IsValidKeyName(name)) return InvalidArgumentError("invalid key name");
  if (!IsSupportedType(type)) return InvalidArgumentError("unsupported signature type");
  if (public_key.size() != kPublicKeySize) {
    return InvalidArgumentError("Ed25519 public key is not 32 bytes");
  }
  if (!IsAcceptablePublicKey(public_key)) {
    return InvalidArgumentError("not a valid Ed25519 public key (small order or not canonical)");
  }
  NoteVerifier verifier;
  verifier.name_ = std::string(name);
  verifier.type_ = type;
  verifier.public_key_.assign(public_key.begin(), public_key.end());
  verifier.key_id_ = ComputeKeyId(name, type, public_key);
  return verifier;
}

std::string NoteVerifier::VerifierKeyString() const {
  Bytes material;
  material.push_back(static_cast<uint8_t>(type_));
  material.insert(material.end(), public_key_.begin(), public_key_.end());
  return name_ + "+" + KeyIdHex(key_id_) + "+" + Base64Encode(material);
}

bool NoteVerifier::Verify(std::string_view text, ByteView signature, uint64_t* timestamp) const {
  if (public_key_.size() != kPublicKeySize || !SodiumReady()) return false;  // not a real key
  uint64_t signed_time = 0;
  std::string cosigned;
  if (type_ == SignatureType::kCosignatureV1) {
    if (signature.size() != kTimestampSize + kEd25519SignatureSize) return false;
    signed_time = ReadBigEndian64(signature.data());
    if (signed_time > kMaxTimestamp) return false;
    cosigned = CosignedMessage(text, signed_time);
    text = cosigned;
    signature = signature.subspan(kTimestampSize);
  }
  if (signature.size() != kEd25519SignatureSize) return false;
  // libsodium also refuses non-canonical S, small-order R and small-order public keys.
  if (crypto_sign_ed25519_verify_detached(signature.data(),
                                          reinterpret_cast<const uint8_t*>(text.data()),
                                          text.size(), public_key_.data()) != 0) {
    return false;
  }
  if (timestamp != nullptr) *timestamp = signed_time;
  return true;
}

// ---- Note ----

std::string Note::Format() const {
  std::string out = text;
  out += '\n';
  for (const NoteSignature& signature : signatures) {
    Bytes bytes;
    AppendBigEndian32(bytes, signature.key_id);
    bytes.insert(bytes.end(), signature.signature.begin(), signature.signature.end());
    out += kSignaturePrefix;
    out += signature.name;
    out += ' ';
    out += Base64Encode(bytes);
    out += '\n';
  }
  return out;
}

StatusOr<Note> ParseNote(std::string_view wire) {
  if (!IsValidNoteText(wire)) {
    return InvalidArgumentError("note is not valid UTF-8 or holds a control character");
  }
  // The text ends with its newline; the last empty line separates it from the signatures.
  const size_t split = wire.rfind("\n\n");
  if (split == std::string_view::npos) return InvalidArgumentError("note has no blank line");
  Note note;
  note.text = std::string(wire.substr(0, split + 1));
  std::string_view rest = wire.substr(split + 2);
  if (rest.empty()) return InvalidArgumentError("note has no signature");
  if (!rest.ends_with('\n')) return InvalidArgumentError("note does not end with a newline");
  while (!rest.empty()) {
    if (note.signatures.size() == kMaxSignatures) {
      return InvalidArgumentError("note has more than 100 signatures");
    }
    const size_t newline = rest.find('\n');
    ASSIGN_OR_RETURN(NoteSignature signature, ParseSignatureLine(rest.substr(0, newline)));
    note.signatures.push_back(std::move(signature));
    rest.remove_prefix(newline + 1);
  }
  return note;
}

StatusOr<Note> OpenNote(std::string_view wire, std::span<const NoteVerifier> known,
                        std::vector<VerifiedSignature>* verified) {
  ASSIGN_OR_RETURN(Note note, ParseNote(wire));
  std::vector<VerifiedSignature> good;
  for (const NoteSignature& signature : note.signatures) {
    ASSIGN_OR_RETURN(const NoteVerifier* verifier, FindKnownKey(known, signature));
    if (verifier == nullptr) continue;  // unknown keys are ignored
    uint64_t timestamp = 0;
    if (!verifier->Verify(note.text, signature.signature, &timestamp)) {
      return UnauthenticatedError("invalid signature for key " + signature.name + "+" +
                                  KeyIdHex(signature.key_id));
    }
    if (AlreadyVerified(good, signature)) continue;
    good.push_back({signature.name, signature.key_id, verifier->type(), timestamp});
  }
  if (good.empty()) return UnauthenticatedError("note has no signature from a known key");
  if (verified != nullptr) *verified = std::move(good);
  return note;
}

}  // namespace quartet::ledger

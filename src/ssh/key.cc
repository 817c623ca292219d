#include "ssh/key.h"

#include <sodium.h>

#include <algorithm>

#include "base/sha256.h"
#include "ssh/wire.h"

namespace quartet::ssh {
namespace {

constexpr std::string_view kPrivateKeyBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kPrivateKeyEnd = "-----END OPENSSH PRIVATE KEY-----";
// "openssh-key-v1" and its terminating NUL.
constexpr std::string_view kPrivateKeyMagic{"openssh-key-v1\0", 15};
constexpr size_t kPrivateKeyWrap = 70;
constexpr size_t kCipherNoneBlockSize = 8;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Splits off the text up to the first blank, and the blanks after it.
std::string_view NextField(std::string_view& rest) {
  const size_t end = std::min(rest.find_first_of(" \t"), rest.size());
  const std::string_view field = rest.substr(0, end);
  rest.remove_prefix(end);
  while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
  return field;
}

}  // namespace

StatusOr<PublicKey> PublicKey::FromBytes(ByteView raw) {
  if (raw.size() != crypto_sign_PUBLICKEYBYTES) {
    return InvalidArgumentError("an Ed25519 public key is 32 bytes");
  }
  if (crypto_core_ed25519_is_valid_point(raw.data()) != 1) {
    return InvalidArgumentError("not a valid Ed25519 public key");
  }
  PublicKey key;
  std::copy(raw.begin(), raw.end(), key.bytes.begin());
  return key;
}

Bytes PublicKeyBlob(const PublicKey& key) {
  Bytes blob;
  PutString(blob, kEd25519KeyType);
  PutString(blob, ByteView(key.bytes));
  return blob;
}

StatusOr<PublicKey> ParsePublicKeyBlob(ByteView blob) {
  WireReader reader(blob);
  RETURN_IF_ERROR(reader.ExpectString(kEd25519KeyType, "the key type"));
  ASSIGN_OR_RETURN(const ByteView raw, reader.ReadString());
  ASSIGN_OR_RETURN(const PublicKey key, PublicKey::FromBytes(raw));
  RETURN_IF_ERROR(reader.ExpectEnd("the public key"));
  return key;
}

StatusOr<KeyLine> ParseKeyLine(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return InvalidArgumentError("a key line must be one line without NUL bytes");
  }
  std::string_view rest = line;
  KeyLine out;
  out.type = std::string(NextField(rest));
  const std::string_view base64 = NextField(rest);
  if (out.type.empty() || base64.empty()) {
    return InvalidArgumentError("a key line is \"<type> <base64>[ <comment>]\"");
  }
  auto blob = Base64Decode(base64);
  if (!blob.ok()) return blob.status().WithContext("key line");
  out.blob = std::move(*blob);
  out.comment = std::string(rest);
  return out;
}

std::string FormatKeyLine(std::string_view type, ByteView blob, std::string_view comment) {
  std::string line = std::string(type) + " " + Base64Encode(blob);
  if (!comment.empty()) {
    std::string one_line(comment);
    std::replace_if(
        one_line.begin(), one_line.end(),
        [](char c) { return c == '\n' || c == '\r' || c == '\0'; }, ' ');
    line += " " + one_line;
  }
  return line;
}

std::string FormatPublicKey(const PublicKey& key, std::string_view comment) {
  return FormatKeyLine(kEd25519KeyType, PublicKeyBlob(key), comment);
}

StatusOr<PublicKey> ParsePublicKey(std::string_view line) {
  ASSIGN_OR_RETURN(const KeyLine parsed, ParseKeyLine(line));
  if (parsed.type != kEd25519KeyType) {
    return InvalidArgumentError("unsupported key type \"" + parsed.type + "\": only ssh-ed25519");
  }
  return ParsePublicKeyBlob(parsed.blob);
}

std::string Fingerprint(const PublicKey& key) {
  std::string base64 = Base64Encode(Sha256::Of(PublicKeyBlob(key)));
  while (base64.ends_with('=')) base64.pop_back();
  return "SHA256:" + base64;
}

KeyPair::KeyPair(ByteView seed) {
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_seed_keypair(public_key, secret_key_.data(), seed.data());
}

KeyPair::~KeyPair() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

KeyPair KeyPair::Generate(Random& random) {
  std::array<uint8_t, crypto_sign_SEEDBYTES> seed;
  random.Fill(seed);
  KeyPair pair{ByteView(seed)};
  sodium_memzero(seed.data(), seed.size());
  return pair;
}

StatusOr<KeyPair> KeyPair::FromSeed(ByteView seed) {
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return InvalidArgumentError("an Ed25519 seed is 32 bytes");
  }
  return KeyPair(seed);
}

Bytes KeyPair::Seed() const {
  return Bytes(secret_key_.begin(), secret_key_.begin() + crypto_sign_SEEDBYTES);
}

PublicKey KeyPair::public_key() const {
  PublicKey key;
  std::copy(secret_key_.begin() + crypto_sign_SEEDBYTES, secret_key_.end(), key.bytes.begin());
  return key;
}

Bytes KeyPair::SignRaw(ByteView message) const {
  Bytes signature(crypto_sign_BYTES);
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                       secret_key_.data());
  return signature;
}

std::string KeyPair::PrivateKeyFile(std::string_view comment, Random& random) const {
  const Bytes public_blob = PublicKeyBlob(public_key());

  uint8_t check[4];
  random.Fill(check);
  Bytes private_section;
  for (int copy = 0; copy < 2; ++copy) {
    private_section.insert(private_section.end(), check, check + 4);
  }
  PutString(private_section, kEd25519KeyType);
  PutString(private_section, ByteView(public_key().bytes));
  PutString(private_section, ByteView(secret_key_));
  PutString(private_section, comment);
  for (uint8_t pad = 1; private_section.size() % kCipherNoneBlockSize != 0; ++pad) {
    private_section.push_back(pad);
  }

  Bytes blob(kPrivateKeyMagic.begin(), kPrivateKeyMagic.end());
  PutString(blob, "none");  // cipher
  PutString(blob, "none");  // KDF
  PutString(blob, "");      // KDF options
  PutUint32(blob, 1);       // number of keys
  PutString(blob, public_blob);
  PutString(blob, private_section);
  sodium_memzero(private_section.data(), private_section.size());

  std::string base64 = Base64Encode(blob);
  sodium_memzero(blob.data(), blob.size());
  std::string text = std::string(kPrivateKeyBegin) + "\n";
  for (size_t i = 0; i < base64.size(); i += kPrivateKeyWrap) {
    text.append(base64, i, kPrivateKeyWrap);
    text += '\n';
  }
  sodium_memzero(base64.data(), base64.size());
  text += std::string(kPrivateKeyEnd) + "\n";
  return text;
}

StatusOr<KeyPair> KeyPair::ParseKeyV1(ByteView blob) {
  WireReader reader(blob);
  ASSIGN_OR_RETURN(const ByteView magic, reader.ReadBytes(kPrivateKeyMagic.size()));
  if (AsChars(magic) != kPrivateKeyMagic) {
    return InvalidArgumentError("not an openssh-key-v1 private key");
  }
  ASSIGN_OR_RETURN(const std::string cipher, reader.ReadText());
  ASSIGN_OR_RETURN(const std::string kdf, reader.ReadText());
  ASSIGN_OR_RETURN(const ByteView kdf_options, reader.ReadString());
  if (cipher != "none" || kdf != "none" || !kdf_options.empty()) {
    return InvalidArgumentError("encrypted private keys are not supported");
  }
  ASSIGN_OR_RETURN(const uint32_t key_count, reader.ReadUint32());
  if (key_count != 1) return InvalidArgumentError("a private key file must hold exactly one key");
  ASSIGN_OR_RETURN(const ByteView public_blob, reader.ReadString());
  ASSIGN_OR_RETURN(const PublicKey public_key, ParsePublicKeyBlob(public_blob));
  ASSIGN_OR_RETURN(const ByteView private_section, reader.ReadString());
  RETURN_IF_ERROR(reader.ExpectEnd("the private key file"));

  if (private_section.size() % kCipherNoneBlockSize != 0) {
    return InvalidArgumentError("private key section is not a whole number of blocks");
  }
  WireReader section(private_section);
  ASSIGN_OR_RETURN(const uint32_t check1, section.ReadUint32());
  ASSIGN_OR_RETURN(const uint32_t check2, section.ReadUint32());
  if (check1 != check2) return InvalidArgumentError("private key check integers differ");
  RETURN_IF_ERROR(section.ExpectString(kEd25519KeyType, "the private key type"));
  ASSIGN_OR_RETURN(const ByteView inner_public, section.ReadString());
  ASSIGN_OR_RETURN(const ByteView secret_key, section.ReadString());
  RETURN_IF_ERROR(section.ReadString());  // the comment
  for (uint8_t expected = 1; !section.empty(); ++expected) {
    ASSIGN_OR_RETURN(const uint8_t pad, section.ReadByte());
    if (pad != expected) return InvalidArgumentError("bad private key padding");
  }
  if (inner_public.size() != crypto_sign_PUBLICKEYBYTES ||
      secret_key.size() != crypto_sign_SECRETKEYBYTES ||
      !std::equal(inner_public.begin(), inner_public.end(), public_key.bytes.begin())) {
    return InvalidArgumentError("malformed ssh-ed25519 private key");
  }
  KeyPair out(secret_key.first(crypto_sign_SEEDBYTES));
  // The seed must yield the stated public key, and libsodium's layout repeats it.
  if (out.public_key() != public_key || !std::equal(secret_key.begin() + crypto_sign_SEEDBYTES,
                                                    secret_key.end(), public_key.bytes.begin())) {
    return InvalidArgumentError("the private key does not match its public key");
  }
  return out;
}

StatusOr<KeyPair> KeyPair::ParsePrivateKeyFile(std::string_view text) {
  // The armour and the base64 lines between, each ending in "\n" (or "\r\n"); the final line
  // break is optional.
  std::string base64;
  bool begun = false, ended = false;
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (ended) return InvalidArgumentError("text after the end of the private key");
    if (!begun) {
      if (line != kPrivateKeyBegin) return InvalidArgumentError("not an OpenSSH private key file");
      begun = true;
    } else if (line == kPrivateKeyEnd) {
      ended = true;
    } else {
      base64 += line;
    }
  }
  if (!ended) return InvalidArgumentError("truncated OpenSSH private key file");
  auto decoded = Base64Decode(base64);
  sodium_memzero(base64.data(), base64.size());
  if (!decoded.ok()) return decoded.status().WithContext("private key file");
  Bytes blob = std::move(*decoded);
  StatusOr<KeyPair> pair = ParseKeyV1(blob);
  sodium_memzero(blob.data(), blob.size());
  return pair;
}

}  // namespace quartet::ssh

#include "vault/hpke.h"

#include <sodium.h>

#include <cstring>
#include <memory>
#include <string_view>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

namespace quartet::vault {
namespace {

constexpr uint16_t kKemId = 0x0020;   // DHKEM(X25519, HKDF-SHA256)
constexpr uint16_t kKdfId = 0x0001;   // HKDF-SHA256
constexpr uint16_t kAeadId = 0x0001;  // AES-128-GCM
constexpr uint8_t kModeBase = 0x00;
constexpr size_t kHashSize = 32;

std::string KemSuiteId() {
  std::string id = "KEM";
  AppendBigEndian16(id, kKemId);
  return id;
}

std::string HpkeSuiteId() {
  std::string id = "HPKE";
  AppendBigEndian16(id, kKemId);
  AppendBigEndian16(id, kKdfId);
  AppendBigEndian16(id, kAeadId);
  return id;
}

struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};

// HKDF-SHA256 in one of its two halves (RFC 5869), by OpenSSL's EVP_KDF.
Status Hkdf(int mode, ByteView key, ByteView salt_or_info, std::span<uint8_t> out) {
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return InternalError("OpenSSL has no HKDF");
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf));
  if (ctx == nullptr) return InternalError("out of memory for HKDF");
  // OpenSSL wants a pointer even for an empty string.
  static uint8_t nothing = 0;
  auto octets = [](const char* name, ByteView bytes) {
    return OSSL_PARAM_construct_octet_string(
        name, bytes.empty() ? &nothing : const_cast<uint8_t*>(bytes.data()), bytes.size());
  };
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode), octets(OSSL_KDF_PARAM_KEY, key),
      octets(mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY ? OSSL_KDF_PARAM_SALT : OSSL_KDF_PARAM_INFO,
             salt_or_info),
      OSSL_PARAM_construct_end()};
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1)
    return InternalError("HKDF-SHA256 failed");
  return Status::Ok();
}

// LabeledExtract(salt, label, ikm) of RFC 9180 section 4.
Status LabeledExtract(std::string_view suite_id, ByteView salt, std::string_view label,
                      ByteView ikm, std::span<uint8_t, kHashSize> out) {
  std::string labeled = "HPKE-v1";
  labeled.append(suite_id).append(label).append(AsChars(ikm));
  Status status = Hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, AsBytes(labeled), salt, out);
  sodium_memzero(labeled.data(), labeled.size());
  return status;
}

// LabeledExpand(prk, label, info, L).
Status LabeledExpand(std::string_view suite_id, ByteView prk, std::string_view label, ByteView info,
                     std::span<uint8_t> out) {
  if (out.size() > 255 * kHashSize) return InvalidArgumentError("HPKE: too many bytes asked for");
  std::string labeled;
  AppendBigEndian16(labeled, static_cast<uint16_t>(out.size()));
  labeled.append("HPKE-v1").append(suite_id).append(label).append(AsChars(info));
  return Hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, AsBytes(labeled), out);
}

// DH(sk, pk) of X25519; an all-zero result (a small-order public key) is refused, as section 7.1.4
// requires.
Status X25519(const HpkeKey& private_key, ByteView public_key, std::span<uint8_t, 32> out) {
  if (public_key.size() != kHpkeKeySize) return InvalidArgumentError("an X25519 key has 32 bytes");
  if (crypto_scalarmult(out.data(), private_key.data(), public_key.data()) != 0)
    return InvalidArgumentError("the X25519 public key is not usable (small order)");
  return Status::Ok();
}

// ExtractAndExpand(dh, kem_context) of DHKEM.
Status KemSharedSecret(ByteView dh, ByteView enc, ByteView recipient_public,
                       std::span<uint8_t, kHashSize> out) {
  const std::string suite = KemSuiteId();
  std::array<uint8_t, kHashSize> prk;
  RETURN_IF_ERROR(LabeledExtract(suite, {}, "eae_prk", dh, prk));
  std::string kem_context(AsChars(enc));
  kem_context.append(AsChars(recipient_public));
  Status status = LabeledExpand(suite, prk, "shared_secret", AsBytes(kem_context), out);
  sodium_memzero(prk.data(), prk.size());
  return status;
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

int Length(size_t size) { return static_cast<int>(size); }

}  // namespace

HpkeKey HpkePublicKey(const HpkeKey& private_key) {
  HpkeKey public_key;
  crypto_scalarmult_base(public_key.data(), private_key.data());
  return public_key;
}

HpkeKeyPair GenerateHpkeKeyPair(Random& random) {
  HpkeKeyPair pair;
  random.Fill(pair.private_key);
  pair.public_key = HpkePublicKey(pair.private_key);
  return pair;
}

StatusOr<HpkeKeyPair> DeriveHpkeKeyPair(ByteView ikm) {
  if (ikm.size() < kHpkeKeySize)
    return InvalidArgumentError("DeriveKeyPair needs 32 bytes or more");
  const std::string suite = KemSuiteId();
  std::array<uint8_t, kHashSize> prk;
  RETURN_IF_ERROR(LabeledExtract(suite, {}, "dkp_prk", ikm, prk));
  HpkeKeyPair pair;
  Status status = LabeledExpand(suite, prk, "sk", {}, pair.private_key);
  sodium_memzero(prk.data(), prk.size());
  RETURN_IF_ERROR(status);
  pair.public_key = HpkePublicKey(pair.private_key);
  return pair;
}

HpkeContext::HpkeContext(HpkeContext&& other) noexcept
    : shared_secret_(other.shared_secret_),
      key_(other.key_),
      base_nonce_(other.base_nonce_),
      exporter_secret_(other.exporter_secret_),
      sequence_(other.sequence_) {
  sodium_memzero(other.shared_secret_.data(), other.shared_secret_.size());
  sodium_memzero(other.key_.data(), other.key_.size());
  sodium_memzero(other.exporter_secret_.data(), other.exporter_secret_.size());
}

HpkeContext::~HpkeContext() {
  sodium_memzero(shared_secret_.data(), shared_secret_.size());
  sodium_memzero(key_.data(), key_.size());
  sodium_memzero(exporter_secret_.data(), exporter_secret_.size());
}

StatusOr<HpkeContext> HpkeContext::KeySchedule(ByteView shared_secret, ByteView info) {
  const std::string suite = HpkeSuiteId();
  std::array<uint8_t, kHashSize> psk_id_hash;
  std::array<uint8_t, kHashSize> info_hash;
  RETURN_IF_ERROR(LabeledExtract(suite, {}, "psk_id_hash", {}, psk_id_hash));
  RETURN_IF_ERROR(LabeledExtract(suite, {}, "info_hash", info, info_hash));
  std::string context(1, static_cast<char>(kModeBase));
  context.append(AsChars(psk_id_hash)).append(AsChars(info_hash));
  HpkeContext out;
  std::memcpy(out.shared_secret_.data(), shared_secret.data(), out.shared_secret_.size());
  std::array<uint8_t, kHashSize> secret;
  RETURN_IF_ERROR(LabeledExtract(suite, shared_secret, "secret", {}, secret));
  const ByteView schedule = AsBytes(context);
  Status status = LabeledExpand(suite, secret, "key", schedule, out.key_);
  if (status.ok()) status = LabeledExpand(suite, secret, "base_nonce", schedule, out.base_nonce_);
  if (status.ok()) status = LabeledExpand(suite, secret, "exp", schedule, out.exporter_secret_);
  sodium_memzero(secret.data(), secret.size());
  RETURN_IF_ERROR(status);
  return out;
}

StatusOr<HpkeContext> HpkeContext::SetupSender(const HpkeKey& recipient_public, ByteView info,
                                               const HpkeKeyPair& ephemeral, HpkeKey& enc) {
  std::array<uint8_t, 32> dh;
  RETURN_IF_ERROR(X25519(ephemeral.private_key, recipient_public, dh));
  enc = ephemeral.public_key;
  std::array<uint8_t, kHashSize> shared;
  Status status = KemSharedSecret(dh, enc, recipient_public, shared);
  sodium_memzero(dh.data(), dh.size());
  RETURN_IF_ERROR(status);
  auto context = KeySchedule(shared, info);
  sodium_memzero(shared.data(), shared.size());
  return context;
}

StatusOr<HpkeContext> HpkeContext::SetupRecipient(ByteView enc, const HpkeKeyPair& recipient,
                                                  ByteView info) {
  std::array<uint8_t, 32> dh;
  RETURN_IF_ERROR(X25519(recipient.private_key, enc, dh));
  std::array<uint8_t, kHashSize> shared;
  Status status = KemSharedSecret(dh, enc, recipient.public_key, shared);
  sodium_memzero(dh.data(), dh.size());
  RETURN_IF_ERROR(status);
  auto context = KeySchedule(shared, info);
  sodium_memzero(shared.data(), shared.size());
  return context;
}

std::array<uint8_t, 12> HpkeContext::Nonce() const {
  std::array<uint8_t, 12> nonce = base_nonce_;
  for (int i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<uint8_t>(sequence_ >> (8 * i));
  return nonce;
}

StatusOr<std::string> HpkeContext::Seal(ByteView aad, ByteView plaintext) {
  if (sequence_ == UINT64_MAX) return FailedPreconditionError("HPKE: the context is used up");
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  const auto nonce = Nonce();
  std::string out(plaintext.size() + kHpkeTagSize, '\0');
  auto* bytes = reinterpret_cast<uint8_t*>(out.data());
  int written = 0;
  int final_written = 0;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, key_.data(), nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &written, aad.data(), Length(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), bytes, &written, plaintext.data(), Length(plaintext.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx.get(), bytes + written, &final_written) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kHpkeTagSize,
                          bytes + plaintext.size()) != 1) {
    return InternalError("AES-128-GCM failed");
  }
  ++sequence_;
  return out;
}

StatusOr<std::string> HpkeContext::Open(ByteView aad, ByteView ciphertext) {
  if (sequence_ == UINT64_MAX) return FailedPreconditionError("HPKE: the context is used up");
  if (ciphertext.size() < kHpkeTagSize) return DataLossError("the sealed message is too short");
  const size_t size = ciphertext.size() - kHpkeTagSize;
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  const auto nonce = Nonce();
  std::string out(size, '\0');
  auto* bytes = reinterpret_cast<uint8_t*>(out.data());
  int written = 0;
  int final_written = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, key_.data(), nonce.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &written, aad.data(), Length(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), bytes, &written, ciphertext.data(), Length(size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kHpkeTagSize,
                          const_cast<uint8_t*>(ciphertext.data() + size)) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), bytes + written, &final_written) != 1) {
    sodium_memzero(out.data(), out.size());
    return DataLossError("the sealed message is not authentic");
  }
  ++sequence_;
  return out;
}

StatusOr<Bytes> HpkeContext::Export(ByteView exporter_context, size_t length) const {
  Bytes out(length);
  RETURN_IF_ERROR(LabeledExpand(HpkeSuiteId(), exporter_secret_, "sec", exporter_context, out));
  return out;
}

StatusOr<HpkeSealed> HpkeSeal(const HpkeKey& recipient_public, ByteView info, ByteView aad,
                              ByteView plaintext, Random& random) {
  HpkeKeyPair ephemeral = GenerateHpkeKeyPair(random);
  HpkeSealed sealed;
  auto context = HpkeContext::SetupSender(recipient_public, info, ephemeral, sealed.enc);
  sodium_memzero(ephemeral.private_key.data(), ephemeral.private_key.size());
  if (!context.ok()) return context.status();
  ASSIGN_OR_RETURN(sealed.ciphertext, context->Seal(aad, plaintext));
  return sealed;
}

StatusOr<std::string> HpkeOpen(const HpkeKeyPair& recipient, ByteView enc, ByteView info,
                               ByteView aad, ByteView ciphertext) {
  ASSIGN_OR_RETURN(HpkeContext context, HpkeContext::SetupRecipient(enc, recipient, info));
  return context.Open(aad, ciphertext);
}

}  // namespace quartet::vault

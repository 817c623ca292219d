#include "identity/totp.h"

#include <array>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace quartet::identity {
namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int kMinDigits = 6;
constexpr int kMaxDigits = 8;

// Fetched once: the lookup is the expensive part of a short MAC (as in base/sha256.cc).
EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) std::abort();  // OpenSSL without HMAC: a broken installation.
  return mac;
}

const char* DigestName(TotpAlgorithm algorithm) {
  switch (algorithm) {
    case TotpAlgorithm::kSha256:
      return "SHA256";
    case TotpAlgorithm::kSha512:
      return "SHA512";
    case TotpAlgorithm::kSha1:
      break;
  }
  return "SHA1";
}

// HMAC of `message` under non-empty `key`. Aborts only if OpenSSL itself fails.
Bytes Hmac(TotpAlgorithm algorithm, ByteView key, ByteView message) {
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> context(
      EVP_MAC_CTX_new(HmacAlgorithm()), &EVP_MAC_CTX_free);
  OSSL_PARAM parameters[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                       const_cast<char*>(DigestName(algorithm)), 0),
      OSSL_PARAM_construct_end()};
  Bytes out(EVP_MAX_MD_SIZE);
  size_t size = 0;
  if (context == nullptr || EVP_MAC_init(context.get(), key.data(), key.size(), parameters) != 1 ||
      EVP_MAC_update(context.get(), message.data(), message.size()) != 1 ||
      EVP_MAC_final(context.get(), out.data(), &size, out.size()) != 1) {
    std::abort();
  }
  out.resize(size);
  return out;
}

// RFC 4226 section 5.3: dynamic truncation of the HMAC of the big-endian step, reduced to `digits`.
std::string HotpCode(ByteView key, int64_t step, const TotpParameters& parameters) {
  Bytes counter;
  AppendBigEndian64(counter, static_cast<uint64_t>(step));
  const Bytes mac = Hmac(parameters.algorithm, key, counter);
  const size_t offset = mac.back() & 0x0f;
  const uint32_t binary = ReadBigEndian32(mac.data() + offset) & 0x7fffffff;
  uint32_t modulus = 1;
  for (int i = 0; i < parameters.digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  code.insert(0, static_cast<size_t>(parameters.digits) - code.size(), '0');
  return code;
}

bool IsWellFormedCode(std::string_view code, int digits) {
  if (code.size() != static_cast<size_t>(digits)) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The value of a base32 character in either case, or -1.
int Base32Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string PercentEncode(std::string_view text) {
  static constexpr std::string_view kHexDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHexDigits[c >> 4]);
      out.push_back(kHexDigits[c & 0x0f]);
    }
  }
  return out;
}

}  // namespace

Status CheckTotpParameters(const TotpParameters& parameters) {
  if (parameters.digits < kMinDigits || parameters.digits > kMaxDigits) {
    return InvalidArgumentError("TOTP codes have 6 to 8 digits");
  }
  if (parameters.period_seconds < 1) {
    return InvalidArgumentError("TOTP period must be at least one second");
  }
  return Status::Ok();
}

std::string TotpCode(ByteView key, int64_t unix_time, const TotpParameters& parameters) {
  if (key.empty() || unix_time < 0 || !CheckTotpParameters(parameters).ok()) return "";
  return HotpCode(key, unix_time / parameters.period_seconds, parameters);
}

Bytes NewTotpSecret(Random& random) {
  Bytes secret(20);
  random.Fill(secret);
  return secret;
}

std::string Base32Encode(ByteView data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t buffer = 0;  // only the low `bits` bits are pending
  int bits = 0;
  for (uint8_t byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(buffer >> bits) & 0x1f]);
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 0x1f]);
  return out;
}

StatusOr<Bytes> Base32Decode(std::string_view text) {
  Bytes out;
  uint32_t buffer = 0;  // only the low `bits` bits are pending
  int bits = 0;
  size_t symbols = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int value = Base32Value(c);
    if (padding || value < 0) return InvalidArgumentError("malformed base32");
    buffer = (buffer << 5) | static_cast<uint32_t>(value);
    bits += 5;
    ++symbols;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(buffer >> bits));
    }
  }
  // 8 symbols carry 5 bytes; a final group of 1, 3 or 6 symbols ends no byte string.
  const size_t remainder = symbols % 8;
  if (remainder == 1 || remainder == 3 || remainder == 6) {
    return InvalidArgumentError("malformed base32: impossible length");
  }
  if ((buffer & ((1u << bits) - 1)) != 0) {
    return InvalidArgumentError("malformed base32: non-zero trailing bits");
  }
  return out;
}

std::string TotpProvisioningUri(std::string_view issuer, std::string_view account,
                                ByteView secret) {
  std::string uri = "otpauth://totp/";
  if (!issuer.empty()) uri += PercentEncode(issuer) + ":";
  uri += PercentEncode(account);
  uri += "?secret=" + Base32Encode(secret);
  if (!issuer.empty()) uri += "&issuer=" + PercentEncode(issuer);
  return uri;
}

StatusOr<int64_t> VerifyTotp(ByteView key, std::string_view code, int64_t unix_time,
                             int64_t last_accepted_step, const TotpParameters& parameters) {
  RETURN_IF_ERROR(CheckTotpParameters(parameters));
  if (key.empty()) return InvalidArgumentError("empty TOTP secret");
  if (unix_time < 0) return InvalidArgumentError("time before 1970");
  if (!IsWellFormedCode(code, parameters.digits)) {
    return InvalidArgumentError("TOTP code must be " + std::to_string(parameters.digits) +
                                " digits");
  }
  const int64_t current = unix_time / parameters.period_seconds;
  // Every step in the window is computed and compared, so the time taken does not reveal which
  // (if any) matched. A later step wins, so a coincidental match never reopens a used step.
  std::optional<int64_t> matched;
  for (const int64_t offset : {-1, 0, 1}) {
    if ((offset < 0 && current == 0) ||
        (offset > 0 && current == std::numeric_limits<int64_t>::max())) {
      continue;
    }
    const int64_t step = current + offset;
    if (ConstantTimeEquals(AsBytes(HotpCode(key, step, parameters)), AsBytes(code))) {
      matched = step;
    }
  }
  if (!matched) return UnauthenticatedError("wrong TOTP code");
  if (*matched <= last_accepted_step) return PermissionDeniedError("TOTP code already used");
  return *matched;
}

}  // namespace quartet::identity

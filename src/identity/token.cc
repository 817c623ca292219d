#include "identity/token.h"

#include <sodium.h>

#include <array>
#include <cstdint>

namespace quartet::identity {
namespace {

constexpr size_t kTokenRandomBytes = 32;
constexpr int kBase64UrlVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

std::string Base64UrlEncode(ByteView data) {
  std::string out(sodium_base64_ENCODED_LEN(data.size(), kBase64UrlVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), data.data(), data.size(), kBase64UrlVariant);
  out.pop_back();  // the terminating NUL
  return out;
}

}  // namespace

IssuedToken NewToken(Random& random, std::string_view prefix) {
  std::array<uint8_t, kTokenRandomBytes> secret;
  random.Fill(secret);
  IssuedToken issued;
  issued.token = std::string(prefix) + Base64UrlEncode(secret);
  sodium_memzero(secret.data(), secret.size());
  issued.digest = TokenDigest(issued.token);
  return issued;
}

Hash TokenDigest(std::string_view token) { return Sha256::Of(token); }

bool TokenMatches(std::string_view presented, const Hash& stored_digest) {
  return ConstantTimeEquals(TokenDigest(presented), stored_digest);
}

}  // namespace quartet::identity

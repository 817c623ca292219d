#include "base/sha256.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include <openssl/evp.h>

namespace quartet {
namespace {

const EVP_MD* Sha256Digest() {
  static EVP_MD* digest = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (digest == nullptr) std::abort();  // OpenSSL without SHA-256: a broken installation.
  return digest;
}

EVP_MD_CTX* Context(void* p) { return static_cast<EVP_MD_CTX*>(p); }

}  // namespace

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr || EVP_DigestInit_ex(Context(context_), Sha256Digest(), nullptr) != 1) {
    std::abort();
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(Context(context_)); }

Sha256& Sha256::Update(ByteView data) {
  EVP_DigestUpdate(Context(context_), data.data(), data.size());
  return *this;
}

Hash Sha256::Finish() {
  Hash out;
  unsigned int size = 0;
  EVP_DigestFinal_ex(Context(context_), out.data(), &size);
  EVP_DigestInit_ex(Context(context_), nullptr, nullptr);
  return out;
}

StatusOr<Hash> HashFromBase64(std::string_view text, std::string_view what) {
  StatusOr<Bytes> bytes = Base64Decode(text);
  if (!bytes.ok()) return bytes.status().WithContext(what);
  Hash hash;
  if (bytes->size() != hash.size())
    return InvalidArgumentError(std::string(what) + " is not 32 bytes");
  std::copy(bytes->begin(), bytes->end(), hash.begin());
  return hash;
}

Hash Sha256::Of(ByteView data) {
  thread_local Sha256 hasher;
  return hasher.Update(data).Finish();
}

}  // namespace quartet

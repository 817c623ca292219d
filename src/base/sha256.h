// SHA-256 through OpenSSL 3 with the digest fetched once and the context reused: OpenSSL's one-shot
// SHA256() looks the algorithm up on every call, about three times slower for 65-byte Merkle nodes.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "base/bytes.h"

namespace quartet {

using Hash = std::array<uint8_t, 32>;

// Not thread-safe: use one per thread. Non-copyable.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& Update(ByteView data);
  Sha256& Update(std::string_view data) { return Update(AsBytes(data)); }
  Sha256& Update(uint8_t byte) { return Update(ByteView(&byte, 1)); }
  // Returns the digest and resets for the next message.
  Hash Finish();

  // One-shot helper using a thread-local hasher.
  static Hash Of(ByteView data);
  static Hash Of(std::string_view data) { return Of(AsBytes(data)); }

 private:
  void* context_;  // EVP_MD_CTX*
};

// Decodes the base64 text of a 32-byte hash. InvalidArgument naming `what` for malformed base64 or
// any other length.
StatusOr<Hash> HashFromBase64(std::string_view text, std::string_view what);

}  // namespace quartet

// Bearer and session tokens. A token is a public prefix (so secret scanners and people recognise a
// leaked one, e.g. "qt_") followed by 32 random bytes in unpadded base64url (RFC 4648 section 5).
// The server keeps only the SHA-256 digest of the whole token: a copy of the database does not let
// anyone sign in, and with 256 random bits a digest needs no salt or slow hash.
//
// The token text is shown to its holder once and never stored or logged. Thread-safe when the
// Random is.
#pragma once

#include <string>
#include <string_view>

#include "base/random.h"
#include "base/sha256.h"

namespace quartet::identity {

struct IssuedToken {
  std::string token;  // give to the holder; never store or log
  Hash digest;        // store this: TokenDigest(token)
};

// A new token: `prefix` then 43 base64url characters from 32 bytes of `random`.
IssuedToken NewToken(Random& random, std::string_view prefix);

// SHA-256 of the whole token text, prefix included.
Hash TokenDigest(std::string_view token);

// True if `presented` is the token whose digest is `stored_digest`. The digests are compared in
// constant time.
bool TokenMatches(std::string_view presented, const Hash& stored_digest);

}  // namespace quartet::identity

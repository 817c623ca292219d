// Password hashing with argon2id (libsodium's crypto_pwhash, RFC 9106) and the password policy.
//
// Stored hashes are self-describing PHC strings ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"): the
// salt and the cost travel with the hash, so raising the cost later only needs PasswordNeedsRehash
// at the next successful sign-in.
//
// Hashes and verifications run one at a time on a thread of their own at the lowest scheduling
// priority (callers wait), so the rest of a busy process goes first, and only one holds the cost's
// memory (64 MiB or 256 MiB) at a time; callers bound how many wait. Thread-safe. Nothing here logs, and no error message
// contains a password.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::identity {

// libsodium's argon2id presets. kInteractive (2 passes over 64 MiB, roughly 0.1 s on a server core)
// suits sign-in on a shared host and is what tests use. kModerate (3 passes over 256 MiB, roughly
// 0.5 s) is for rare, high-value secrets such as an administrator's password.
enum class PasswordCost { kInteractive, kModerate };

// The policy's bounds, exposed for forms and messages.
inline constexpr size_t kMinPasswordCharacters = 12;  // Unicode code points
inline constexpr size_t kMaxPasswordBytes = 1024;     // UTF-8 bytes

// Returns the PHC string of a fresh random salt and argon2id at `cost`; it starts "$argon2id$".
// Refuses passwords over kMaxPasswordBytes (InvalidArgument) but applies no other policy, so that
// existing passwords can be rehashed. Unavailable if the memory cannot be allocated.
StatusOr<std::string> HashPassword(std::string_view password, PasswordCost cost);

// True when `password` matches `stored_hash` (as made by HashPassword, at any cost). False for a
// wrong password and for anything that is not an argon2 PHC string: a malformed stored hash never
// crashes. The stored hash is trusted for its cost: one naming absurd memory or passes fails or
// runs that long.
bool VerifyPassword(std::string_view stored_hash, std::string_view password);

// True unless `stored_hash` is argon2id with exactly `cost`'s parameters: weaker, stronger,
// other-algorithm and malformed hashes all need rehashing. Call after a successful VerifyPassword
// and store HashPassword(password, cost) when true.
bool PasswordNeedsRehash(std::string_view stored_hash, PasswordCost cost);

// OK if `password` is well-formed UTF-8 of at least kMinPasswordCharacters code points and at most
// kMaxPasswordBytes bytes, and is not one character repeated. Otherwise InvalidArgument saying
// which rule failed (never quoting the password).
Status CheckPasswordPolicy(std::string_view password);

}  // namespace quartet::identity

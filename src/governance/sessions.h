// Who is asking: bearer tokens, passwords, second factors and browser sessions. Passwords are
// argon2id; TOTP (RFC 6238) is required of provider staff, and of anyone who enrolled. Only SHA-256
// digests of tokens are stored, and tokens are looked up by digest.
//
// Thread safety: share one per process; every method may be called from any thread.
#pragma once

#include <string>
#include <string_view>

#include "governance/committer.h"
#include "governance/permissions.h"

namespace quartet::governance {

class Sessions {
 public:
  explicit Sessions(Committer& committer) : committer_(committer) {}

  // Local administration only (`quartet admin`, run by whoever holds the data folder): the first
  // provider admin, who then adds everyone else.
  Status CreateProviderAdmin(const std::string& user);

  // A bearer token for `user` (local administration: `quartet admin token create`), valid for
  // `lifetime_seconds`.
  StatusOr<std::string> IssueToken(const std::string& user, int64_t lifetime_seconds);
  // The actor a bearer token belongs to. Unauthenticated for an unknown, expired or revoked token,
  // or an offboarded user (offboarding ends every token at once).
  StatusOr<Actor> Authenticate(std::string_view token);

  // Local administration and onboarding set passwords and enrol TOTP.
  Status SetPassword(const std::string& user, std::string_view password);
  // Returns the new secret as an otpauth:// provisioning URI (show it once, as text or a QR code).
  StatusOr<std::string> EnrolTotp(const std::string& user);

  struct Session {
    std::string token;  // the bearer token (or the session cookie's value)
    std::string csrf;   // to send back as X-CSRF-Token with every state-changing browser request
    Actor actor;
  };
  // Unauthenticated with one vague reason for every wrong user, password or code; the caller
  // throttles. FailedPrecondition for provider staff who have not enrolled TOTP yet.
  StatusOr<Session> SignIn(const std::string& user, std::string_view password,
                           std::string_view code, int64_t lifetime_seconds);
  // Whether `csrf` is the one issued with session `token` (constant time).
  bool CheckCsrf(std::string_view token, std::string_view csrf);
  // Ends the session or token at once.
  Status SignOut(std::string_view token);

  // People. NotFound for an unknown or offboarded user.
  StatusOr<Actor> FindActor(const std::string& user);

 private:
  Committer& committer_;
};

}  // namespace quartet::governance

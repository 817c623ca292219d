// Who is asking: bearer tokens, passwords, second factors and browser sessions. Passwords are
// argon2id; TOTP (RFC 6238) is required of provider staff, and of anyone who enrolled. Only SHA-256
// digests of tokens are stored, and tokens are looked up by digest.
//
// The people of a client (owners, client staff, auditors) choose their own password and receive
// their own second factor, through a one-time invitation: nobody on the provider's side sets or
// reads them, through the API or on the data folder.
//
// Thread safety: share one per process; every method may be called from any thread.
#pragma once

#include <string>
#include <string_view>

#include "governance/committer.h"
#include "governance/permissions.h"

namespace quartet::governance {

inline constexpr int64_t kInvitationSeconds = 7 * 24 * 3600;

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

  // Local administration and onboarding set the passwords and enrol the TOTP of provider staff.
  // PermissionDenied for the people of a client: they accept an invitation instead.
  Status SetPassword(const std::string& user, std::string_view password);
  // Returns the new secret as an otpauth:// provisioning URI (show it once, as text or a QR code).
  StatusOr<std::string> EnrolTotp(const std::string& user);

  // A one-time invitation for a person of a client who has not chosen a password yet, valid for
  // kInvitationSeconds; an earlier invitation of theirs stops working. FailedPrecondition for
  // provider staff and for someone who has accepted one already.
  StatusOr<std::string> Invite(const std::string& user);
  struct Accepted {
    std::string user;
    std::string totp_uri;  // their own second factor, shown to them once
  };
  // The invited person sets their password and receives their TOTP secret; the invitation is
  // spent. Unauthenticated for an unknown, spent or expired code.
  StatusOr<Accepted> AcceptInvitation(std::string_view code, std::string_view password);
  // Anyone, for themselves: a new password (the current one proves it is them), or a new second
  // factor (returned as for EnrolTotp). Unauthenticated for a wrong current password.
  Status ChangeOwnPassword(const Actor& actor, std::string_view current, std::string_view next);
  StatusOr<std::string> ReenrolOwnTotp(const Actor& actor, std::string_view password);

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
  // PermissionDenied unless `user` is provider staff.
  static Status RequireProviderStaff(store::Database& db, const std::string& user);
  // Unauthenticated unless `password` is `user`'s (an unknown user costs as much as a known one).
  Status CheckOwnPassword(const std::string& user, std::string_view password);
  static Status StorePassword(store::Database& db, const std::string& user,
                              const std::string& hash);
  static Status StoreTotp(store::Database& db, const std::string& user, ByteView secret);

  Committer& committer_;
};

}  // namespace quartet::governance

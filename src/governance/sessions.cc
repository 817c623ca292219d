#include "governance/sessions.h"

#include <algorithm>

#include "identity/password.h"
#include "identity/token.h"
#include "identity/totp.h"

namespace quartet::governance {

StatusOr<Actor> Sessions::FindActor(const std::string& user) {
  return committer_.Read([&](store::Database& db) { return FindActorIn(db, user); });
}

Status Sessions::CreateProviderAdmin(const std::string& user) {
  if (user.empty() || user.size() > 64)
    return InvalidArgumentError("a user needs a name of 1 to 64 characters");
  return committer_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto insert,
                     db.Prepare("INSERT INTO users (name, role) VALUES (?, 'provider-admin')"));
    insert->Bind(1, user);
    Status status = insert->Run();
    if (status.code() == StatusCode::kFailedPrecondition)
      return AlreadyExistsError("user '" + user + "' exists");
    return status;
  });
}

StatusOr<std::string> Sessions::IssueToken(const std::string& user, int64_t lifetime_seconds) {
  RETURN_IF_ERROR(FindActor(user).status());
  if (lifetime_seconds <= 0) return InvalidArgumentError("a token needs a lifetime");
  const identity::IssuedToken token = identity::NewToken(committer_.random(), "qt_");
  const int64_t expires_at = committer_.clock().NowUnixSeconds() + lifetime_seconds;
  RETURN_IF_ERROR(committer_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto insert,
                     db.Prepare("INSERT INTO tokens (digest, user, expires_at) VALUES (?, ?, ?)"));
    insert->BindBlob(1, token.digest).Bind(2, user).Bind(3, expires_at);
    return insert->Run();
  }));
  return token.token;
}

StatusOr<Actor> Sessions::Authenticate(std::string_view token) {
  // Looked up by digest: the lookup compares digests, never the secret itself.
  const Hash digest = identity::TokenDigest(token);
  const int64_t now = committer_.clock().NowUnixSeconds();
  return committer_.Read([&](store::Database& db) -> StatusOr<Actor> {
    ASSIGN_OR_RETURN(auto select,
                     db.Prepare("SELECT u.name, u.role, coalesce(u.client, '') FROM tokens t "
                                "JOIN users u ON u.name = t.user "
                                "WHERE t.digest = ? AND t.expires_at > ? AND u.active = 1"));
    select->BindBlob(1, digest).Bind(2, now);
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) return UnauthenticatedError("unknown or expired token");
    return ActorFromRow(*select);
  });
}

Status Sessions::RequireProviderStaff(store::Database& db, const std::string& user) {
  ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT role FROM users WHERE name = ? AND active = 1"));
  select->Bind(1, user);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return NotFoundError("no such user");
  ASSIGN_OR_RETURN(const Role role, RoleFromName(select->ColumnText(0)));
  if (!IsProviderRole(role)) {
    return PermissionDeniedError(
        "the people of a client set their own password and second factor: send them an "
        "invitation instead");
  }
  return Status::Ok();
}

Status Sessions::StorePassword(store::Database& db, const std::string& user,
                               const std::string& hash) {
  ASSIGN_OR_RETURN(auto update,
                   db.Prepare("UPDATE users SET password_hash = ? WHERE name = ? AND active = 1"));
  update->Bind(1, hash).Bind(2, user);
  RETURN_IF_ERROR(update->Run());
  if (sqlite3_changes(db.handle()) == 0) return NotFoundError("no such user");
  return Status::Ok();
}

Status Sessions::StoreTotp(store::Database& db, const std::string& user, ByteView secret) {
  ASSIGN_OR_RETURN(
      auto update,
      db.Prepare(
          "UPDATE users SET totp_secret = ?, totp_last_step = -1 WHERE name = ? AND active = 1"));
  update->BindBlob(1, secret).Bind(2, user);
  RETURN_IF_ERROR(update->Run());
  if (sqlite3_changes(db.handle()) == 0) return NotFoundError("no such user");
  return Status::Ok();
}

Status Sessions::SetPassword(const std::string& user, std::string_view password) {
  RETURN_IF_ERROR(identity::CheckPasswordPolicy(password));
  RETURN_IF_ERROR(
      committer_.Read([&](store::Database& db) { return RequireProviderStaff(db, user); }));
  ASSIGN_OR_RETURN(std::string hash,
                   identity::HashPassword(password, identity::PasswordCost::kInteractive));
  return committer_.Write([&](store::Database& db) -> Status {
    RETURN_IF_ERROR(RequireProviderStaff(db, user));
    return StorePassword(db, user, hash);
  });
}

StatusOr<std::string> Sessions::EnrolTotp(const std::string& user) {
  const Bytes secret = identity::NewTotpSecret(committer_.random());
  RETURN_IF_ERROR(committer_.Write([&](store::Database& db) -> Status {
    RETURN_IF_ERROR(RequireProviderStaff(db, user));
    return StoreTotp(db, user, secret);
  }));
  return identity::TotpProvisioningUri("Quartet", user, secret);
}

StatusOr<std::string> Sessions::Invite(const std::string& user) {
  const identity::IssuedToken code = identity::NewToken(committer_.random(), "qi_");
  const int64_t expires_at = committer_.clock().NowUnixSeconds() + kInvitationSeconds;
  RETURN_IF_ERROR(committer_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT role, password_hash IS NOT NULL FROM users "
                                             "WHERE name = ? AND active = 1"));
    select->Bind(1, user);
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) return NotFoundError("no such user");
    ASSIGN_OR_RETURN(const Role role, RoleFromName(select->ColumnText(0)));
    const bool has_password = select->ColumnInt(1) != 0;
    select.Release();
    if (IsProviderRole(role))
      return FailedPreconditionError("provider staff are given a first password, not invited");
    if (has_password) return FailedPreconditionError(user + " has accepted an invitation already");
    ASSIGN_OR_RETURN(auto transaction,
                     store::Transaction::Begin(db, store::TransactionMode::kImmediate));
    ASSIGN_OR_RETURN(auto withdraw, db.Prepare("DELETE FROM invitations WHERE user = ?"));
    withdraw->Bind(1, user);
    RETURN_IF_ERROR(withdraw->Run());
    ASSIGN_OR_RETURN(
        auto insert,
        db.Prepare("INSERT INTO invitations (digest, user, expires_at) VALUES (?, ?, ?)"));
    insert->BindBlob(1, code.digest).Bind(2, user).Bind(3, expires_at);
    RETURN_IF_ERROR(insert->Run());
    return transaction->Commit();
  }));
  return code.token;
}

StatusOr<Sessions::Accepted> Sessions::AcceptInvitation(std::string_view code,
                                                        std::string_view password) {
  RETURN_IF_ERROR(identity::CheckPasswordPolicy(password));
  // Hashed before the invitation is looked at: a wrong code costs as much as a right one.
  ASSIGN_OR_RETURN(const std::string hash,
                   identity::HashPassword(password, identity::PasswordCost::kInteractive));
  const Hash digest = identity::TokenDigest(code);
  const int64_t now = committer_.clock().NowUnixSeconds();
  const Bytes secret = identity::NewTotpSecret(committer_.random());
  std::string user;
  RETURN_IF_ERROR(committer_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto transaction,
                     store::Transaction::Begin(db, store::TransactionMode::kImmediate));
    ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT user FROM invitations WHERE digest = ? AND "
                                             "expires_at > ?"));
    select->BindBlob(1, digest).Bind(2, now);
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) return UnauthenticatedError("unknown, used or expired invitation");
    user = std::string(select->ColumnText(0));
    select.Release();
    // Spent in the same transaction that sets the secrets: an invitation serves once.
    ASSIGN_OR_RETURN(auto spend, db.Prepare("DELETE FROM invitations WHERE digest = ?"));
    spend->BindBlob(1, digest);
    RETURN_IF_ERROR(spend->Run());
    RETURN_IF_ERROR(StorePassword(db, user, hash));
    RETURN_IF_ERROR(StoreTotp(db, user, secret));
    return transaction->Commit();
  }));
  return Accepted{user, identity::TotpProvisioningUri("Quartet", user, secret)};
}

Status Sessions::CheckOwnPassword(const std::string& user, std::string_view password) {
  std::string hash;
  RETURN_IF_ERROR(committer_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT coalesce(password_hash, '') FROM users "
                                             "WHERE name = ? AND active = 1"));
    select->Bind(1, user);
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (row) hash = std::string(select->ColumnText(0));
    return Status::Ok();
  }));
  if (hash.empty() || !identity::VerifyPassword(hash, password))
    return UnauthenticatedError("the current password is wrong");
  return Status::Ok();
}

Status Sessions::ChangeOwnPassword(const Actor& actor, std::string_view current,
                                   std::string_view next) {
  RETURN_IF_ERROR(identity::CheckPasswordPolicy(next));
  RETURN_IF_ERROR(CheckOwnPassword(actor.user, current));
  ASSIGN_OR_RETURN(const std::string hash,
                   identity::HashPassword(next, identity::PasswordCost::kInteractive));
  return committer_.Write(
      [&](store::Database& db) -> Status { return StorePassword(db, actor.user, hash); });
}

StatusOr<std::string> Sessions::ReenrolOwnTotp(const Actor& actor, std::string_view password) {
  RETURN_IF_ERROR(CheckOwnPassword(actor.user, password));
  const Bytes secret = identity::NewTotpSecret(committer_.random());
  RETURN_IF_ERROR(committer_.Write(
      [&](store::Database& db) -> Status { return StoreTotp(db, actor.user, secret); }));
  return identity::TotpProvisioningUri("Quartet", actor.user, secret);
}

StatusOr<Sessions::Session> Sessions::SignIn(const std::string& user, std::string_view password,
                                             std::string_view code, int64_t lifetime_seconds) {
  const Status wrong = UnauthenticatedError("wrong user name, password or code");
  std::string hash;
  Bytes totp_secret;
  int64_t last_step = -1;
  std::string role_name;
  RETURN_IF_ERROR(committer_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(
        auto select,
        db.Prepare(
            "SELECT coalesce(password_hash, ''), totp_secret, totp_last_step, role FROM users "
            "WHERE name = ? AND active = 1"));
    select->Bind(1, user);
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (row) {
      hash = std::string(select->ColumnText(0));
      ByteView secret = select->ColumnBlob(1);
      totp_secret.assign(secret.begin(), secret.end());
      last_step = select->ColumnInt(2);
      role_name = std::string(select->ColumnText(3));
    }
    return Status::Ok();
  }));
  // An unknown user costs as much as a known one: always run the password check.
  static const std::string kDecoy =
      *identity::HashPassword("decoy password for timing", identity::PasswordCost::kInteractive);
  const bool password_ok =
      identity::VerifyPassword(hash.empty() ? kDecoy : hash, password) && !hash.empty();
  if (!password_ok) return wrong;
  ASSIGN_OR_RETURN(Role role, RoleFromName(role_name));
  if (totp_secret.empty()) {
    // Provider staff sign in with a second factor only; one without says nothing of whether the
    // password was right.
    if (IsProviderRole(role)) return wrong;
  } else {
    auto step = identity::VerifyTotp(totp_secret, code, committer_.clock().NowUnixSeconds(),
                                     last_step, identity::TotpParameters{});
    if (!step.ok()) return wrong;
    // A code is good once, even for sign-ins sent at the same moment: only the one that moves the
    // last step forward first opens a session.
    RETURN_IF_ERROR(committer_.Write([&](store::Database& db) -> Status {
      ASSIGN_OR_RETURN(auto update, db.Prepare("UPDATE users SET totp_last_step = ? WHERE name = "
                                               "? AND totp_last_step < ?"));
      update->Bind(1, *step).Bind(2, user).Bind(3, *step);
      RETURN_IF_ERROR(update->Run());
      return sqlite3_changes(db.handle()) == 1 ? Status::Ok() : wrong;
    }));
  }
  ASSIGN_OR_RETURN(std::string token, IssueToken(user, lifetime_seconds));
  const identity::IssuedToken csrf = identity::NewToken(committer_.random(), "csrf_");
  RETURN_IF_ERROR(committer_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto update, db.Prepare("UPDATE tokens SET csrf_digest = ? WHERE digest = ?"));
    const Hash digest = identity::TokenDigest(token);
    update->BindBlob(1, csrf.digest).BindBlob(2, digest);
    return update->Run();
  }));
  ASSIGN_OR_RETURN(Actor actor, FindActor(user));
  return Session{token, csrf.token, actor};
}

bool Sessions::CheckCsrf(std::string_view token, std::string_view csrf) {
  const Hash digest = identity::TokenDigest(token);
  return committer_.Write([&](store::Database& db) {
    auto select = db.Prepare("SELECT csrf_digest FROM tokens WHERE digest = ?");
    if (!select.ok()) return false;
    (*select)->BindBlob(1, digest);
    auto row = (*select)->Step();
    if (!row.ok() || !*row) return false;
    ByteView stored = (*select)->ColumnBlob(0);
    Hash expected{};
    if (stored.size() != expected.size()) return false;
    std::copy(stored.begin(), stored.end(), expected.begin());
    return identity::TokenMatches(csrf, expected);
  });
}

Status Sessions::SignOut(std::string_view token) {
  const Hash digest = identity::TokenDigest(token);
  return committer_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto remove, db.Prepare("DELETE FROM tokens WHERE digest = ?"));
    remove->BindBlob(1, digest);
    return remove->Run();
  });
}

}  // namespace quartet::governance

#include "governance/log_readers.h"

#include "base/utf8.h"
#include "governance/event.h"
#include "identity/token.h"

namespace quartet::governance {
namespace {

constexpr int64_t kLongestToken = 2 * 366 * 24 * 3600;

std::string TokenId(const Hash& digest) { return HexEncode(ByteView(digest.data(), 8)); }

Status RequireOwnerOf(store::Database& db, const Actor& actor, const std::string& client,
                      std::string_view what) {
  RETURN_IF_ERROR(VisibleTechnicianIn(db, actor, client).status());
  if (actor.role != Role::kOwner || actor.client != client)
    return Forbidden("only the client's owners " + std::string(what));
  return Status::Ok();
}

StatusOr<LogReaders::ReadToken> TokenFromRow(store::Statement& select) {
  LogReaders::ReadToken token;
  token.id = std::string(select.ColumnText(0));
  token.name = std::string(select.ColumnText(1));
  token.created_by = std::string(select.ColumnText(2));
  token.created_at = select.ColumnInt(3);
  token.expires_at = select.ColumnInt(4);
  token.revoked_at = select.ColumnInt(5);
  return token;
}

}  // namespace

StatusOr<bool> LogReaders::IsOpen(const std::string& tenant) {
  const auto now = std::chrono::steady_clock::now();
  {
    MutexLock lock(cache_mu_);
    if (auto it = open_.find(tenant); it != open_.end() && now - it->second.second < kCacheTime)
      return it->second.first;
  }
  ASSIGN_OR_RETURN(const bool open, committer_.Read([&](store::Database& db) -> StatusOr<bool> {
    ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT 1 FROM public_logs WHERE client = ?"));
    select->Bind(1, tenant);
    return select->Step();
  }));
  MutexLock lock(cache_mu_);
  open_[tenant] = {open, now};
  return open;
}

StatusOr<bool> LogReaders::CheckRead(std::string_view credential, const std::string& tenant) {
  ASSIGN_OR_RETURN(const bool open, IsOpen(tenant));
  if (open) return true;
  if (credential.empty())
    return UnauthenticatedError(
        "the log is the client's: send an 'Authorization: Bearer <token>' header (a read token "
        "from its owners, or your own)");
  const auto key = std::make_pair(identity::TokenDigest(credential), tenant);
  const auto now = std::chrono::steady_clock::now();
  {
    MutexLock lock(cache_mu_);
    if (auto it = readers_.find(key); it != readers_.end() && now - it->second < kCacheTime)
      return false;
  }
  RETURN_IF_ERROR(CheckCredential(credential, tenant));
  MutexLock lock(cache_mu_);
  if (readers_.size() > 10'000) readers_.clear();
  readers_[key] = now;
  return false;
}

Status LogReaders::CheckCredential(std::string_view credential, const std::string& tenant) {
  const Status not_found = NotFoundError("no such log");
  if (credential.starts_with(kTokenPrefix)) {
    const Hash digest = identity::TokenDigest(credential);
    const int64_t now = committer_.clock().NowUnixSeconds();
    return committer_.Read([&](store::Database& db) -> Status {
      ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT client FROM log_read_tokens WHERE digest = "
                                               "? AND revoked_at = 0 AND expires_at > ?"));
      select->BindBlob(1, digest).Bind(2, now);
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) return UnauthenticatedError("unknown, expired or revoked read token");
      return select->ColumnText(0) == tenant ? Status::Ok() : not_found;
    });
  }
  if (credential.starts_with("qa_")) {
    ASSIGN_OR_RETURN(const AgentService::Caller agent, agents_.AuthenticateAgent(credential));
    return agent.client == tenant ? Status::Ok() : not_found;
  }
  ASSIGN_OR_RETURN(const Actor actor, sessions_.Authenticate(credential));
  const bool reader =
      actor.client == tenant && (actor.role == Role::kOwner || actor.role == Role::kAuditor);
  return reader ? Status::Ok() : not_found;
}

void LogReaders::Forget() {
  MutexLock lock(cache_mu_);
  readers_.clear();
  open_.clear();
}

StatusOr<LogReaders::Issued> LogReaders::CreateToken(const Actor& actor, const std::string& client,
                                                     const std::string& name, int64_t expires_at) {
  const int64_t now = committer_.clock().NowUnixSeconds();
  const identity::IssuedToken issued = identity::NewToken(committer_.random(), kTokenPrefix);
  Issued out{issued.token, {TokenId(issued.digest), name, actor.user, now, expires_at, 0}};
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    // Who asks comes first: one who may not learns nothing of what a good request would be.
    RETURN_IF_ERROR(RequireOwnerOf(scope.db, actor, client, "make read tokens for its log"));
    if (name.size() > 64 || !IsValidUtf8(name) || name.find_first_of("\n\r\t") != std::string::npos)
      return InvalidArgumentError("a read token's name is at most 64 characters on one line");
    if (expires_at <= now || expires_at > now + kLongestToken)
      return InvalidArgumentError("a read token expires within two years");
    ASSIGN_OR_RETURN(auto count,
                     scope.db.Prepare("SELECT count(*) FROM log_read_tokens WHERE client = ? AND "
                                      "revoked_at = 0 AND expires_at > ?"));
    count->Bind(1, client).Bind(2, now);
    ASSIGN_OR_RETURN(bool row, count->Step());
    if (row && count->ColumnInt(0) >= kMaxTokens)
      return FailedPreconditionError("too many read tokens: revoke some first");
    count.Release();
    ASSIGN_OR_RETURN(auto insert,
                     scope.db.Prepare("INSERT INTO log_read_tokens (digest, id, client, name, "
                                      "created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, "
                                      "?, ?)"));
    insert->BindBlob(1, issued.digest)
        .Bind(2, out.info.id)
        .Bind(3, client)
        .Bind(4, name)
        .Bind(5, actor.user)
        .Bind(6, now)
        .Bind(7, expires_at);
    RETURN_IF_ERROR(insert->Run());
    scope.events.push_back(Event(
        "log.token_created", client, now,
        {{"id", out.info.id}, {"name", name}, {"by", actor.user}, {"expires_at", expires_at}}));
    return Status::Ok();
  }));
  return out;
}

StatusOr<std::vector<LogReaders::ReadToken>> LogReaders::ListTokens(const Actor& actor,
                                                                    const std::string& client) {
  return committer_.Read([&](store::Database& db) -> StatusOr<std::vector<ReadToken>> {
    RETURN_IF_ERROR(VisibleTechnicianIn(db, actor, client).status());
    if ((actor.role != Role::kOwner && actor.role != Role::kAuditor) || actor.client != client)
      return Forbidden("only the client's owners and auditors list its read tokens");
    ASSIGN_OR_RETURN(auto select,
                     db.Prepare("SELECT id, name, created_by, created_at, expires_at, revoked_at "
                                "FROM log_read_tokens WHERE client = ? ORDER BY created_at DESC, "
                                "id"));
    select->Bind(1, client);
    std::vector<ReadToken> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      ASSIGN_OR_RETURN(ReadToken token, TokenFromRow(*select));
      out.push_back(std::move(token));
    }
    return out;
  });
}

StatusOr<LogReaders::ReadToken> LogReaders::RevokeToken(const Actor& actor,
                                                        const std::string& client,
                                                        const std::string& id) {
  const int64_t now = committer_.clock().NowUnixSeconds();
  ReadToken revoked;
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    RETURN_IF_ERROR(RequireOwnerOf(scope.db, actor, client, "revoke read tokens of its log"));
    {
      ASSIGN_OR_RETURN(auto select,
                       scope.db.Prepare("SELECT id, name, created_by, created_at, expires_at, "
                                        "revoked_at FROM log_read_tokens WHERE client = ? AND id "
                                        "= ?"));
      select->Bind(1, client).Bind(2, id);
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) return NotFoundError("no such read token");
      ASSIGN_OR_RETURN(revoked, TokenFromRow(*select));
    }
    if (revoked.revoked_at != 0) return Status::Ok();  // again: nothing changes
    ASSIGN_OR_RETURN(auto update, scope.db.Prepare("UPDATE log_read_tokens SET revoked_at = ? "
                                                   "WHERE client = ? AND id = ?"));
    update->Bind(1, now).Bind(2, client).Bind(3, id);
    RETURN_IF_ERROR(update->Run());
    revoked.revoked_at = now;
    scope.events.push_back(Event("log.token_revoked", client, now,
                                 {{"id", id}, {"name", revoked.name}, {"by", actor.user}}));
    return Status::Ok();
  }));
  Forget();
  return revoked;
}

StatusOr<LogReaders::Visibility> LogReaders::GetVisibility(const Actor& actor,
                                                           const std::string& client) {
  return committer_.Read([&](store::Database& db) -> StatusOr<Visibility> {
    RETURN_IF_ERROR(VisibleTechnicianIn(db, actor, client).status());
    ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT published_by, published_at FROM public_logs "
                                             "WHERE client = ?"));
    select->Bind(1, client);
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) return Visibility{};
    return Visibility{true, std::string(select->ColumnText(0)), select->ColumnInt(1)};
  });
}

StatusOr<LogReaders::Visibility> LogReaders::SetVisibility(const Actor& actor,
                                                           const std::string& client, bool open) {
  const int64_t now = committer_.clock().NowUnixSeconds();
  Visibility after{open, open ? actor.user : "", open ? now : 0};
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    RETURN_IF_ERROR(RequireOwnerOf(scope.db, actor, client, "choose who reads its log"));
    ASSIGN_OR_RETURN(auto select, scope.db.Prepare("SELECT published_by, published_at FROM "
                                                   "public_logs WHERE client = ?"));
    select->Bind(1, client);
    ASSIGN_OR_RETURN(const bool was_open, select->Step());
    if (was_open) after = {true, std::string(select->ColumnText(0)), select->ColumnInt(1)};
    select.Release();
    if (was_open == open) {
      if (!open) after = Visibility{};
      return Status::Ok();  // as it was: nothing changes, nothing is logged
    }
    ASSIGN_OR_RETURN(auto change,
                     scope.db.Prepare(open ? "INSERT INTO public_logs (client, published_by, "
                                             "published_at) VALUES (?, ?, ?)"
                                           : "DELETE FROM public_logs WHERE client = ?"));
    change->Bind(1, client);
    if (open) change->Bind(2, actor.user).Bind(3, now);
    RETURN_IF_ERROR(change->Run());
    after = Visibility{open, open ? actor.user : "", open ? now : 0};
    scope.events.push_back(
        Event(open ? "log.published" : "log.unpublished", client, now, {{"by", actor.user}}));
    return Status::Ok();
  }));
  Forget();
  return after;
}

}  // namespace quartet::governance

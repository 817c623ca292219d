#include "governance/trust_links.h"

#include <cctype>

#include "base/sha256.h"
#include "governance/event.h"

namespace quartet::governance {
namespace {

// Crockford's base32: no I, L, O or U, which people misread.
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr size_t kCodeLength = 10;

std::string NewCode(Random& random) {
  uint8_t bytes[kCodeLength];
  random.Fill(bytes);
  std::string code;
  for (size_t i = 0; i < kCodeLength; ++i) {
    if (i == kCodeLength / 2) code += '-';
    code += kAlphabet[bytes[i] % kAlphabet.size()];  // 256 is a multiple of 32: no bias
  }
  return code;
}

// The code as kept: upper case, without the '-' people may or may not type.
Hash CodeDigest(std::string_view code) {
  std::string normal;
  for (char c : code) {
    if (c != '-') normal += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return Sha256::Of(AsBytes(normal));
}

Status RequireOwnerOf(store::Database& db, const Actor& actor, const std::string& client) {
  RETURN_IF_ERROR(VisibleTechnicianIn(db, actor, client).status());
  if (actor.role != Role::kOwner || actor.client != client)
    return Forbidden("only the client's owners link devices");
  return Status::Ok();
}

}  // namespace

StatusOr<TrustLinks::Offered> TrustLinks::Offer(const Actor& actor, const std::string& client,
                                                const std::string& statement) {
  if (statement.size() > 32 * 1024)
    return InvalidArgumentError("a trust statement is at most 32 KiB");
  const int64_t now = committer_.clock().NowUnixSeconds();
  Offered offered{NewCode(committer_.random()), "", now + kLinkSeconds};
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    RETURN_IF_ERROR(RequireOwnerOf(scope.db, actor, client));
    RETURN_IF_ERROR(trust::Statement::Parse(statement).status());
    ASSIGN_OR_RETURN(trust::Chain chain, trust_.Load(scope.db, client));
    if (chain.state().size == 0)
      return FailedPreconditionError("the client has no trust chain yet: 'quartet trust init'");
    ASSIGN_OR_RETURN(trust::Chain::Link link, chain.CheckLink(statement));
    if (link.owner != actor.user) return Forbidden("an owner links devices of their own");
    offered.key_id = link.device.key_id;
    {
      ASSIGN_OR_RETURN(auto waiting, scope.db.Prepare("SELECT count(*) FROM trust_links WHERE "
                                                      "client = ? AND expires_at > ?"));
      waiting->Bind(1, client).Bind(2, now);
      ASSIGN_OR_RETURN(bool row, waiting->Step());
      if (row && waiting->ColumnInt(0) >= kMaxWaiting)
        return FailedPreconditionError(
            "too many devices wait to be linked: try again in ten minutes");
    }
    ASSIGN_OR_RETURN(auto expired,
                     scope.db.Prepare("DELETE FROM trust_links WHERE expires_at <= ?"));
    expired->Bind(1, now);
    RETURN_IF_ERROR(expired->Run());
    ASSIGN_OR_RETURN(
        auto insert,
        scope.db.Prepare("INSERT INTO trust_links (digest, client, offered_by, key_id, "
                         "statement, expires_at) VALUES (?, ?, ?, ?, ?, ?)"));
    const Hash digest = CodeDigest(offered.code);
    insert->BindBlob(1, digest)
        .Bind(2, client)
        .Bind(3, actor.user)
        .Bind(4, offered.key_id)
        .Bind(5, statement)
        .Bind(6, offered.expires_at);
    RETURN_IF_ERROR(insert->Run());
    scope.events.push_back(Event("trust.link_offered", client, now,
                                 {{"by", actor.user},
                                  {"key_id", offered.key_id},
                                  {"device_name", link.device.name},
                                  {"expires_at", offered.expires_at}}));
    return Status::Ok();
  }));
  return offered;
}

StatusOr<TrustLinks::Claimed> TrustLinks::Claim(const Actor& actor, const std::string& client,
                                                std::string_view code) {
  const int64_t now = committer_.clock().NowUnixSeconds();
  const Hash digest = CodeDigest(code);
  Claimed claimed;
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    RETURN_IF_ERROR(RequireOwnerOf(scope.db, actor, client));
    {
      ASSIGN_OR_RETURN(auto select, scope.db.Prepare("SELECT statement, offered_by, key_id, "
                                                     "expires_at FROM trust_links WHERE digest = "
                                                     "? AND client = ? AND expires_at > ?"));
      select->BindBlob(1, digest).Bind(2, client).Bind(3, now);
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) return NotFoundError("unknown, used or expired link code");
      claimed = {std::string(select->ColumnText(0)), std::string(select->ColumnText(1)),
                 std::string(select->ColumnText(2)), select->ColumnInt(3)};
    }
    // Gone in the transaction that hands it out: a code is claimed once.
    ASSIGN_OR_RETURN(auto spend, scope.db.Prepare("DELETE FROM trust_links WHERE digest = ?"));
    spend->BindBlob(1, digest);
    RETURN_IF_ERROR(spend->Run());
    scope.events.push_back(Event(
        "trust.link_claimed", client, now,
        {{"by", actor.user}, {"key_id", claimed.key_id}, {"offered_by", claimed.offered_by}}));
    return Status::Ok();
  }));
  return claimed;
}

}  // namespace quartet::governance

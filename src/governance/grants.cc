#include "governance/grants.h"

#include <optional>

#include "access/local_time.h"
#include "base/bytes.h"
#include "governance/outbox.h"
#include "ssh/key.h"

namespace quartet::governance {

using access::Grant;

StatusOr<Grant> LoadGrant(store::Database& db, const std::string& client,
                          const std::string& grant) {
  ASSIGN_OR_RETURN(auto select,
                   db.Prepare("SELECT request, progress FROM grants WHERE client = ? AND id = ?"));
  select->Bind(1, client).Bind(2, grant);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return NotFoundError("no such grant");
  std::string canonical(select->ColumnText(0));
  auto request = access::ParseCanonicalRequest(canonical);
  auto progress = access::ProgressFromJson(select->ColumnText(1));
  select.Release();
  if (!request.ok()) return DataLossError("stored grant request is malformed");
  RETURN_IF_ERROR(progress.status());
  return Grant::Restore(std::move(*request), std::move(*progress), std::move(canonical));
}

Status SaveGrant(store::Database& db, const Grant& grant) {
  ASSIGN_OR_RETURN(
      auto upsert,
      db.Prepare(
          "INSERT INTO grants (client, id, technician, state, requested_at, request, progress) "
          "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client, id) DO UPDATE SET "
          "state = excluded.state, progress = excluded.progress"));
  const access::GrantRequest& request = grant.request();
  upsert->Bind(1, request.client)
      .Bind(2, request.id)
      .Bind(3, request.technician)
      .Bind(4, access::GrantStateName(grant.state()))
      .Bind(5, request.requested_at)
      .Bind(6, grant.canonical_request())
      .Bind(7, access::ProgressToJson(grant.progress()));
  return upsert->Run();
}

StatusOr<access::OwnerKey> Grants::OwnerKeyOf(store::Database& db, const std::string& client,
                                              const std::string& owner, const std::string& key_id) {
  ASSIGN_OR_RETURN(trust::Chain chain, trust_.Load(db, client));
  if (chain.state().size > 0) {
    // The chain says which keys are the owner's; the server's own records do not count.
    const std::string* holder = chain.state().OwnerOf(key_id);
    if (holder == nullptr || *holder != owner)
      return UnauthenticatedError("that key is not one of this owner's devices in the trust chain");
    return access::OwnerKey::FromPublicKey(chain.state().owners.at(owner).at(key_id).public_key);
  }
  ASSIGN_OR_RETURN(
      auto select,
      db.Prepare(
          "SELECT public_key FROM owner_keys WHERE client = ? AND owner = ? AND key_id = ?"));
  select->Bind(1, client).Bind(2, owner).Bind(3, key_id);
  ASSIGN_OR_RETURN(bool found, select->Step());
  if (!found) return UnauthenticatedError("that key is not registered to this owner");
  return access::OwnerKey::FromPublicKey(select->ColumnBlob(0));
}

Status Grants::Update(const std::string& client, const std::string& grant_id,
                      const GrantChange& change) {
  const int64_t now = committer_.clock().NowUnixSeconds();
  return committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(Grant grant, LoadGrant(scope.db, client, grant_id));
    RETURN_IF_ERROR(change(grant, now, scope.events));
    return SaveGrant(scope.db, grant);
  });
}

StatusOr<GrantView> Grants::RequestAccess(const Actor& actor, const AccessRequest& in) {
  if (!IsProviderRole(actor.role)) return Forbidden("only provider staff request access");
  std::optional<Grant> opened;
  const int64_t now = committer_.clock().NowUnixSeconds();
  RETURN_IF_ERROR(committer_.Commit(in.client, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(bool related, IsRelated(scope.db, in.client, actor.user));
    // Without a relationship the client does not exist, as far as this technician can tell.
    if (!related) return NotFoundError("no such client");
    ASSIGN_OR_RETURN(
        auto resource,
        scope.db.Prepare("SELECT kind, labels FROM resources WHERE client = ? AND name = ?"));
    resource->Bind(1, in.client).Bind(2, in.resource);
    ASSIGN_OR_RETURN(bool found, resource->Step());
    if (!found) return NotFoundError("no such resource");
    auto kind = access::ResourceKindFromName(resource->ColumnText(0));
    auto labels = static_cast<access::LabelSet>(resource->ColumnInt(1));
    resource.Release();
    RETURN_IF_ERROR(kind.status());
    // Under a trust chain, what a resource holds is what its owners signed; a resource they have
    // not signed is taken to hold everything, so that the policy treats it as sensitive.
    ASSIGN_OR_RETURN(const trust::Chain chain, trust_.Load(scope.db, in.client));
    if (chain.state().size > 0) {
      auto terms = chain.state().resources.find(in.resource);
      if (terms != chain.state().resources.end()) kind = terms->second.kind;
      labels = chain.state().LabelsOf(in.resource);
    }
    ASSIGN_OR_RETURN(access::Policy policy, policies_.Load(scope.db, in.client));

    access::GrantRequest request;
    request.requested_at = now;
    // The time first, then 64 random bits: new grants sort after old ones, so that storing one
    // touches the end of the grant table's key index rather than a page anywhere in it.
    Bytes id(12);
    for (int i = 0; i < 4; ++i)
      id[i] = static_cast<uint8_t>(static_cast<uint64_t>(request.requested_at) >> (24 - 8 * i));
    committer_.random().Fill(std::span<uint8_t>(id).subspan(4));
    request.id = "g-" + HexEncode(id);
    request.client = in.client;
    request.technician = actor.user;
    request.role = actor.role;
    request.resource = in.resource;
    request.kind = *kind;
    request.labels = labels;
    request.action = in.action;
    request.login = in.login;
    request.reason = in.reason;
    request.ticket = in.ticket;
    request.duration_seconds = in.duration_seconds;
    request.not_before = in.not_before;
    request.breakglass = in.breakglass;
    if (!in.ssh_key.empty() && request.kind == access::ResourceKind::kSshHost &&
        request.action == access::Action::kLogin) {
      auto key = ssh::ParsePublicKey(in.ssh_key);
      if (!key.ok())
        return InvalidArgumentError("the SSH key does not parse: " + key.status().message());
      request.ssh_key = ssh::Fingerprint(*key);
    }
    ASSIGN_OR_RETURN(access::LocalTime local,
                     access::ToLocalTime(request.requested_at, policy.time_zone));

    ASSIGN_OR_RETURN(Grant grant, Grant::Open(request, policy, local, scope.events));
    RETURN_IF_ERROR(SaveGrant(scope.db, grant));
    if (auto notice = NoticeOf(grant)) scope.notices.push_back(*std::move(notice));
    opened = std::move(grant);
    return Status::Ok();
  }));
  return GrantView{opened->request(), opened->progress(), opened->canonical_request()};
}

Status Grants::Decide(const Actor& actor, const std::string& client, const std::string& grant_id,
                      access::OwnerDecision decision, const std::string& key_id, ByteView signature,
                      const std::string& comment) {
  // Approvals come from the client's own owners only: never from the provider's side.
  if (actor.role != Role::kOwner) return Forbidden("only the client's owners approve or deny");
  if (actor.client != client) return NotFoundError("no such grant");
  const int64_t now = committer_.clock().NowUnixSeconds();
  return committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(access::OwnerKey key, OwnerKeyOf(scope.db, client, actor.user, key_id));
    ASSIGN_OR_RETURN(Grant grant, LoadGrant(scope.db, client, grant_id));
    RETURN_IF_ERROR(decision == access::OwnerDecision::kApprove
                        ? grant.Approve(actor.user, key, signature, comment, now, scope.events)
                        : grant.Deny(actor.user, key, signature, comment, now, scope.events));
    return SaveGrant(scope.db, grant);
  });
}

Status Grants::Review(const Actor& actor, const std::string& client, const std::string& grant_id,
                      access::BreakglassReview verdict, const std::string& comment) {
  if (actor.role != Role::kOwner)
    return Forbidden("only the client's owners review break-glass access");
  if (actor.client != client) return NotFoundError("no such grant");
  return Update(client, grant_id, [&](Grant& grant, int64_t now, auto& events) {
    return grant.Review(actor.user, verdict, comment, now, events);
  });
}

Status Grants::End(const Actor& actor, const std::string& client, const std::string& grant_id) {
  if (!IsProviderRole(actor.role)) return Forbidden("only the technician ends a grant");
  return Update(client, grant_id, [&](Grant& grant, int64_t now, auto& events) -> Status {
    if (grant.request().technician != actor.user) return NotFoundError("no such grant");
    return grant.End(actor.user, now, events);
  });
}

Status Grants::Revoke(const Actor& actor, const std::string& client, const std::string& grant_id,
                      const std::string& reason) {
  const bool owner = actor.role == Role::kOwner && actor.client == client;
  if (!owner && actor.role != Role::kProviderAdmin) {
    return actor.role == Role::kOwner
               ? NotFoundError("no such grant")
               : Forbidden("only an owner or a provider admin revokes a grant");
  }
  return Update(client, grant_id, [&](Grant& grant, int64_t now, auto& events) {
    return grant.Revoke(actor.user, reason, now, events);
  });
}

StatusOr<std::vector<GrantView>> Grants::ListGrants(const Actor& actor, const std::string& client,
                                                    const GrantQuery& query) {
  if (query.limit < 1 || query.limit > 1000)
    return InvalidArgumentError("a page holds 1 to 1,000 grants");
  if (!query.state.empty() && query.state != "pending" && query.state != "approved" &&
      query.state != "denied" && query.state != "ended" && query.state != "revoked" &&
      query.state != "expired") {
    return InvalidArgumentError("unknown grant state '" + query.state + "'");
  }
  return committer_.Write([&](store::Database& db) -> StatusOr<std::vector<GrantView>> {
    ASSIGN_OR_RETURN(std::string technician_only, VisibleTechnicianIn(db, actor, client));
    // Two statements, so that SQLite can use the (client, state, time) index when filtering by
    // state: "(?3 = '' OR state = ?3)" would hide it from the planner.
    ASSIGN_OR_RETURN(
        auto select,
        db.Prepare(
            query.state.empty()
                ? "SELECT request, progress FROM grants WHERE client = ?1 AND ?3 = '' "
                  "AND (?2 = '' OR technician = ?2) "
                  "AND (requested_at, id) < (?4, ?5) ORDER BY requested_at DESC, id DESC LIMIT ?6"
                : "SELECT request, progress FROM grants WHERE client = ?1 AND state = ?3 "
                  "AND (?2 = '' OR technician = ?2) "
                  "AND (requested_at, id) < (?4, ?5) ORDER BY requested_at DESC, id DESC LIMIT "
                  "?6"));
    select->Bind(1, client)
        .Bind(2, technician_only)
        .Bind(3, query.state)
        .Bind(4, query.before_time);
    select->Bind(5, query.before_id.empty() && query.before_time == INT64_MAX
                        ? std::string_view("\xff")
                        : std::string_view(query.before_id));
    select->Bind(6, static_cast<int64_t>(query.limit));
    std::vector<GrantView> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      std::string canonical(select->ColumnText(0));
      auto request = access::ParseCanonicalRequest(canonical);
      auto progress = access::ProgressFromJson(select->ColumnText(1));
      if (!request.ok() || !progress.ok()) return DataLossError("a stored grant is malformed");
      out.push_back({std::move(*request), std::move(*progress), std::move(canonical)});
    }
    return out;
  });
}

StatusOr<GrantView> Grants::GetGrant(const Actor& actor, const std::string& client,
                                     const std::string& grant_id) {
  return committer_.Write([&](store::Database& db) -> StatusOr<GrantView> {
    ASSIGN_OR_RETURN(std::string technician_only, VisibleTechnicianIn(db, actor, client));
    ASSIGN_OR_RETURN(Grant grant, LoadGrant(db, client, grant_id));
    if (!technician_only.empty() && grant.request().technician != technician_only)
      return NotFoundError("no such grant");
    return GrantView{grant.request(), grant.progress(), grant.canonical_request()};
  });
}

StatusOr<int> Grants::ExpireStale() {
  const int64_t now = committer_.clock().NowUnixSeconds();
  using Stale = std::vector<std::pair<std::string, std::string>>;
  ASSIGN_OR_RETURN(Stale stale, committer_.Write([&](store::Database& db) -> StatusOr<Stale> {
    ASSIGN_OR_RETURN(
        auto select,
        db.Prepare("SELECT client, id FROM grants WHERE state = 'pending' AND requested_at <= ?"));
    select->Bind(1, now - access::kRequestLifetimeSeconds);
    Stale found;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      found.emplace_back(std::string(select->ColumnText(0)), std::string(select->ColumnText(1)));
    }
    return found;
  }));
  for (const auto& [client, id] : stale) {
    RETURN_IF_ERROR(Update(client, id, [&](Grant& grant, int64_t, auto& events) {
      grant.ExpireIfStale(now, events);
      return Status::Ok();
    }));
  }
  return static_cast<int>(stale.size());
}

}  // namespace quartet::governance

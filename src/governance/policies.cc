#include "governance/policies.h"

#include "access/local_time.h"
#include "base/bytes.h"
#include "governance/event.h"

namespace quartet::governance {

StatusOr<access::Policy> Policies::Load(store::Database& db, const std::string& client) {
  ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT policy FROM clients WHERE tenant = ?"));
  select->Bind(1, client);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return NotFoundError("no such client");
  ASSIGN_OR_RETURN(const trust::Chain chain, trust_.Load(db, client));
  const std::string_view text =
      chain.state().policy.empty() ? select->ColumnText(0) : std::string_view(chain.state().policy);
  MutexLock lock(cache_mu_);
  auto cached = cache_.find(client);
  if (cached == cache_.end() || cached->second.text != text) {
    auto policy = access::PolicyFromJson(text);
    if (!policy.ok()) return DataLossError("stored policy of '" + client + "' is malformed");
    cached =
        cache_.insert_or_assign(client, ParsedPolicy{std::string(text), *std::move(policy)}).first;
  }
  return cached->second.policy;
}

StatusOr<access::Policy> Policies::GetPolicy(const Actor& actor, const std::string& client) {
  return committer_.Write([&](store::Database& db) -> StatusOr<access::Policy> {
    if (!IsProviderRole(actor.role) && actor.client != client)
      return NotFoundError("no such client");
    if (IsProviderRole(actor.role) && actor.role != Role::kProviderAdmin) {
      ASSIGN_OR_RETURN(bool related, IsRelated(db, client, actor.user));
      if (!related) return NotFoundError("no such client");
    }
    return Load(db, client);
  });
}

Status Policies::RequireUnchained(store::Database& db, const std::string& client) {
  ASSIGN_OR_RETURN(const trust::Chain chain, trust_.Load(db, client));
  if (chain.state().size == 0) return Status::Ok();
  return FailedPreconditionError(
      "the client's policy is signed by its owners in the trust chain: sign the new one with "
      "'quartet policy sign' (a proposal with --proposal ID)");
}

Status Policies::ChangePolicy(const Actor& actor, const std::string& client,
                              const access::Policy& policy) {
  if (actor.role != Role::kOwner || actor.client != client)
    return Forbidden("only the client's owner changes its policy");
  RETURN_IF_ERROR(policy.Validate());
  RETURN_IF_ERROR(access::ToLocalTime(0, policy.time_zone).status());
  const int64_t now = committer_.clock().NowUnixSeconds();
  return committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    RETURN_IF_ERROR(RequireUnchained(scope.db, client));
    ASSIGN_OR_RETURN(
        auto update,
        scope.db.Prepare("UPDATE clients SET policy = ?, time_zone = ? WHERE tenant = ?"));
    const std::string json = access::ToJson(policy);
    update->Bind(1, json).Bind(2, policy.time_zone).Bind(3, client);
    RETURN_IF_ERROR(update->Run());
    scope.events.push_back(
        Event("policy.changed", client, now, {{"policy", json}, {"by", actor.user}}));
    return Status::Ok();
  });
}

StatusOr<std::string> Policies::ProposePolicy(const Actor& actor, const std::string& client,
                                              const access::Policy& policy,
                                              const std::string& note) {
  if (!IsProviderRole(actor.role))
    return Forbidden("policy proposals come from the provider; owners change it directly");
  RETURN_IF_ERROR(policy.Validate());
  RETURN_IF_ERROR(access::ToLocalTime(0, policy.time_zone).status());
  if (note.size() > 1000) return InvalidArgumentError("a note must be at most 1,000 characters");
  Bytes id_bytes(8);
  committer_.random().Fill(id_bytes);
  const std::string id = "p-" + HexEncode(id_bytes);
  const int64_t now = committer_.clock().NowUnixSeconds();
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    if (actor.role != Role::kProviderAdmin) {
      ASSIGN_OR_RETURN(bool related, IsRelated(scope.db, client, actor.user));
      if (!related) return NotFoundError("no such client");
    }
    RETURN_IF_ERROR(RequireClient(scope.db, client));
    ASSIGN_OR_RETURN(
        auto insert,
        scope.db.Prepare(
            "INSERT INTO policy_proposals (client, id, policy, proposed_by) VALUES (?, ?, ?, ?)"));
    const std::string json = access::ToJson(policy);
    insert->Bind(1, client).Bind(2, id).Bind(3, json).Bind(4, actor.user);
    RETURN_IF_ERROR(insert->Run());
    scope.events.push_back(
        Event("policy.proposed", client, now,
              {{"proposal", id}, {"policy", json}, {"by", actor.user}, {"note", note}}));
    return Status::Ok();
  }));
  return id;
}

StatusOr<std::vector<Policies::PolicyProposal>> Policies::ListProposals(const Actor& actor,
                                                                        const std::string& client) {
  return committer_.Write([&](store::Database& db) -> StatusOr<std::vector<PolicyProposal>> {
    RETURN_IF_ERROR(VisibleTechnicianIn(db, actor, client).status());
    ASSIGN_OR_RETURN(auto select,
                     db.Prepare("SELECT id, proposed_by, policy FROM policy_proposals WHERE "
                                "client = ? AND state = 'open' ORDER BY rowid"));
    select->Bind(1, client);
    std::vector<PolicyProposal> proposals;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      ASSIGN_OR_RETURN(access::Policy policy, access::PolicyFromJson(select->ColumnText(2)));
      proposals.push_back({std::string(select->ColumnText(0)), std::string(select->ColumnText(1)),
                           std::move(policy)});
    }
    return proposals;
  });
}

Status Policies::AcceptProposal(const Actor& actor, const std::string& client,
                                const std::string& proposal) {
  if (actor.role != Role::kOwner || actor.client != client)
    return Forbidden("only the client's owner accepts a proposal");
  const int64_t now = committer_.clock().NowUnixSeconds();
  return committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    RETURN_IF_ERROR(RequireUnchained(scope.db, client));
    ASSIGN_OR_RETURN(
        auto select,
        scope.db.Prepare(
            "SELECT policy FROM policy_proposals WHERE client = ? AND id = ? AND state = 'open'"));
    select->Bind(1, client).Bind(2, proposal);
    ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) return NotFoundError("no open proposal with that id");
    const std::string json(select->ColumnText(0));
    select.Release();
    ASSIGN_OR_RETURN(access::Policy policy, access::PolicyFromJson(json));
    ASSIGN_OR_RETURN(auto close, scope.db.Prepare("UPDATE policy_proposals SET state = 'accepted' "
                                                  "WHERE client = ? AND id = ?"));
    close->Bind(1, client).Bind(2, proposal);
    RETURN_IF_ERROR(close->Run());
    ASSIGN_OR_RETURN(
        auto update,
        scope.db.Prepare("UPDATE clients SET policy = ?, time_zone = ? WHERE tenant = ?"));
    update->Bind(1, json).Bind(2, policy.time_zone).Bind(3, client);
    RETURN_IF_ERROR(update->Run());
    scope.events.push_back(Event("policy.changed", client, now,
                                 {{"policy", json}, {"by", actor.user}, {"proposal", proposal}}));
    return Status::Ok();
  });
}

}  // namespace quartet::governance

#include "governance/trust_statements.h"

#include "access/policy.h"
#include "governance/event.h"

namespace quartet::governance {
namespace {

StatusOr<std::vector<std::string>> ReadStatements(store::Database& db, const std::string& client) {
  ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT statement FROM trust_statements WHERE client = "
                                           "? ORDER BY seq"));
  select->Bind(1, client);
  std::vector<std::string> statements;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    statements.emplace_back(select->ColumnText(0));
  }
  return statements;
}

StatusOr<std::vector<TrustStatements::Acknowledgement>> ReadAcknowledgements(
    store::Database& db, const std::string& client) {
  ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT seq, acknowledged_by, acknowledged_at FROM "
                                           "trust_recovery_acknowledgements WHERE client = ? ORDER "
                                           "BY seq"));
  select->Bind(1, client);
  std::vector<TrustStatements::Acknowledgement> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    out.push_back({static_cast<uint64_t>(select->ColumnInt(0)), std::string(select->ColumnText(1)),
                   select->ColumnInt(2)});
  }
  return out;
}

// What the owners hear when the recovery key was used: it replaced every device.
OwnerNotice RecoveryNotice(const std::string& client, uint64_t seq,
                           const trust::ChainState& state) {
  std::string owner, key_id;
  for (const auto& [name, devices] : state.owners) {
    owner = name;
    if (!devices.empty()) key_id = devices.begin()->first;
  }
  const std::string subject = "[Quartet] The recovery key of " + client + "'s trust chain was used";
  const std::string body =
      "The recovery key of " + client + "'s trust chain was used: every device that approved for " +
      client + " was removed, and one new device of " + owner + " (key " + key_id +
      ") put in their place.\n\nIf this was you, acknowledge it in the dashboard. If it was "
      "not, someone else held the recovery key and now holds the only device that approves for " +
      client + ": tell your other owners, and approve nothing until you know who did it.\n";
  const Json payload = {{"event", "trust.recovered"},
                        {"client", client},
                        {"seq", seq},
                        {"owner", owner},
                        {"key_id", key_id}};
  return OwnerNotice{subject, body, CanonicalJsonOf(payload)};
}

}  // namespace

StatusOr<trust::Chain> TrustStatements::Load(store::Database& db, const std::string& client) {
  ASSIGN_OR_RETURN(std::vector<std::string> statements, ReadStatements(db, client));
  return Replay(client, statements);
}

StatusOr<trust::Chain> TrustStatements::Replay(const std::string& client,
                                               std::span<const std::string> statements) {
  std::optional<Replayed> cached;
  {
    MutexLock lock(chains_mu_);
    if (auto it = chains_.find(client); it != chains_.end()) cached = it->second;
  }
  // The chain replayed before goes on from where it was, if the stored statements still end its
  // prefix with the statement it ended with; otherwise everything is replayed, every signature
  // checked.
  std::optional<trust::Chain> chain;
  if (cached.has_value() && cached->chain.state().size <= statements.size()) {
    const uint64_t size = cached->chain.state().size;
    if (size == 0 || statements[size - 1] == cached->last) {
      chain = std::move(cached->chain);
      for (size_t i = size; i < statements.size(); ++i) {
        if (!chain->Apply(statements[i]).ok()) {
          chain.reset();
          break;
        }
      }
    }
  }
  if (!chain.has_value()) {
    auto replayed = trust::Chain::Replay(client, statements);
    if (!replayed.ok())
      return DataLossError("the stored trust chain of '" + client +
                           "' does not replay: " + replayed.status().message());
    chain = *std::move(replayed);
  }
  MutexLock lock(chains_mu_);
  chains_.insert_or_assign(
      client, Replayed{*chain, statements.empty() ? std::string() : statements.back()});
  return *std::move(chain);
}

StatusOr<trust::ChainState> TrustStatements::Submit(const Actor& actor, const std::string& client,
                                                    const std::string& statement) {
  if (statement.size() > 32 * 1024)
    return InvalidArgumentError("a trust statement is at most 32 KiB");
  const int64_t now = committer_.clock().NowUnixSeconds();
  trust::ChainState after;
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    RETURN_IF_ERROR(VisibleTechnicianIn(scope.db, actor, client).status());
    ASSIGN_OR_RETURN(trust::Chain chain, Load(scope.db, client));
    // Who founds the chain is the one thing its signatures cannot say: the server takes a genesis
    // from the client's owners only, and the agent pins the founding key it was given by the
    // owner (docs/trust-chain.md).
    if (chain.state().size == 0 && (actor.role != Role::kOwner || actor.client != client))
      return Forbidden("only an owner of the client starts its trust chain");
    RETURN_IF_ERROR(chain.Apply(statement));
    const uint64_t seq = chain.state().size - 1;
    ASSIGN_OR_RETURN(auto insert, scope.db.Prepare("INSERT INTO trust_statements (client, seq, "
                                                   "statement) VALUES (?, ?, ?)"));
    insert->Bind(1, client).Bind(2, static_cast<int64_t>(seq)).Bind(3, statement);
    RETURN_IF_ERROR(insert->Run());
    ASSIGN_OR_RETURN(trust::Statement parsed, trust::Statement::Parse(statement));
    if (parsed.kind == "policy.signed") {
      // The signed policy is in force (Policies::Load reads it from the chain); the stored copy
      // and the proposals follow, for those who read them.
      ASSIGN_OR_RETURN(const access::Policy policy, access::PolicyFromJson(chain.state().policy));
      ASSIGN_OR_RETURN(
          auto update,
          scope.db.Prepare("UPDATE clients SET policy = ?, time_zone = ? WHERE tenant = ?"));
      update->Bind(1, chain.state().policy).Bind(2, policy.time_zone).Bind(3, client);
      RETURN_IF_ERROR(update->Run());
      ASSIGN_OR_RETURN(auto close,
                       scope.db.Prepare("UPDATE policy_proposals SET state = 'accepted' WHERE "
                                        "client = ? AND state = 'open' AND policy = ?"));
      close->Bind(1, client).Bind(2, chain.state().policy);
      RETURN_IF_ERROR(close->Run());
    }
    scope.events.push_back(Event("trust.statement", client, now,
                                 {{"seq", seq},
                                  {"statement_kind", parsed.kind},
                                  {"statement", statement},
                                  {"by", actor.user}}));
    if (parsed.kind == "recovered")
      scope.notices.push_back(RecoveryNotice(client, seq, chain.state()));
    after = chain.state();
    return Status::Ok();
  }));
  return after;
}

StatusOr<TrustStatements::View> TrustStatements::Get(const Actor& actor,
                                                     const std::string& client) {
  return committer_.Write([&](store::Database& db) -> StatusOr<View> {
    RETURN_IF_ERROR(VisibleTechnicianIn(db, actor, client).status());
    View view;
    ASSIGN_OR_RETURN(view.statements, ReadStatements(db, client));
    ASSIGN_OR_RETURN(trust::Chain chain, Replay(client, view.statements));
    view.state = chain.state();
    ASSIGN_OR_RETURN(view.acknowledgements, ReadAcknowledgements(db, client));
    return view;
  });
}

StatusOr<TrustStatements::Acknowledgement> TrustStatements::AcknowledgeRecovery(
    const Actor& actor, const std::string& client, uint64_t seq) {
  const int64_t now = committer_.clock().NowUnixSeconds();
  Acknowledgement acknowledged{seq, actor.user, now};
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    RETURN_IF_ERROR(VisibleTechnicianIn(scope.db, actor, client).status());
    if (actor.role != Role::kOwner || actor.client != client)
      return Forbidden("only the client's owners acknowledge a recovery");
    ASSIGN_OR_RETURN(std::vector<std::string> statements, ReadStatements(scope.db, client));
    const bool recovered = seq < statements.size() && [&] {
      auto parsed = trust::Statement::Parse(statements[seq]);
      return parsed.ok() && parsed->kind == "recovered";
    }();
    if (!recovered)
      return NotFoundError("no use of the recovery key at that position of the chain");
    ASSIGN_OR_RETURN(std::vector<Acknowledgement> known, ReadAcknowledgements(scope.db, client));
    for (const Acknowledgement& earlier : known) {
      if (earlier.seq == seq) {
        acknowledged = earlier;
        return Status::Ok();
      }
    }
    ASSIGN_OR_RETURN(auto insert,
                     scope.db.Prepare("INSERT INTO trust_recovery_acknowledgements (client, seq, "
                                      "acknowledged_by, acknowledged_at) VALUES (?, ?, ?, ?)"));
    insert->Bind(1, client).Bind(2, static_cast<int64_t>(seq)).Bind(3, actor.user).Bind(4, now);
    RETURN_IF_ERROR(insert->Run());
    scope.events.push_back(
        Event("trust.recovery_acknowledged", client, now, {{"seq", seq}, {"by", actor.user}}));
    return Status::Ok();
  }));
  return acknowledged;
}

}  // namespace quartet::governance

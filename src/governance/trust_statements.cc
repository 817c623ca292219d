#include "governance/trust_statements.h"

#include "access/policy.h"
#include "governance/agent_service.h"
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

std::string PendingId(std::string_view body) {
  return HexEncode(Sha256::Of(AsBytes(body))).substr(0, 16);
}

// What the kinds change, in words for an owner's e-mail.
std::string KindInWords(std::string_view kind) {
  if (kind == "policy.signed") return "a new policy";
  if (kind == "resource.signed") return "what a resource holds";
  if (kind == "agent.confirmed") return "the client's agent";
  if (kind == "owner.added") return "a new owner";
  if (kind == "owner.removed") return "the removal of an owner";
  if (kind == "threshold.set") return "how many owners must sign a change";
  if (kind == "device.added") return "a new device of an owner";
  if (kind == "device.removed") return "the removal of an owner's device";
  return std::string(kind);
}

// What the owners hear when a change waits for their signatures.
OwnerNotice SignatureNotice(const std::string& client, const std::string& by,
                            const TrustStatements::Pending& pending) {
  const std::string subject = "[Quartet] A change for " + client + " waits for your signature";
  const std::string body =
      by + " signed " + KindInWords(pending.kind) + " for " + client + ". It takes effect when " +
      std::to_string(pending.threshold) + " owners have signed it; " +
      std::to_string(pending.signed_by.size()) +
      " have.\n\nIf you agree, open the dashboard (People and devices) and sign it there, or run "
      "'quartet trust pending' and 'quartet trust sign'. If you do not, sign nothing: it counts "
      "for nothing without you.\n";
  const Json payload = {
      {"event", "trust.signature_added"}, {"client", client}, {"id", pending.id},
      {"statement_kind", pending.kind},   {"by", by},         {"signed_by", pending.signed_by},
      {"threshold", pending.threshold}};
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

StatusOr<TrustStatements::Submitted> TrustStatements::Submit(const Actor& actor,
                                                             const std::string& client,
                                                             const std::string& statement) {
  if (statement.size() > 32 * 1024)
    return InvalidArgumentError("a trust statement is at most 32 KiB");
  const int64_t now = committer_.clock().NowUnixSeconds();
  Submitted submitted;
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    RETURN_IF_ERROR(VisibleTechnicianIn(scope.db, actor, client).status());
    ASSIGN_OR_RETURN(trust::Chain chain, Load(scope.db, client));
    const bool owner = actor.role == Role::kOwner && actor.client == client;
    // Who founds the chain is the one thing its signatures cannot say: the server takes a genesis
    // from the client's owners only, and the agent pins the founding key it was given by the
    // owner (docs/trust-chain.md).
    if (chain.state().size == 0 && !owner)
      return Forbidden("only an owner of the client starts its trust chain");
    RETURN_IF_ERROR(DropStalePending(scope.db, client, chain.state().size));
    // The signatures an earlier submission of the same body gathered count with these.
    std::string merged = statement;
    std::optional<Pending> earlier;
    if (auto parsed = trust::Statement::Parse(statement); parsed.ok()) {
      ASSIGN_OR_RETURN(earlier, FindPending(scope.db, chain, PendingId(parsed->body)));
      if (earlier.has_value()) {
        ASSIGN_OR_RETURN(merged, trust::MergeSignatures(earlier->statement, statement));
      }
    }
    Status applied = chain.Apply(merged);
    if (!applied.ok()) {
      auto collecting = chain.CheckCollecting(merged);
      if (!collecting.ok() || collecting->complete) return applied;
      if (!owner) return Forbidden("only the client's owners gather signatures for its chain");
      ASSIGN_OR_RETURN(submitted.pending, KeepPending(scope, actor, chain, merged, earlier, now));
      submitted.state = chain.state();
      return Status::Ok();
    }
    const uint64_t seq = chain.state().size - 1;
    ASSIGN_OR_RETURN(auto insert, scope.db.Prepare("INSERT INTO trust_statements (client, seq, "
                                                   "statement) VALUES (?, ?, ?)"));
    insert->Bind(1, client).Bind(2, static_cast<int64_t>(seq)).Bind(3, merged);
    RETURN_IF_ERROR(insert->Run());
    RETURN_IF_ERROR(DropStalePending(scope.db, client, chain.state().size));
    ASSIGN_OR_RETURN(trust::Statement parsed, trust::Statement::Parse(merged));
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
                                  {"statement", merged},
                                  {"by", actor.user}}));
    // The agent the owners confirmed in place of another takes its place now.
    if (parsed.kind == "agent.confirmed")
      RETURN_IF_ERROR(AgentService::PromoteReplacement(scope, chain.state(), now));
    if (parsed.kind == "recovered")
      scope.notices.push_back(RecoveryNotice(client, seq, chain.state()));
    submitted.state = chain.state();
    return Status::Ok();
  }));
  return submitted;
}

StatusOr<std::optional<TrustStatements::Pending>> TrustStatements::FindPending(
    store::Database& db, const trust::Chain& chain, const std::string& id) {
  ASSIGN_OR_RETURN(std::vector<Pending> pending, ReadPending(db, chain));
  for (Pending& waiting : pending) {
    if (waiting.id == id) return std::optional<Pending>(std::move(waiting));
  }
  return std::optional<Pending>();
}

StatusOr<std::vector<TrustStatements::Pending>> TrustStatements::ReadPending(
    store::Database& db, const trust::Chain& chain) {
  ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT id, statement, proposed_by, proposed_at FROM "
                                           "trust_pending WHERE client = ? AND seq = ? ORDER BY "
                                           "proposed_at, id"));
  select->Bind(1, chain.state().client).Bind(2, static_cast<int64_t>(chain.state().size));
  std::vector<Pending> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    Pending pending;
    pending.id = std::string(select->ColumnText(0));
    pending.statement = std::string(select->ColumnText(1));
    pending.proposed_by = std::string(select->ColumnText(2));
    pending.proposed_at = select->ColumnInt(3);
    // What the chain says of it now; one it no longer takes is not offered for signing.
    auto collecting = chain.CheckCollecting(pending.statement);
    auto parsed = trust::Statement::Parse(pending.statement);
    if (!collecting.ok() || !parsed.ok()) continue;
    pending.kind = parsed->kind;
    pending.seq = parsed->seq;
    pending.signed_by.assign(collecting->owners.begin(), collecting->owners.end());
    pending.threshold = collecting->threshold;
    out.push_back(std::move(pending));
  }
  return out;
}

Status TrustStatements::DropStalePending(store::Database& db, const std::string& client,
                                         uint64_t size) {
  ASSIGN_OR_RETURN(auto drop,
                   db.Prepare("DELETE FROM trust_pending WHERE client = ? AND seq <> ?"));
  drop->Bind(1, client).Bind(2, static_cast<int64_t>(size));
  return drop->Run();
}

StatusOr<TrustStatements::Pending> TrustStatements::KeepPending(
    ChangeScope& scope, const Actor& actor, const trust::Chain& chain, const std::string& statement,
    const std::optional<Pending>& earlier, int64_t now) {
  const std::string& client = chain.state().client;
  ASSIGN_OR_RETURN(trust::Statement parsed, trust::Statement::Parse(statement));
  ASSIGN_OR_RETURN(trust::Chain::Collecting collecting, chain.CheckCollecting(statement));
  Pending pending{PendingId(parsed.body),
                  statement,
                  parsed.kind,
                  parsed.seq,
                  earlier.has_value() ? earlier->proposed_by : actor.user,
                  earlier.has_value() ? earlier->proposed_at : now,
                  {collecting.owners.begin(), collecting.owners.end()},
                  collecting.threshold};
  if (!earlier.has_value()) {
    ASSIGN_OR_RETURN(auto count,
                     scope.db.Prepare("SELECT count(*) FROM trust_pending WHERE client = ?"));
    count->Bind(1, client);
    ASSIGN_OR_RETURN(bool row, count->Step());
    if (row && count->ColumnInt(0) >= kMaxPending)
      return FailedPreconditionError(
          "too many changes wait for signatures: sign or let go of those first");
  }
  ASSIGN_OR_RETURN(auto upsert,
                   scope.db.Prepare("INSERT INTO trust_pending (client, id, seq, statement, "
                                    "proposed_by, proposed_at) VALUES (?, ?, ?, ?, ?, ?) ON "
                                    "CONFLICT (client, id) DO UPDATE SET statement = "
                                    "excluded.statement"));
  upsert->Bind(1, client)
      .Bind(2, pending.id)
      .Bind(3, static_cast<int64_t>(pending.seq))
      .Bind(4, statement)
      .Bind(5, pending.proposed_by)
      .Bind(6, pending.proposed_at);
  RETURN_IF_ERROR(upsert->Run());
  scope.events.push_back(Event("trust.signature_added", client, now,
                               {{"seq", pending.seq},
                                {"id", pending.id},
                                {"statement_kind", pending.kind},
                                {"by", actor.user},
                                {"signed_by", pending.signed_by},
                                {"threshold", pending.threshold}}));
  scope.notices.push_back(SignatureNotice(client, actor.user, pending));
  return pending;
}

StatusOr<std::vector<TrustStatements::Pending>> TrustStatements::ListPending(
    const Actor& actor, const std::string& client) {
  return committer_.Write([&](store::Database& db) -> StatusOr<std::vector<Pending>> {
    RETURN_IF_ERROR(VisibleTechnicianIn(db, actor, client).status());
    ASSIGN_OR_RETURN(trust::Chain chain, Load(db, client));
    return ReadPending(db, chain);
  });
}

StatusOr<TrustStatements::View> TrustStatements::Get(const Actor& actor, const std::string& client,
                                                     bool pending) {
  return committer_.Write([&](store::Database& db) -> StatusOr<View> {
    RETURN_IF_ERROR(VisibleTechnicianIn(db, actor, client).status());
    View view;
    ASSIGN_OR_RETURN(view.statements, ReadStatements(db, client));
    ASSIGN_OR_RETURN(trust::Chain chain, Replay(client, view.statements));
    view.state = chain.state();
    ASSIGN_OR_RETURN(view.acknowledgements, ReadAcknowledgements(db, client));
    if (pending) {
      ASSIGN_OR_RETURN(view.pending, ReadPending(db, chain));
    }
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

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

}  // namespace

StatusOr<trust::Chain> TrustStatements::Load(store::Database& db, const std::string& client) {
  ASSIGN_OR_RETURN(std::vector<std::string> statements, ReadStatements(db, client));
  return Replay(client, statements);
}

StatusOr<trust::Chain> TrustStatements::Replay(const std::string& client,
                                               std::span<const std::string> statements) {
  std::optional<trust::Chain> cached;
  {
    MutexLock lock(chains_mu_);
    if (auto it = chains_.find(client); it != chains_.end()) cached = it->second;
  }
  // The chain replayed before goes on from where it was, if the stored statements still end its
  // prefix where it ended; otherwise everything is replayed, every signature checked.
  std::optional<trust::Chain> chain;
  if (cached.has_value() && cached->state().size <= statements.size()) {
    const uint64_t size = cached->state().size;
    if (size == 0 || Sha256::Of(statements[size - 1]) == cached->state().head) {
      chain = std::move(cached);
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
  chains_.insert_or_assign(client, *chain);
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
    return view;
  });
}

}  // namespace quartet::governance

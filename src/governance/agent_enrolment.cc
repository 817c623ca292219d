#include <algorithm>

#include "governance/agent_service.h"
#include "governance/event.h"
#include "identity/token.h"
#include "ledger/note.h"
#include "ssh/key.h"
#include "store/sqlite_log_store.h"
#include "vault/sealing_key.h"

namespace quartet::governance {

namespace {

bool IsPrintableName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// One agent's row in `table`: `agents`, or `agent_replacements` (the same columns).
Status PutAgentRow(store::Database& db, std::string_view table, const std::string& client,
                   const std::string& name, const AgentKeyTexts& keys, ByteView token_digest,
                   int64_t enrolled_at) {
  ASSIGN_OR_RETURN(auto insert,
                   db.Prepare("INSERT OR REPLACE INTO " + std::string(table) +
                              " (client, name, witness_key, ssh_ca_key, sealing_key, "
                              "token_digest, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  insert->Bind(1, client)
      .Bind(2, name)
      .Bind(3, keys.witness_key)
      .Bind(4, keys.ssh_ca_key)
      .Bind(5, keys.sealing_key)
      .BindBlob(6, token_digest)
      .Bind(7, enrolled_at);
  return insert->Run();
}

// What the log says of an agent it names: its name, keys and CA fingerprint.
Json AgentFields(const std::string& name, const AgentKeyTexts& keys, const ssh::PublicKey& ca) {
  Json fields = {{"name", name},
                 {"witness_key", keys.witness_key},
                 {"ssh_ca_key", ssh::FormatPublicKey(ca, "")},
                 {"ssh_ca_fingerprint", ssh::Fingerprint(ca)}};
  if (!keys.sealing_key.empty()) fields["sealing_key"] = keys.sealing_key;
  return fields;
}

bool SameAgent(const trust::AgentIdentity& confirmed, const AgentKeyTexts& keys) {
  return confirmed.witness_key == keys.witness_key && confirmed.ssh_ca_key == keys.ssh_ca_key &&
         confirmed.sealing_key == keys.sealing_key;
}

}  // namespace

StatusOr<std::string> AgentService::CreateEnrolmentCode(const Actor& actor,
                                                        const std::string& client) {
  if (actor.role == Role::kOwner && actor.client != client) return NotFoundError("no such client");
  if (actor.role != Role::kOwner)
    return PermissionDeniedError("only an owner of the client enrols its agent");
  const identity::IssuedToken code = identity::NewToken(random_, "qe_");
  const int64_t now = clock_.NowUnixSeconds();
  const int64_t expires_at = now + kEnrolmentCodeSeconds;
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(
        auto insert,
        scope.db.Prepare(
            "INSERT INTO agent_enrolment_codes (digest, client, created_by, expires_at) "
            "VALUES (?, ?, ?, ?)"));
    insert->BindBlob(1, code.digest).Bind(2, client).Bind(3, actor.user).Bind(4, expires_at);
    RETURN_IF_ERROR(insert->Run());
    scope.events.push_back(
        Event("agent.invited", client, now, {{"by", actor.user}, {"expires_at", expires_at}}));
    return Status::Ok();
  }));
  return code.token;
}

StatusOr<AgentService::Enrolment> AgentService::Enrol(std::string_view code,
                                                      const std::string& name,
                                                      const AgentKeyTexts& offered) {
  if (!IsPrintableName(name))
    return InvalidArgumentError("an agent needs a name of 1 to 64 printable characters");
  ASSIGN_OR_RETURN(ledger::NoteVerifier witness, ledger::NoteVerifier::Parse(offered.witness_key));
  if (witness.type() != ledger::SignatureType::kCosignatureV1) {
    return InvalidArgumentError("the witness key must be a tlog-cosignature/v1 key");
  }
  ASSIGN_OR_RETURN(ssh::PublicKey ca, ssh::ParsePublicKey(offered.ssh_ca_key));
  if (!offered.sealing_key.empty())
    RETURN_IF_ERROR(vault::ParseSealingKey(offered.sealing_key).status());
  const AgentKeyTexts keys{offered.witness_key, ssh::FormatPublicKey(ca, ""), offered.sealing_key};
  const Hash digest = identity::TokenDigest(code);
  const int64_t now = clock_.NowUnixSeconds();
  std::string client;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(auto select,
                     db_->Prepare("SELECT client FROM agent_enrolment_codes WHERE digest = ? AND "
                                  "used = 0 AND expires_at > ?"));
    select->BindBlob(1, digest).Bind(2, now);
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (row) client = std::string(select->ColumnText(0));
  }
  if (client.empty()) return UnauthenticatedError("unknown, used or expired enrolment code");
  ASSIGN_OR_RETURN(ledger::LogConfig log, folder_.logs().GetLog(client));
  const identity::IssuedToken token = identity::NewToken(random_, "qa_");
  std::string replaces;
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    // Spent in the same transaction that enrols, so that a code enrols at most one agent.
    ASSIGN_OR_RETURN(
        auto spend, scope.db.Prepare(
                        "UPDATE agent_enrolment_codes SET used = 1 WHERE digest = ? AND used = 0"));
    spend->BindBlob(1, digest);
    RETURN_IF_ERROR(spend->Run());
    if (sqlite3_changes(scope.db.handle()) == 0)
      return UnauthenticatedError("unknown, used or expired enrolment code");
    // Once the owners confirmed an agent in the client's trust chain, the server does not put
    // another in its place (that agent could be the provider's, with a CA of its own): the new one
    // waits for the owners to confirm it.
    ASSIGN_OR_RETURN(const trust::Chain chain, trust_.Load(scope.db, client));
    const std::optional<trust::AgentIdentity>& confirmed = chain.state().agent;
    const Json described = AgentFields(name, keys, ca);
    if (confirmed.has_value() && !SameAgent(*confirmed, keys)) {
      replaces = confirmed->name;
      RETURN_IF_ERROR(
          PutAgentRow(scope.db, "agent_replacements", client, name, keys, token.digest, now));
      Json fields = described;
      fields["replaces"] = replaces;
      scope.events.push_back(Event("agent.replacement_enrolled", client, now, fields));
      return Status::Ok();
    }
    RETURN_IF_ERROR(PutAgentRow(scope.db, "agents", client, name,
                                {keys.witness_key, offered.ssh_ca_key, keys.sealing_key},
                                token.digest, now));
    RETURN_IF_ERROR(
        store::SqliteLogStore::SetWitnessInTransaction(scope.db, client, keys.witness_key));
    scope.events.push_back(Event("agent.enrolled", client, now, described));
    return Status::Ok();
  }));
  return Enrolment{client, token.token, log.verifier_key, log.origin, replaces};
}

StatusOr<AgentService::Caller> AgentService::AuthenticateAgent(std::string_view token) {
  const Hash digest = identity::TokenDigest(token);
  MutexLock lock(mu_);
  for (const bool waiting : {false, true}) {
    ASSIGN_OR_RETURN(auto select,
                     db_->Prepare(waiting ? "SELECT client FROM agent_replacements WHERE "
                                            "token_digest = ?"
                                          : "SELECT client FROM agents WHERE token_digest = ?"));
    select->BindBlob(1, digest);
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (row) return Caller{std::string(select->ColumnText(0)), waiting};
  }
  return UnauthenticatedError("unknown agent token");
}

Status AgentService::PromoteReplacement(ChangeScope& scope, const trust::ChainState& state,
                                        int64_t now) {
  if (!state.agent.has_value()) return Status::Ok();
  ASSIGN_OR_RETURN(auto select,
                   scope.db.Prepare("SELECT name, witness_key, ssh_ca_key, sealing_key, "
                                    "token_digest FROM agent_replacements WHERE client = ?"));
  select->Bind(1, state.client);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return Status::Ok();
  const std::string name(select->ColumnText(0));
  const AgentKeyTexts keys{std::string(select->ColumnText(1)), std::string(select->ColumnText(2)),
                           std::string(select->ColumnText(3))};
  const ByteView blob = select->ColumnBlob(4);
  const Bytes token_digest(blob.begin(), blob.end());
  select.Release();
  if (!SameAgent(*state.agent, keys)) return Status::Ok();
  const std::string& witness_key = keys.witness_key;
  ASSIGN_OR_RETURN(auto ca, ssh::ParsePublicKey(keys.ssh_ca_key));
  RETURN_IF_ERROR(PutAgentRow(scope.db, "agents", state.client, name, keys, token_digest, now));
  ASSIGN_OR_RETURN(auto drop, scope.db.Prepare("DELETE FROM agent_replacements WHERE client = ?"));
  drop->Bind(1, state.client);
  RETURN_IF_ERROR(drop->Run());
  RETURN_IF_ERROR(
      store::SqliteLogStore::SetWitnessInTransaction(scope.db, state.client, witness_key));
  Json fields = AgentFields(name, keys, ca);
  fields["replaces"] = state.previous_agent.has_value() ? state.previous_agent->name : "";
  scope.events.push_back(Event("agent.enrolled", state.client, now, fields));
  return Status::Ok();
}

}  // namespace quartet::governance

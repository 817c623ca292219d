// Reveals of the client's credentials (docs/credentials.md): a technician with a live
// `reveal-credential` grant asks; the client's agent, which alone can open the credential, checks
// the grant as it sees it in the log, and answers with the secret sealed to the technician's
// one-time key. The server relays sealed bytes both ways and logs the answer with it.
#include "base/json.h"
#include "governance/agent_service.h"
#include "governance/event.h"
#include "vault/sealing_key.h"

namespace quartet::governance {
namespace {

constexpr std::string_view kRevealColumns =
    "id, grant_id, technician, resource, name, public_key, state, version, sealed, reason, "
    "created_at";

RevealRequest RevealFromRow(const std::string& client, store::Statement& select) {
  RevealRequest request;
  request.client = client;
  request.id = std::string(select.ColumnText(0));
  request.grant = std::string(select.ColumnText(1));
  request.technician = std::string(select.ColumnText(2));
  request.resource = std::string(select.ColumnText(3));
  request.name = std::string(select.ColumnText(4));
  request.public_key = std::string(select.ColumnText(5));
  request.state = std::string(select.ColumnText(6));
  request.version = static_cast<uint64_t>(select.ColumnInt(7));
  request.sealed = std::string(select.ColumnText(8));
  request.reason = std::string(select.ColumnText(9));
  request.created_at = select.ColumnInt(10);
  return request;
}

}  // namespace

StatusOr<std::vector<RevealRequest>> AgentService::PendingReveals(const std::string& client) {
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare("SELECT r.id, r.grant_id, r.technician, r.resource, r.name, r.public_key, "
                   "r.state, c.version, '', '', r.created_at, c.enc, c.ciphertext, c.sealed_to, "
                   "c.commitment FROM reveal_requests r JOIN credentials c ON c.client = "
                   "r.client AND c.resource = r.resource AND c.name = r.name WHERE r.client = ? "
                   "AND r.state = 'pending' ORDER BY r.created_at, r.id LIMIT 100"));
  select->Bind(1, client);
  std::vector<RevealRequest> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    RevealRequest request = RevealFromRow(client, *select);
    const ByteView enc = select->ColumnBlob(11);
    if (enc.size() == request.credential.enc.size())
      std::copy(enc.begin(), enc.end(), request.credential.enc.begin());
    const ByteView ciphertext = select->ColumnBlob(12);
    request.credential.ciphertext.assign(ciphertext.begin(), ciphertext.end());
    request.credential.sealed_to = std::string(select->ColumnText(13));
    request.commitment = std::string(select->ColumnText(14));
    out.push_back(std::move(request));
  }
  return out;
}

StatusOr<RevealRequest> AgentService::LoadReveal(const std::string& client, const std::string& id) {
  ASSIGN_OR_RETURN(auto select, db_->Prepare("SELECT " + std::string(kRevealColumns) +
                                             " FROM reveal_requests WHERE client = ? AND id = ?"));
  select->Bind(1, client).Bind(2, id);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return NotFoundError("no such reveal request");
  return RevealFromRow(client, *select);
}

StatusOr<RevealRequest> AgentService::RequestReveal(const Actor& actor, const std::string& client,
                                                    const std::string& grant,
                                                    const std::string& name,
                                                    const std::string& public_key,
                                                    std::chrono::milliseconds wait) {
  ASSIGN_OR_RETURN(GrantView view, TechniciansGrant(actor, client, grant, "reveals under it"));
  const access::GrantRequest& r = view.request;
  if (r.action != access::Action::kRevealCredential)
    return FailedPreconditionError("the grant is not for revealing a credential");
  RETURN_IF_ERROR(CheckLive(view));
  const int64_t now = clock_.NowUnixSeconds();
  RETURN_IF_ERROR(vault::ParseSealingKey(public_key).status());
  std::string credential = name;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(AgentView agent, LoadAgent(client));
    if (!agent.enrolled) return FailedPreconditionError("the client has no agent to reveal it");
    ASSIGN_OR_RETURN(auto select, db_->Prepare("SELECT name FROM credentials WHERE client = ? AND "
                                               "resource = ? ORDER BY name"));
    select->Bind(1, client).Bind(2, r.resource);
    std::vector<std::string> names;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      names.emplace_back(select->ColumnText(0));
    }
    if (credential.empty()) {
      if (names.size() != 1)
        return names.empty()
                   ? NotFoundError("no credential is stored for " + r.resource)
                   : InvalidArgumentError(r.resource + " has several credentials: name one");
      credential = names.front();
    } else if (std::find(names.begin(), names.end(), credential) == names.end()) {
      return NotFoundError("no credential " + credential + " for " + r.resource);
    }
  }
  Bytes id_bytes(8);
  random_.Fill(id_bytes);
  const std::string id = "r" + HexEncode(id_bytes);
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(auto insert,
                     scope.db.Prepare("INSERT INTO reveal_requests (client, id, grant_id, "
                                      "technician, resource, name, public_key, created_at) VALUES "
                                      "(?, ?, ?, ?, ?, ?, ?, ?)"));
    insert->Bind(1, client)
        .Bind(2, id)
        .Bind(3, grant)
        .Bind(4, actor.user)
        .Bind(5, r.resource)
        .Bind(6, credential)
        .Bind(7, public_key)
        .Bind(8, now);
    return insert->Run();
  }));
  poll_.Notify();
  return GetRevealRequest(actor, client, id, wait);
}

StatusOr<RevealRequest> AgentService::GetRevealRequest(const Actor& actor,
                                                       const std::string& client,
                                                       const std::string& id,
                                                       std::chrono::milliseconds wait) {
  RETURN_IF_ERROR(permissions_.CheckCanSee(actor, client));
  RevealRequest request;
  RETURN_IF_ERROR(poll_.Wait(wait, wait, [&]() -> StatusOr<bool> {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(request, LoadReveal(client, id));
    if (request.technician != actor.user) return NotFoundError("no such reveal request");
    return request.state != "pending";
  }));
  return request;
}

Status AgentService::FulfilReveal(const std::string& client, const std::string& id,
                                  uint64_t version, const std::string& sealed) {
  RevealRequest request;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(request, LoadReveal(client, id));
  }
  if (request.state != "pending") return FailedPreconditionError("the request is " + request.state);
  ASSIGN_OR_RETURN(JsonDocument document, JsonDocument::Parse(sealed, "the sealed secret"));
  RETURN_IF_ERROR(document.root().OnlyFields({"enc", "ciphertext"}));
  for (const char* field : {"enc", "ciphertext"}) {
    ASSIGN_OR_RETURN(std::string text, document.root().Text(field, Field::kRequired));
    if (!Base64Decode(text).ok()) return InvalidArgumentError("the sealed secret is not base64");
  }
  return AnswerReveal(request, "revealed", CanonicalJsonOf(document.json()), version,
                      Event("credential.revealed", client, clock_.NowUnixSeconds(),
                            {{"grant", request.grant},
                             {"request", id},
                             {"technician", request.technician},
                             {"resource", request.resource},
                             {"name", request.name},
                             {"version", version}}));
}

Status AgentService::RefuseReveal(const std::string& client, const std::string& id,
                                  const std::string& reason) {
  RevealRequest request;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(request, LoadReveal(client, id));
  }
  if (request.state != "pending") return FailedPreconditionError("the request is " + request.state);
  const std::string text = reason.empty() ? std::string("refused") : reason.substr(0, 500);
  return AnswerReveal(request, "refused", text, 0,
                      Event("credential.reveal_refused", client, clock_.NowUnixSeconds(),
                            {{"grant", request.grant},
                             {"request", id},
                             {"technician", request.technician},
                             {"resource", request.resource},
                             {"name", request.name},
                             {"reason", text}}));
}

Status AgentService::AnswerReveal(const RevealRequest& request, const std::string& state,
                                  const std::string& text, uint64_t version,
                                  const std::string& event) {
  const int64_t now = clock_.NowUnixSeconds();
  RETURN_IF_ERROR(committer_.Commit(request.client, [&](ChangeScope& scope) -> Status {
    if (state == "revealed") {
      // The version revealed is the one stored now, and the credential says who holds it.
      ASSIGN_OR_RETURN(
          auto reveal,
          scope.db.Prepare("UPDATE credentials SET revealed_version = ?, revealed_to = ?, "
                           "revealed_grant = ?, revealed_at = ? WHERE client = ? AND resource = "
                           "? AND name = ? AND version = ?"));
      reveal->Bind(1, static_cast<int64_t>(version))
          .Bind(2, request.technician)
          .Bind(3, request.grant)
          .Bind(4, now)
          .Bind(5, request.client)
          .Bind(6, request.resource)
          .Bind(7, request.name)
          .Bind(8, static_cast<int64_t>(version));
      RETURN_IF_ERROR(reveal->Run());
      if (sqlite3_changes(scope.db.handle()) == 0)
        return FailedPreconditionError("the credential is no longer at version " +
                                       std::to_string(version));
    }
    ASSIGN_OR_RETURN(auto update,
                     scope.db.Prepare("UPDATE reveal_requests SET state = ?1, version = ?2, "
                                      "sealed = CASE ?1 WHEN 'revealed' THEN ?3 ELSE '' END, "
                                      "reason = CASE ?1 WHEN 'refused' THEN ?3 ELSE '' END "
                                      "WHERE client = ?4 AND id = ?5 AND state = 'pending'"));
    update->Bind(1, state)
        .Bind(2, static_cast<int64_t>(version))
        .Bind(3, text)
        .Bind(4, request.client)
        .Bind(5, request.id);
    RETURN_IF_ERROR(update->Run());
    if (sqlite3_changes(scope.db.handle()) == 0)
      return FailedPreconditionError("the request was answered already");
    scope.events.push_back(event);
    return Status::Ok();
  }));
  poll_.Notify();
  return Status::Ok();
}

}  // namespace quartet::governance

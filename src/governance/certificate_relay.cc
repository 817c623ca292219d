#include <algorithm>

#include "governance/agent_service.h"
#include "governance/event.h"
#include "ssh/certificate.h"
#include "ssh/key.h"

namespace quartet::governance {

StatusOr<std::vector<CertificateRequest>> AgentService::PendingRequests(const std::string& client) {
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare(
          "SELECT id, grant_id, technician, public_key, created_at FROM certificate_requests "
          "WHERE client = ? AND state = 'pending' ORDER BY created_at, id LIMIT 100"));
  select->Bind(1, client);
  std::vector<CertificateRequest> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    CertificateRequest request;
    request.id = std::string(select->ColumnText(0));
    request.client = client;
    request.grant = std::string(select->ColumnText(1));
    request.technician = std::string(select->ColumnText(2));
    request.public_key = std::string(select->ColumnText(3));
    request.state = "pending";
    request.created_at = select->ColumnInt(4);
    out.push_back(std::move(request));
  }
  return out;
}

StatusOr<CertificateRequest> AgentService::LoadRequest(const std::string& client,
                                                       const std::string& id) {
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare(
          "SELECT grant_id, technician, public_key, state, certificate, reason, created_at "
          "FROM certificate_requests WHERE client = ? AND id = ?"));
  select->Bind(1, client).Bind(2, id);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return NotFoundError("no such certificate request");
  CertificateRequest request{id,
                             client,
                             std::string(select->ColumnText(0)),
                             std::string(select->ColumnText(1)),
                             std::string(select->ColumnText(2)),
                             std::string(select->ColumnText(3)),
                             std::string(select->ColumnText(4)),
                             std::string(select->ColumnText(5)),
                             select->ColumnInt(6)};
  return request;
}

StatusOr<GrantView> AgentService::TechniciansGrant(const Actor& actor, const std::string& client,
                                                   const std::string& grant,
                                                   std::string_view what) {
  ASSIGN_OR_RETURN(GrantView view, grants_.GetGrant(actor, client, grant));
  if (view.request.technician != actor.user)
    return PermissionDeniedError("only the technician who holds the grant " + std::string(what));
  return view;
}

Status AgentService::CheckLive(const GrantView& view) {
  const int64_t now = clock_.NowUnixSeconds();
  const access::GrantProgress& p = view.progress;
  if (p.state != access::GrantState::kApproved || now < p.window_start || now >= p.window_end)
    return FailedPreconditionError("the grant is not live");
  return Status::Ok();
}

StatusOr<CertificateRequest> AgentService::RequestCertificate(const Actor& actor,
                                                              const std::string& client,
                                                              const std::string& grant,
                                                              const std::string& public_key,
                                                              std::chrono::milliseconds wait) {
  ASSIGN_OR_RETURN(GrantView view, TechniciansGrant(actor, client, grant, "gets its certificate"));
  const access::GrantRequest& r = view.request;
  if (r.kind != access::ResourceKind::kSshHost || r.action != access::Action::kLogin ||
      r.login.empty()) {
    return FailedPreconditionError("the grant is not an SSH login");
  }
  RETURN_IF_ERROR(CheckLive(view));
  const int64_t now = clock_.NowUnixSeconds();
  ASSIGN_OR_RETURN(ssh::PublicKey key, ssh::ParsePublicKey(public_key));
  if (!r.ssh_key.empty() && ssh::Fingerprint(key) != r.ssh_key) {
    return PermissionDeniedError("the request the owners decided on names another SSH key (" +
                                 r.ssh_key + ")");
  }
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(AgentView agent, LoadAgent(client));
    if (!agent.enrolled)
      return FailedPreconditionError("the client has no agent to sign certificates");
  }
  Bytes id_bytes(8);
  random_.Fill(id_bytes);
  const std::string id = "c" + HexEncode(id_bytes);
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(
        auto insert,
        scope.db.Prepare(
            "INSERT INTO certificate_requests (client, id, grant_id, technician, public_key, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)"));
    insert->Bind(1, client)
        .Bind(2, id)
        .Bind(3, grant)
        .Bind(4, actor.user)
        .Bind(5, ssh::FormatPublicKey(key, ""))
        .Bind(6, now);
    return insert->Run();
  }));
  poll_.Notify();
  return GetCertificateRequest(actor, client, id, wait);
}

StatusOr<CertificateRequest> AgentService::GetCertificateRequest(const Actor& actor,
                                                                 const std::string& client,
                                                                 const std::string& id,
                                                                 std::chrono::milliseconds wait) {
  RETURN_IF_ERROR(permissions_.CheckCanSee(actor, client));
  CertificateRequest request;
  // Answers are signalled: no need to look between signals.
  RETURN_IF_ERROR(poll_.Wait(wait, wait, [&]() -> StatusOr<bool> {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(request, LoadRequest(client, id));
    if (request.technician != actor.user) return NotFoundError("no such certificate request");
    return request.state != "pending";
  }));
  return request;
}

Status AgentService::Fulfil(const std::string& client, const std::string& id,
                            const std::string& certificate) {
  CertificateRequest request;
  AgentView agent;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(request, LoadRequest(client, id));
    ASSIGN_OR_RETURN(agent, LoadAgent(client));
  }
  if (request.state != "pending") return FailedPreconditionError("the request is " + request.state);
  ASSIGN_OR_RETURN(ssh::Certificate cert, ssh::ParseCertificate(certificate));
  ASSIGN_OR_RETURN(ssh::PublicKey ca, ssh::ParsePublicKey(agent.ssh_ca_key));
  ASSIGN_OR_RETURN(ssh::PublicKey subject, ssh::ParsePublicKey(request.public_key));
  if (!(cert.ca == ca))
    return InvalidArgumentError("the certificate is not signed by the client's CA");
  if (!(cert.subject == subject))
    return InvalidArgumentError("the certificate is not for the requested key");
  if (cert.key_id != "grant-" + request.grant + ":" + request.technician) {
    return InvalidArgumentError("the certificate's key ID does not name the grant");
  }
  return Answer(request, "issued", certificate,
                Event("certificate.issued", client, clock_.NowUnixSeconds(),
                      {{"grant", request.grant},
                       {"request", id},
                       {"technician", request.technician},
                       {"serial", std::to_string(cert.serial)},
                       {"key_id", cert.key_id},
                       {"principals", cert.principals},
                       {"valid_after", cert.valid_after},
                       {"valid_before", cert.valid_before},
                       {"fingerprint", ssh::Fingerprint(cert.subject)},
                       {"ca_fingerprint", ssh::Fingerprint(cert.ca)}}));
}

Status AgentService::Answer(const CertificateRequest& request, const std::string& state,
                            const std::string& text, const std::string& event) {
  // Only a pending request is answered, once: the update and its event commit together.
  RETURN_IF_ERROR(committer_.Commit(request.client, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(auto update,
                     scope.db.Prepare("UPDATE certificate_requests SET state = ?1, "
                                      "certificate = CASE ?1 WHEN 'issued' THEN ?2 ELSE '' END, "
                                      "reason = CASE ?1 WHEN 'refused' THEN ?2 ELSE '' END "
                                      "WHERE client = ?3 AND id = ?4 AND state = 'pending'"));
    update->Bind(1, state).Bind(2, text).Bind(3, request.client).Bind(4, request.id);
    RETURN_IF_ERROR(update->Run());
    if (sqlite3_changes(scope.db.handle()) == 0) {
      return FailedPreconditionError("the request was answered already");
    }
    scope.events.push_back(event);
    return Status::Ok();
  }));
  poll_.Notify();
  return Status::Ok();
}

Status AgentService::Refuse(const std::string& client, const std::string& id,
                            const std::string& reason) {
  CertificateRequest request;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(request, LoadRequest(client, id));
  }
  if (request.state != "pending") return FailedPreconditionError("the request is " + request.state);
  const std::string text = reason.empty() ? std::string("refused") : reason.substr(0, 500);
  return Answer(request, "refused", text,
                Event("certificate.refused", client, clock_.NowUnixSeconds(),
                      {{"grant", request.grant},
                       {"request", id},
                       {"technician", request.technician},
                       {"reason", text}}));
}

}  // namespace quartet::governance

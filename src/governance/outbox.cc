#include "governance/outbox.h"

#include "base/bytes.h"
#include "base/json.h"

namespace quartet::governance {

Status QueueForOwners(store::Database& db, int64_t now, const std::string& client,
                      const OwnerNotice& notice) {
  ASSIGN_OR_RETURN(auto insert,
                   db.Prepare("INSERT INTO notifications (client, channel, recipient, subject, "
                              "body, secret, next_attempt_at) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  ASSIGN_OR_RETURN(auto owners,
                   db.Prepare("SELECT email FROM users WHERE client = ? AND role = 'owner' AND "
                              "active = 1 AND email IS NOT NULL"));
  owners->Bind(1, client);
  std::vector<std::string> addresses;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, owners->Step());
    if (!row) break;
    addresses.emplace_back(owners->ColumnText(0));
  }
  owners.Release();
  for (const std::string& address : addresses) {
    insert->Bind(1, client)
        .Bind(2, "email")
        .Bind(3, address)
        .Bind(4, notice.subject)
        .Bind(5, notice.body)
        .Bind(6, "")
        .Bind(7, now);
    RETURN_IF_ERROR(insert->Run());
  }
  ASSIGN_OR_RETURN(auto webhook,
                   db.Prepare("SELECT webhook_url, webhook_secret FROM clients WHERE tenant = ? "
                              "AND webhook_url IS NOT NULL"));
  webhook->Bind(1, client);
  ASSIGN_OR_RETURN(bool has_webhook, webhook->Step());
  std::string url, secret;
  if (has_webhook) {
    url = std::string(webhook->ColumnText(0));
    secret = std::string(webhook->ColumnText(1));
  }
  webhook.Release();
  if (has_webhook) {
    insert->Bind(1, client)
        .Bind(2, "webhook")
        .Bind(3, url)
        .Bind(4, notice.subject)
        .Bind(5, notice.payload)
        .Bind(6, secret)
        .Bind(7, now);
    RETURN_IF_ERROR(insert->Run());
  }
  return Status::Ok();
}

std::optional<OwnerNotice> NoticeOf(const access::Grant& grant) {
  const access::GrantRequest& r = grant.request();
  const bool waiting = grant.state() == access::GrantState::kPending;
  const bool breakglass = r.breakglass;
  if (!waiting && !breakglass) return std::nullopt;
  const std::string subject =
      breakglass ? "[Quartet] Break-glass access: " + r.technician + " on " + r.resource
                 : "[Quartet] " + r.technician + " asks for access to " + r.resource;
  std::string body =
      (breakglass
           ? r.technician + " opened break-glass access without approval. Please review it.\n\n"
           : r.technician + " asks for access. It waits for your approval.\n\n");
  body +=
      "Client:    " + r.client + "\nResource:  " + r.resource +
      "\nAction:    " + std::string(access::ActionName(r.action)) +
      (r.login.empty() ? "" : " as " + r.login) + "\nReason:    " + r.reason +
      "\nTicket:    " + (r.ticket.empty() ? "(none)" : r.ticket) +
      "\nFor:       " + std::to_string(r.duration_seconds / 60) + " minutes\nGrant:     " + r.id +
      "\n\n" +
      (breakglass ? "Review: quartet grants, then acknowledge or dispute it in the dashboard.\n"
                  : "Decide: quartet approve " + r.id + " --key <your key>   or   quartet deny " +
                        r.id + " --key <your key>\n");
  const Json payload = {{"event", breakglass ? "breakglass.used" : "approval.requested"},
                        {"client", r.client},
                        {"grant", r.id},
                        {"technician", r.technician},
                        {"resource", r.resource},
                        {"reason", r.reason},
                        {"ticket", r.ticket},
                        {"duration_seconds", r.duration_seconds}};
  return OwnerNotice{subject, body, CanonicalJsonOf(payload)};
}

Status Outbox::SetEmail(const Actor& actor, const std::string& user, const std::string& email) {
  if (actor.role != Role::kProviderAdmin && actor.user != user)
    return Forbidden("people set their own address");
  if (email.size() > 254 || email.find('@') == std::string::npos ||
      email.find_first_of("\r\n<> ,") != std::string::npos) {
    return InvalidArgumentError("malformed e-mail address");
  }
  return committer_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto update,
                     db.Prepare("UPDATE users SET email = ? WHERE name = ? AND active = 1"));
    update->Bind(1, email).Bind(2, user);
    RETURN_IF_ERROR(update->Run());
    if (sqlite3_changes(db.handle()) == 0) return NotFoundError("no such user");
    return Status::Ok();
  });
}

StatusOr<std::string> Outbox::SetWebhook(const Actor& actor, const std::string& client,
                                         const std::string& url) {
  const bool owner = actor.role == Role::kOwner && actor.client == client;
  if (!owner && actor.role != Role::kProviderAdmin)
    return Forbidden("only the client's owner or a provider admin");
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    return InvalidArgumentError("a webhook needs an http(s) URL");
  Bytes secret_bytes(32);
  committer_.random().Fill(secret_bytes);
  const std::string secret = HexEncode(secret_bytes);
  RETURN_IF_ERROR(committer_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(
        auto update,
        db.Prepare("UPDATE clients SET webhook_url = ?, webhook_secret = ? WHERE tenant = ?"));
    update->Bind(1, url).Bind(2, secret).Bind(3, client);
    RETURN_IF_ERROR(update->Run());
    if (sqlite3_changes(db.handle()) == 0) return NotFoundError("no such client");
    return Status::Ok();
  }));
  return secret;
}

StatusOr<std::vector<Outbox::Notification>> Outbox::DueNotifications(int limit) {
  const int64_t now = committer_.clock().NowUnixSeconds();
  return committer_.Write([&](store::Database& db) -> StatusOr<std::vector<Notification>> {
    ASSIGN_OR_RETURN(auto select,
                     db.Prepare("SELECT id, client, channel, recipient, subject, body, secret, "
                                "attempts FROM notifications "
                                "WHERE delivered_at IS NULL AND attempts < 20 AND next_attempt_at "
                                "<= ? ORDER BY id LIMIT ?"));
    select->Bind(1, now).Bind(2, static_cast<int64_t>(limit));
    std::vector<Notification> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      out.push_back({select->ColumnInt(0), std::string(select->ColumnText(1)),
                     std::string(select->ColumnText(2)), std::string(select->ColumnText(3)),
                     std::string(select->ColumnText(4)), std::string(select->ColumnText(5)),
                     std::string(select->ColumnText(6)), static_cast<int>(select->ColumnInt(7))});
    }
    return out;
  });
}

Status Outbox::MarkNotification(int64_t id, bool delivered) {
  const int64_t now = committer_.clock().NowUnixSeconds();
  return committer_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(
        auto update,
        db.Prepare(delivered
                       ? "UPDATE notifications SET delivered_at = ?1, attempts = attempts + 1 "
                         "WHERE id = ?2"
                       : "UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ?1 + "
                         "min(3600, 5 << min(attempts, 10)) WHERE id = ?2"));
    update->Bind(1, now).Bind(2, id);
    return update->Run();
  });
}

}  // namespace quartet::governance

#include "governance/directory.h"

#include <map>

#include "access/local_time.h"
#include "base/bytes.h"
#include "base/json.h"
#include "governance/event.h"
#include "governance/grants.h"
#include "identity/password.h"
#include "store/sqlite_log_store.h"

namespace quartet::governance {
namespace {

// Runs an INSERT; AlreadyExists, naming `what`, when its unique key is taken.
Status InsertChecked(store::StatementScope& insert, const std::string& what) {
  Status status = insert->Run();
  if (status.code() == StatusCode::kFailedPrecondition) return AlreadyExistsError(what + " exists");
  return status;
}

StatusOr<std::vector<Directory::PersonView>> ReadPeople(store::Statement& select) {
  std::vector<Directory::PersonView> people;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(Role role, RoleFromName(select.ColumnText(1)));
    people.push_back({std::string(select.ColumnText(0)), role, select.ColumnInt(2) != 0,
                      select.ColumnInt(3) != 0});
  }
  return people;
}

}  // namespace

Status Directory::CreateClient(const Actor& actor, const std::string& tenant,
                               const std::string& name, const std::string& time_zone) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin creates clients");
  if (name.empty() || name.size() > 200) return InvalidArgumentError("a client needs a name");
  RETURN_IF_ERROR(access::ToLocalTime(0, time_zone).status());
  const access::Policy policy = access::Policy::SafeDefault(time_zone);
  // The log first (it holds the entries of everything below), then the client and its first events.
  RETURN_IF_ERROR(committer_.folder()
                      .InitLog(tenant, store::DefaultOrigin(tenant), committer_.random())
                      .status());
  const int64_t now = committer_.clock().NowUnixSeconds();
  return committer_.Commit(tenant, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(
        auto insert,
        scope.db.Prepare(
            "INSERT INTO clients (tenant, name, time_zone, policy) VALUES (?, ?, ?, ?)"));
    insert->Bind(1, tenant).Bind(2, name).Bind(3, time_zone).Bind(4, access::ToJson(policy));
    RETURN_IF_ERROR(insert->Run());
    scope.events.push_back(Event("client.created", tenant, now,
                                 {{"name", name}, {"time_zone", time_zone}, {"by", actor.user}}));
    scope.events.push_back(Event("policy.changed", tenant, now,
                                 {{"policy", access::ToJson(policy)}, {"by", actor.user}}));
    return Status::Ok();
  });
}

Status Directory::AddUser(const Actor& actor, const std::string& user, Role role,
                          const std::string& client) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin adds people");
  if (user.empty() || user.size() > 64)
    return InvalidArgumentError("a user needs a name of 1 to 64 characters");
  const bool client_side = !IsProviderRole(role);
  if (client_side == client.empty()) {
    return InvalidArgumentError(client_side ? "owners, client staff and auditors belong to a client"
                                            : "provider staff belong to no client");
  }
  if (!client_side) {
    return committer_.Write([&](store::Database& db) -> Status {
      ASSIGN_OR_RETURN(auto insert, db.Prepare("INSERT INTO users (name, role) VALUES (?, ?)"));
      insert->Bind(1, user).Bind(2, RoleName(role));
      return InsertChecked(insert, "user '" + user + "'");
    });
  }
  const int64_t now = committer_.clock().NowUnixSeconds();
  return committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    RETURN_IF_ERROR(RequireClient(scope.db, client));
    ASSIGN_OR_RETURN(auto insert,
                     scope.db.Prepare("INSERT INTO users (name, role, client) VALUES (?, ?, ?)"));
    insert->Bind(1, user).Bind(2, RoleName(role)).Bind(3, client);
    RETURN_IF_ERROR(InsertChecked(insert, "user '" + user + "'"));
    scope.events.push_back(
        Event("person.added", client, now,
              {{"user", user}, {"role", std::string(RoleName(role))}, {"by", actor.user}}));
    return Status::Ok();
  });
}

Status Directory::AddResource(const Actor& actor, const std::string& client,
                              const std::string& resource, access::ResourceKind kind,
                              access::LabelSet labels) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin adds resources");
  if (resource.empty() || resource.size() > 128)
    return InvalidArgumentError("a resource needs a name");
  const int64_t now = committer_.clock().NowUnixSeconds();
  return committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    RETURN_IF_ERROR(RequireClient(scope.db, client));
    ASSIGN_OR_RETURN(
        auto insert,
        scope.db.Prepare("INSERT INTO resources (client, name, kind, labels) VALUES (?, ?, ?, ?)"));
    insert->Bind(1, client)
        .Bind(2, resource)
        .Bind(3, access::KindName(kind))
        .Bind(4, static_cast<int64_t>(labels));
    RETURN_IF_ERROR(InsertChecked(insert, "resource"));
    scope.events.push_back(Event("resource.added", client, now,
                                 {{"resource", resource},
                                  {"resource_kind", std::string(access::KindName(kind))},
                                  {"labels", labels},
                                  {"by", actor.user}}));
    return Status::Ok();
  });
}

Status Directory::Relate(const Actor& actor, const std::string& client,
                         const std::string& technician) {
  if (actor.role != Role::kProviderAdmin)
    return Forbidden("only a provider admin relates technicians to clients");
  auto target = sessions_.FindActor(technician);
  if (!target.ok() || !IsProviderRole(target->role))
    return InvalidArgumentError("not a provider technician");
  const int64_t now = committer_.clock().NowUnixSeconds();
  return committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    RETURN_IF_ERROR(RequireClient(scope.db, client));
    ASSIGN_OR_RETURN(
        auto insert,
        scope.db.Prepare("INSERT OR IGNORE INTO relationships (client, technician) VALUES (?, ?)"));
    insert->Bind(1, client).Bind(2, technician);
    RETURN_IF_ERROR(insert->Run());
    if (sqlite3_changes(scope.db.handle()) == 0) return Status::Ok();
    scope.events.push_back(
        Event("relationship.added", client, now, {{"technician", technician}, {"by", actor.user}}));
    return Status::Ok();
  });
}

Status Directory::AddTeam(const Actor& actor, const std::string& team) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin manages teams");
  if (team.empty() || team.size() > 64)
    return InvalidArgumentError("a team needs a name of 1 to 64 characters");
  return committer_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto insert, db.Prepare("INSERT INTO teams (name) VALUES (?)"));
    insert->Bind(1, team);
    return InsertChecked(insert, "team '" + team + "'");
  });
}

Status Directory::AddTeamMember(const Actor& actor, const std::string& team,
                                const std::string& technician) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin manages teams");
  auto target = sessions_.FindActor(technician);
  if (!target.ok() || !IsProviderRole(target->role))
    return InvalidArgumentError("not a provider technician");
  // Joining a team relates the technician to the team's clients: each client's log says so.
  using Clients = std::vector<std::string>;
  ASSIGN_OR_RETURN(Clients clients, committer_.Write([&](store::Database& db) -> StatusOr<Clients> {
    ASSIGN_OR_RETURN(
        auto insert,
        db.Prepare("INSERT OR IGNORE INTO team_members (team, technician) VALUES (?, ?)"));
    insert->Bind(1, team).Bind(2, technician);
    Status status = insert->Run();
    if (status.code() == StatusCode::kFailedPrecondition) return NotFoundError("no such team");
    RETURN_IF_ERROR(status);
    Clients found;
    if (sqlite3_changes(db.handle()) == 0) return found;
    ASSIGN_OR_RETURN(auto select,
                     db.Prepare("SELECT client FROM team_relationships WHERE team = ?"));
    select->Bind(1, team);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      found.emplace_back(select->ColumnText(0));
    }
    return found;
  }));
  const int64_t now = committer_.clock().NowUnixSeconds();
  for (const std::string& client : clients) {
    RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
      scope.events.push_back(
          Event("relationship.added", client, now,
                {{"technician", technician}, {"team", team}, {"by", actor.user}}));
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

Status Directory::RelateTeam(const Actor& actor, const std::string& client,
                             const std::string& team) {
  if (actor.role != Role::kProviderAdmin)
    return Forbidden("only a provider admin relates teams to clients");
  const int64_t now = committer_.clock().NowUnixSeconds();
  return committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    RETURN_IF_ERROR(RequireClient(scope.db, client));
    ASSIGN_OR_RETURN(
        auto insert,
        scope.db.Prepare("INSERT OR IGNORE INTO team_relationships (client, team) VALUES (?, ?)"));
    insert->Bind(1, client).Bind(2, team);
    Status status = insert->Run();
    if (status.code() == StatusCode::kFailedPrecondition) return NotFoundError("no such team");
    RETURN_IF_ERROR(status);
    if (sqlite3_changes(scope.db.handle()) == 0) return Status::Ok();
    ASSIGN_OR_RETURN(auto members, scope.db.Prepare("SELECT technician FROM team_members WHERE "
                                                    "team = ? ORDER BY technician"));
    members->Bind(1, team);
    Json names = Json::array();
    for (;;) {
      ASSIGN_OR_RETURN(bool row, members->Step());
      if (!row) break;
      names.push_back(std::string(members->ColumnText(0)));
    }
    members.Release();
    scope.events.push_back(Event("team.related", client, now,
                                 {{"team", team}, {"members", names}, {"by", actor.user}}));
    return Status::Ok();
  });
}

StatusOr<std::string> Directory::RegisterOwnerKey(const Actor& actor, ByteView public_key) {
  if (actor.role != Role::kOwner) return Forbidden("only an owner registers an owner key");
  ASSIGN_OR_RETURN(access::OwnerKey key, access::OwnerKey::FromPublicKey(public_key));
  const int64_t now = committer_.clock().NowUnixSeconds();
  RETURN_IF_ERROR(committer_.Commit(actor.client, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(auto insert,
                     scope.db.Prepare("INSERT OR IGNORE INTO owner_keys (client, "
                                      "owner, key_id, public_key) VALUES (?, ?, ?, ?)"));
    insert->Bind(1, actor.client).Bind(2, actor.user).Bind(3, key.Id()).BindBlob(4, key.public_key);
    RETURN_IF_ERROR(insert->Run());
    if (sqlite3_changes(scope.db.handle()) == 0) return Status::Ok();
    scope.events.push_back(Event("owner.key_registered", actor.client, now,
                                 {{"owner", actor.user},
                                  {"key_id", key.Id()},
                                  {"public_key", Base64Encode(key.public_key)}}));
    return Status::Ok();
  }));
  return key.Id();
}

StatusOr<Directory::Offboarded> Directory::Offboard(const Actor& actor, const std::string& user) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin offboards staff");
  ASSIGN_OR_RETURN(Actor target, sessions_.FindActor(user));
  if (!IsProviderRole(target.role))
    return InvalidArgumentError("offboarding is for provider staff");
  const int64_t now = committer_.clock().NowUnixSeconds();
  // One transaction over every client the person served: each client's revocations and the
  // offboarding in its own log.
  return committer_.Write([&](store::Database& db) -> StatusOr<Offboarded> {
    std::vector<std::pair<std::string, std::string>> open;
    {
      ASSIGN_OR_RETURN(auto select,
                       db.Prepare("SELECT client, id FROM grants WHERE technician = ? AND state IN "
                                  "('pending', 'approved')"));
      select->Bind(1, user);
      for (;;) {
        ASSIGN_OR_RETURN(bool row, select->Step());
        if (!row) break;
        open.emplace_back(std::string(select->ColumnText(0)), std::string(select->ColumnText(1)));
      }
    }
    ASSIGN_OR_RETURN(auto transaction,
                     store::Transaction::Begin(db, store::TransactionMode::kImmediate));
    std::map<std::string, std::vector<std::string>> events_by_client;
    int revoked = 0;
    for (const auto& [client, id] : open) {
      ASSIGN_OR_RETURN(access::Grant grant, LoadGrant(db, client, id));
      std::vector<std::string>& events = events_by_client[client];
      if (grant.Revoke(actor.user, "technician offboarded", now, events).ok()) ++revoked;
      RETURN_IF_ERROR(SaveGrant(db, grant));
    }
    ASSIGN_OR_RETURN(
        auto related,
        db.Prepare("SELECT client FROM relationships WHERE technician = ?1 UNION "
                   "SELECT t.client FROM team_relationships t JOIN team_members m ON m.team = "
                   "t.team WHERE m.technician = ?1"));
    related->Bind(1, user);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, related->Step());
      if (!row) break;
      events_by_client[std::string(related->ColumnText(0))];
    }
    related.Release();
    ASSIGN_OR_RETURN(auto deactivate, db.Prepare("UPDATE users SET active = 0 WHERE name = ?"));
    deactivate->Bind(1, user);
    RETURN_IF_ERROR(deactivate->Run());
    ASSIGN_OR_RETURN(auto sign_out, db.Prepare("DELETE FROM tokens WHERE user = ?"));
    sign_out->Bind(1, user);
    RETURN_IF_ERROR(sign_out->Run());
    // What the leaver saw and nobody has changed since: the last reveal was theirs, of the version
    // still stored.
    Offboarded out;
    out.revoked = revoked;
    ASSIGN_OR_RETURN(auto revealed,
                     db.Prepare("SELECT client, resource, name, version, revealed_at, rotate FROM "
                                "credentials WHERE revealed_to = ? AND revealed_at > 0 AND "
                                "revealed_version = version ORDER BY client, resource, name"));
    revealed->Bind(1, user);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, revealed->Step());
      if (!row) break;
      out.at_risk.push_back(
          {std::string(revealed->ColumnText(0)), std::string(revealed->ColumnText(1)),
           std::string(revealed->ColumnText(2)), static_cast<uint64_t>(revealed->ColumnInt(3)),
           revealed->ColumnInt(4), !revealed->ColumnText(5).empty()});
      events_by_client[out.at_risk.back().client];
    }
    revealed.Release();
    for (auto& [client, events] : events_by_client) {
      Json at_risk = Json::array();
      for (const AtRisk& credential : out.at_risk) {
        if (credential.client != client) continue;
        at_risk.push_back({{"resource", credential.resource},
                           {"name", credential.name},
                           {"version", credential.version},
                           {"rotates", credential.rotates}});
      }
      Json fields = {{"user", user}, {"by", actor.user}};
      if (!at_risk.empty()) fields["credentials_at_risk"] = std::move(at_risk);
      events.push_back(Event("staff.offboarded", client, now, std::move(fields)));
      RETURN_IF_ERROR(
          store::SqliteLogStore::AppendInTransaction(*transaction, client, events).status());
    }
    RETURN_IF_ERROR(transaction->Commit());
    return out;
  });
}

StatusOr<Directory::Onboarded> Directory::Onboard(const Actor& actor, const std::string& user,
                                                  Role role, const std::string& client,
                                                  std::string_view password) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin adds people");
  Onboarded onboarded;
  if (!IsProviderRole(role)) {
    if (!password.empty()) {
      return InvalidArgumentError(
          "the people of a client choose their own password: leave it out, and send them the "
          "invitation");
    }
    RETURN_IF_ERROR(AddUser(actor, user, role, client));
    ASSIGN_OR_RETURN(onboarded.invitation, sessions_.Invite(user));
    onboarded.invitation_expires_at = committer_.clock().NowUnixSeconds() + kInvitationSeconds;
    return onboarded;
  }
  // Checked before the person exists, so that a weak password leaves nothing behind.
  RETURN_IF_ERROR(identity::CheckPasswordPolicy(password));
  RETURN_IF_ERROR(AddUser(actor, user, role, client));
  RETURN_IF_ERROR(sessions_.SetPassword(user, password));
  ASSIGN_OR_RETURN(onboarded.totp_uri, sessions_.EnrolTotp(user));
  return onboarded;
}

StatusOr<std::vector<Directory::ClientSummary>> Directory::ListClients(const Actor& actor) {
  const char* sql = actor.role == Role::kProviderAdmin
                        ? "SELECT tenant, name, time_zone FROM clients WHERE ?1 = ?1 ORDER BY name"
                    : IsProviderRole(actor.role)
                        ? "SELECT tenant, name, time_zone FROM clients WHERE tenant IN (SELECT "
                          "client FROM relationships WHERE "
                          "technician = ?1 UNION SELECT t.client FROM team_relationships t JOIN "
                          "team_members m ON m.team = t.team "
                          "WHERE m.technician = ?1) ORDER BY name"
                        : "SELECT tenant, name, time_zone FROM clients WHERE tenant = ?2";
  return committer_.Write([&](store::Database& db) -> StatusOr<std::vector<ClientSummary>> {
    ASSIGN_OR_RETURN(auto select, db.Prepare(sql));
    select->Bind(1, actor.user).Bind(2, actor.client);
    std::vector<ClientSummary> clients;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      clients.push_back({std::string(select->ColumnText(0)), std::string(select->ColumnText(1)),
                         std::string(select->ColumnText(2))});
    }
    return clients;
  });
}

StatusOr<Directory::ClientView> Directory::DescribeClient(const Actor& actor,
                                                          const std::string& client) {
  return committer_.Write([&](store::Database& db) -> StatusOr<ClientView> {
    RETURN_IF_ERROR(VisibleTechnicianIn(db, actor, client).status());
    ClientView view;
    ASSIGN_OR_RETURN(auto select,
                     db.Prepare("SELECT name, time_zone FROM clients WHERE tenant = ?"));
    select->Bind(1, client);
    ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) return NotFoundError("no such client");
    view.client = {client, std::string(select->ColumnText(0)), std::string(select->ColumnText(1))};
    // A statement left on a row holds its read transaction open, and a later write on this
    // connection could then not start.
    select.Release();
    ASSIGN_OR_RETURN(
        select,
        db.Prepare("SELECT name, kind, labels FROM resources WHERE client = ? ORDER BY name"));
    select->Bind(1, client);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      ASSIGN_OR_RETURN(access::ResourceKind kind,
                       access::ResourceKindFromName(select->ColumnText(1)));
      view.resources.push_back({std::string(select->ColumnText(0)), kind,
                                static_cast<access::LabelSet>(select->ColumnInt(2))});
    }
    ASSIGN_OR_RETURN(select,
                     db.Prepare("SELECT name, role, active, totp_secret IS NOT NULL FROM users "
                                "WHERE client = ? ORDER BY role, name"));
    select->Bind(1, client);
    ASSIGN_OR_RETURN(view.people, ReadPeople(*select));
    ASSIGN_OR_RETURN(select,
                     db.Prepare("SELECT technician FROM relationships WHERE client = ?1 UNION "
                                "SELECT m.technician FROM team_relationships t JOIN team_members "
                                "m ON m.team = t.team WHERE t.client = ?1 ORDER BY 1"));
    select->Bind(1, client);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      view.technicians.emplace_back(select->ColumnText(0));
    }
    return view;
  });
}

StatusOr<std::vector<Directory::PersonView>> Directory::ListStaff(const Actor& actor) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin lists the staff");
  return committer_.Write([&](store::Database& db) -> StatusOr<std::vector<PersonView>> {
    ASSIGN_OR_RETURN(auto select,
                     db.Prepare("SELECT name, role, active, totp_secret IS NOT NULL FROM users "
                                "WHERE client IS NULL ORDER BY active DESC, name"));
    return ReadPeople(*select);
  });
}

}  // namespace quartet::governance

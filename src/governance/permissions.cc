#include "governance/permissions.h"

namespace quartet::governance {

Status Forbidden(std::string_view what) { return PermissionDeniedError(std::string(what)); }

StatusOr<Actor> ActorFromRow(store::Statement& select) {
  auto role = RoleFromName(select.ColumnText(1));
  Actor actor{std::string(select.ColumnText(0)), role.ok() ? *role : Role::kAuditor,
              std::string(select.ColumnText(2))};
  select.Reset();
  RETURN_IF_ERROR(role.status());
  return actor;
}

StatusOr<Actor> FindActorIn(store::Database& db, const std::string& user) {
  ASSIGN_OR_RETURN(
      auto select,
      db.Prepare(
          "SELECT name, role, coalesce(client, '') FROM users WHERE name = ? AND active = 1"));
  select->Bind(1, user);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return NotFoundError("no such user");
  return ActorFromRow(*select);
}

Status RequireClient(store::Database& db, const std::string& client) {
  ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT 1 FROM clients WHERE tenant = ?"));
  select->Bind(1, client);
  ASSIGN_OR_RETURN(bool row, select->Step());
  select.Release();
  if (!row) return NotFoundError("no such client");
  return Status::Ok();
}

StatusOr<bool> IsRelated(store::Database& db, const std::string& client,
                         const std::string& technician) {
  ASSIGN_OR_RETURN(
      auto select,
      db.Prepare(
          "SELECT 1 FROM users u WHERE u.name = ?2 AND u.active = 1 AND ("
          "EXISTS (SELECT 1 FROM relationships r WHERE r.client = ?1 AND r.technician = u.name) OR "
          "EXISTS (SELECT 1 FROM team_relationships t JOIN team_members m ON m.team = t.team "
          "WHERE t.client = ?1 AND m.technician = u.name))"));
  select->Bind(1, client).Bind(2, technician);
  ASSIGN_OR_RETURN(bool row, select->Step());
  return row;
}

StatusOr<std::string> VisibleTechnicianIn(store::Database& db, const Actor& actor,
                                          const std::string& client) {
  if (IsProviderRole(actor.role)) {
    if (actor.role == Role::kProviderAdmin) {
      RETURN_IF_ERROR(RequireClient(db, client));
      return std::string();
    }
    ASSIGN_OR_RETURN(bool related, IsRelated(db, client, actor.user));
    if (!related) return NotFoundError("no such client");
    return actor.user;
  }
  if (actor.client != client) return NotFoundError("no such client");
  return std::string();
}

StatusOr<std::string> Permissions::VisibleTechnician(const Actor& actor,
                                                     const std::string& client) {
  return committer_.Write(
      [&](store::Database& db) { return VisibleTechnicianIn(db, actor, client); });
}

Status Permissions::CheckCanSee(const Actor& actor, const std::string& client) {
  return VisibleTechnician(actor, client).status();
}

}  // namespace quartet::governance

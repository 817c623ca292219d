// Who may do what, and who may see which client. Every person is an Actor with one role
// (access/role.h):
//   provider admin      clients, people, resources, relationships, offboarding; revoke any grant
//   technician (any provider role) with a relationship to the client: request, end own grants, see own
//   owner               approve/deny (signed with a registered key), revoke, review break-glass,
//                       change the policy, register keys — for their own client only
//   client staff, auditor   read their own client's grants
// Nobody on the provider's side can approve; a technician never approves. A client that an actor may
// not see does not exist, as far as that actor can tell (NotFound, never PermissionDenied).
//
// Thread safety: the free functions run on a connection their caller holds; Permissions locks.
#pragma once

#include <string>
#include <string_view>

#include "access/role.h"
#include "base/status.h"
#include "governance/committer.h"
#include "store/sqlite.h"

namespace quartet::governance {

// The one list of roles (access/role.h), as governance names it.
using access::IsProviderRole;
using access::Role;
using access::RoleFromName;
using access::RoleName;

struct Actor {
  std::string user;
  Role role = Role::kTechnician;
  std::string client;  // for client-side roles: their client
};

// PermissionDenied naming what only someone else may do.
Status Forbidden(std::string_view what);

// The person on the row `select` stands on, whose columns are name, role and client; resets the
// statement.
StatusOr<Actor> ActorFromRow(store::Statement& select);
// The active person named `user`; NotFound for an unknown or offboarded one.
StatusOr<Actor> FindActorIn(store::Database& db, const std::string& user);
// NotFound unless `client` exists.
Status RequireClient(store::Database& db, const std::string& client);
// Whether `technician` is active and serves `client`, directly or through a team.
StatusOr<bool> IsRelated(store::Database& db, const std::string& client,
                         const std::string& technician);
// Whose grants and events of `client` the actor may see: "" for everyone's, a technician's own
// name, or NotFound when the actor may not see the client at all.
StatusOr<std::string> VisibleTechnicianIn(store::Database& db, const Actor& actor,
                                          const std::string& client);

// The same checks, for the services that keep their state beside the access model (agents,
// certificates).
class Permissions {
 public:
  explicit Permissions(Committer& committer) : committer_(committer) {}

  StatusOr<std::string> VisibleTechnician(const Actor& actor, const std::string& client);
  // NotFound unless `actor` may see `client` at all (its people, a provider admin, or a technician
  // who serves it).
  Status CheckCanSee(const Actor& actor, const std::string& client);

 private:
  Committer& committer_;
};

}  // namespace quartet::governance

#include "governance/access_service.h"

#include <array>
#include <map>

#include <nlohmann/json.hpp>

#include "access/local_time.h"
#include "governance/event.h"
#include "identity/password.h"
#include "identity/token.h"
#include "identity/totp.h"
#include "store/sqlite_log_store.h"

namespace quartet::governance {
namespace {

using Json = nlohmann::json;
using access::Grant;
using access::GrantState;

Status Forbidden(std::string_view what) { return PermissionDeniedError(std::string(what)); }

// The person on the row `select` stands on, whose columns are name, role and client; releases the
// statement.
StatusOr<Actor> ActorFromRow(store::Statement& select) {
  auto role = RoleFromName(select.ColumnText(1));
  Actor actor{std::string(select.ColumnText(0)), role.ok() ? *role : Role::kAuditor,
              std::string(select.ColumnText(2))};
  select.Reset();
  RETURN_IF_ERROR(role.status());
  return actor;
}

}  // namespace

StatusOr<std::unique_ptr<AccessService>> AccessService::Open(store::DataFolder& folder,
                                                             Clock& clock, Random& random) {
  // The folder brought the schema up to date when it opened (store/server_schema.h).
  ASSIGN_OR_RETURN(auto db, store::Database::Open(folder.path() + "/quartet.db"));
  ASSIGN_OR_RETURN(auto read_db, store::Database::Open(folder.path() + "/quartet.db"));
  return std::unique_ptr<AccessService>(
      new AccessService(folder, std::move(db), std::move(read_db), clock, random));
}

Status AccessService::Transact(const std::string& client, const Change& change) {
  PendingChange self{&client, &change};
  bool lead;
  {
    MutexLock lock(commit_mu_);
    queue_.push_back(&self);
    lead = !leading_;
    leading_ = true;
  }
  // While another caller leads a commit, wait to be woken: either that commit carried this change,
  // or this caller leads the next one. Each waiter is woken once, by name: no thundering herd.
  if (!lead) {
    self.wake.Wait();
    if (self.done) return self.result;
  }
  std::vector<PendingChange*> batch;
  {
    MutexLock lock(commit_mu_);
    batch.swap(queue_);  // this change and everything queued meanwhile
  }
  CommitBatch(batch);
  PendingChange* next_leader = nullptr;
  {
    MutexLock lock(commit_mu_);
    if (queue_.empty()) {
      leading_ = false;
    } else {
      next_leader = queue_.front();
    }
  }
  // The next batch starts before this one's callers are told. A caller may return (and its
  // PendingChange go) as soon as it is woken: nothing touches it after Signal().
  if (next_leader != nullptr) next_leader->wake.Signal();
  for (PendingChange* pending : batch) {
    if (pending == &self) continue;
    pending->done = true;
    pending->wake.Signal();
  }
  return self.result;
}

void AccessService::CommitBatch(const std::vector<PendingChange*>& batch) {
  MutexLock lock(mu_);
  // The changes run one after another in one transaction, without a savepoint each (a savepoint
  // copies every page a change touches). A change refused before it wrote anything, which is how
  // changes refuse, leaves the transaction as it was. One that wrote and then failed spoils it: the
  // transaction is rolled back and made again without that change.
  std::vector<PendingChange*> changes = batch;
  std::vector<std::string> events;
  for (;;) {
    auto transaction = store::Transaction::Begin(*db_, store::TransactionMode::kImmediate);
    if (!transaction.ok()) {
      for (PendingChange* pending : changes) pending->result = transaction.status();
      return;
    }
    auto spoiled = changes.end();
    for (auto it = changes.begin(); it != changes.end(); ++it) {
      PendingChange& pending = **it;
      const int64_t written_before = sqlite3_total_changes64(db_->handle());
      events.clear();
      pending.result = (*pending.change)(events);
      if (pending.result.ok() && !events.empty()) {
        pending.result =
            store::SqliteLogStore::AppendInTransaction(**transaction, *pending.client, events)
                .status();
      }
      // SQLite may also have rolled the whole transaction back itself (a full disk, an I/O error).
      if (!pending.result.ok() && (sqlite3_total_changes64(db_->handle()) != written_before ||
                                   sqlite3_get_autocommit(db_->handle()) != 0)) {
        spoiled = it;
        break;
      }
    }
    if (spoiled != changes.end()) {
      changes.erase(spoiled);  // keeps its error; the transaction rolls back as it goes
      continue;
    }
    // One durable commit for the whole batch: nothing is acknowledged before it.
    const Status committed = (*transaction)->Commit();
    if (!committed.ok()) {
      for (PendingChange* pending : changes) {
        if (pending->result.ok()) pending->result = committed;
      }
    }
    return;
  }
}

StatusOr<Actor> AccessService::FindActor(const std::string& user) {
  MutexLock lock(read_mu_);
  ASSIGN_OR_RETURN(
      auto select,
      read_db_->Prepare(
          "SELECT name, role, coalesce(client, '') FROM users WHERE name = ? AND active = 1"));
  select->Bind(1, user);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return NotFoundError("no such user");
  return ActorFromRow(*select);
}

Status AccessService::CreateProviderAdmin(const std::string& user) {
  if (user.empty() || user.size() > 64)
    return InvalidArgumentError("a user needs a name of 1 to 64 characters");
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto insert,
                   db_->Prepare("INSERT INTO users (name, role) VALUES (?, 'provider-admin')"));
  insert->Bind(1, user);
  Status status = insert->Run();
  if (status.code() == StatusCode::kFailedPrecondition)
    return AlreadyExistsError("user '" + user + "' exists");
  return status;
}

StatusOr<std::string> AccessService::IssueToken(const std::string& user, int64_t lifetime_seconds) {
  RETURN_IF_ERROR(FindActor(user).status());
  if (lifetime_seconds <= 0) return InvalidArgumentError("a token needs a lifetime");
  const identity::IssuedToken token = identity::NewToken(random_, "qt_");
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto insert,
                   db_->Prepare("INSERT INTO tokens (digest, user, expires_at) VALUES (?, ?, ?)"));
  insert->BindBlob(1, token.digest)
      .Bind(2, user)
      .Bind(3, clock_.NowUnixSeconds() + lifetime_seconds);
  RETURN_IF_ERROR(insert->Run());
  return token.token;
}

StatusOr<Actor> AccessService::Authenticate(std::string_view token) {
  // Looked up by digest: the lookup compares digests, never the secret itself.
  const Hash digest = identity::TokenDigest(token);
  MutexLock lock(read_mu_);
  ASSIGN_OR_RETURN(auto select,
                   read_db_->Prepare("SELECT u.name, u.role, coalesce(u.client, '') FROM tokens t "
                                     "JOIN users u ON u.name = t.user "
                                     "WHERE t.digest = ? AND t.expires_at > ? AND u.active = 1"));
  select->BindBlob(1, digest).Bind(2, clock_.NowUnixSeconds());
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return UnauthenticatedError("unknown or expired token");
  return ActorFromRow(*select);
}

Status AccessService::SetPassword(const std::string& user, std::string_view password) {
  RETURN_IF_ERROR(identity::CheckPasswordPolicy(password));
  ASSIGN_OR_RETURN(std::string hash,
                   identity::HashPassword(password, identity::PasswordCost::kInteractive));
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(
      auto update,
      db_->Prepare("UPDATE users SET password_hash = ? WHERE name = ? AND active = 1"));
  update->Bind(1, hash).Bind(2, user);
  RETURN_IF_ERROR(update->Run());
  if (sqlite3_changes(db_->handle()) == 0) return NotFoundError("no such user");
  return Status::Ok();
}

StatusOr<std::string> AccessService::EnrolTotp(const std::string& user) {
  const Bytes secret = identity::NewTotpSecret(random_);
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(
      auto update,
      db_->Prepare(
          "UPDATE users SET totp_secret = ?, totp_last_step = -1 WHERE name = ? AND active = 1"));
  update->BindBlob(1, secret).Bind(2, user);
  RETURN_IF_ERROR(update->Run());
  if (sqlite3_changes(db_->handle()) == 0) return NotFoundError("no such user");
  return identity::TotpProvisioningUri("Quartet", user, secret);
}

StatusOr<AccessService::Session> AccessService::SignIn(const std::string& user,
                                                       std::string_view password,
                                                       std::string_view code,
                                                       int64_t lifetime_seconds) {
  const Status wrong = UnauthenticatedError("wrong user name, password or code");
  std::string hash;
  Bytes totp_secret;
  int64_t last_step = -1;
  std::string role_name;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(
        auto select,
        db_->Prepare(
            "SELECT coalesce(password_hash, ''), totp_secret, totp_last_step, role FROM users "
            "WHERE name = ? AND active = 1"));
    select->Bind(1, user);
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (row) {
      hash = std::string(select->ColumnText(0));
      ByteView secret = select->ColumnBlob(1);
      totp_secret.assign(secret.begin(), secret.end());
      last_step = select->ColumnInt(2);
      role_name = std::string(select->ColumnText(3));
    }
  }
  // An unknown user costs as much as a known one: always run the password check.
  static const std::string kDecoy =
      *identity::HashPassword("decoy password for timing", identity::PasswordCost::kInteractive);
  const bool password_ok =
      identity::VerifyPassword(hash.empty() ? kDecoy : hash, password) && !hash.empty();
  if (!password_ok) return wrong;
  ASSIGN_OR_RETURN(Role role, RoleFromName(role_name));
  if (totp_secret.empty()) {
    if (IsProviderRole(role))
      return FailedPreconditionError("provider staff must enrol a second factor (TOTP) first");
  } else {
    auto step = identity::VerifyTotp(totp_secret, code, clock_.NowUnixSeconds(), last_step,
                                     identity::TotpParameters{});
    if (!step.ok()) return wrong;
    MutexLock lock(mu_);
    // A code is good once: remember the step it was for.
    ASSIGN_OR_RETURN(auto update,
                     db_->Prepare("UPDATE users SET totp_last_step = ? WHERE name = ?"));
    update->Bind(1, *step).Bind(2, user);
    RETURN_IF_ERROR(update->Run());
  }
  ASSIGN_OR_RETURN(std::string token, IssueToken(user, lifetime_seconds));
  const identity::IssuedToken csrf = identity::NewToken(random_, "csrf_");
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(auto update,
                     db_->Prepare("UPDATE tokens SET csrf_digest = ? WHERE digest = ?"));
    const Hash digest = identity::TokenDigest(token);
    update->BindBlob(1, csrf.digest).BindBlob(2, digest);
    RETURN_IF_ERROR(update->Run());
  }
  ASSIGN_OR_RETURN(Actor actor, FindActor(user));
  return Session{token, csrf.token, actor};
}

bool AccessService::CheckCsrf(std::string_view token, std::string_view csrf) {
  MutexLock lock(mu_);
  auto select = db_->Prepare("SELECT csrf_digest FROM tokens WHERE digest = ?");
  if (!select.ok()) return false;
  const Hash digest = identity::TokenDigest(token);
  (*select)->BindBlob(1, digest);
  auto row = (*select)->Step();
  bool matches = false;
  if (row.ok() && *row) {
    ByteView stored = (*select)->ColumnBlob(0);
    Hash expected{};
    if (stored.size() == expected.size()) {
      std::copy(stored.begin(), stored.end(), expected.begin());
      matches = identity::TokenMatches(csrf, expected);
    }
  }
  return matches;
}

Status AccessService::SignOut(std::string_view token) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto remove, db_->Prepare("DELETE FROM tokens WHERE digest = ?"));
  const Hash digest = identity::TokenDigest(token);
  remove->BindBlob(1, digest);
  return remove->Run();
}

Status AccessService::RequireClient(const std::string& client) {
  ASSIGN_OR_RETURN(auto select, db_->Prepare("SELECT 1 FROM clients WHERE tenant = ?"));
  select->Bind(1, client);
  ASSIGN_OR_RETURN(bool row, select->Step());
  select.Release();
  if (!row) return NotFoundError("no such client");
  return Status::Ok();
}

Status AccessService::CreateClient(const Actor& actor, const std::string& tenant,
                                   const std::string& name, const std::string& time_zone) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin creates clients");
  if (name.empty() || name.size() > 200) return InvalidArgumentError("a client needs a name");
  RETURN_IF_ERROR(access::ToLocalTime(0, time_zone).status());
  const access::Policy policy = access::Policy::SafeDefault(time_zone);
  // The log first (it holds the entries of everything below), then the client and its first events.
  RETURN_IF_ERROR(folder_.InitLog(tenant, store::DefaultOrigin(tenant), random_).status());
  const int64_t now = clock_.NowUnixSeconds();
  return Transact(tenant, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
    ASSIGN_OR_RETURN(
        auto insert,
        db_->Prepare("INSERT INTO clients (tenant, name, time_zone, policy) VALUES (?, ?, ?, ?)"));
    insert->Bind(1, tenant).Bind(2, name).Bind(3, time_zone).Bind(4, access::ToJson(policy));
    RETURN_IF_ERROR(insert->Run());
    events.push_back(Event("client.created", tenant, now,
                           {{"name", name}, {"time_zone", time_zone}, {"by", actor.user}}));
    events.push_back(Event("policy.changed", tenant, now,
                           {{"policy", access::ToJson(policy)}, {"by", actor.user}}));
    return Status::Ok();
  });
}

Status AccessService::AddUser(const Actor& actor, const std::string& user, Role role,
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
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(auto insert, db_->Prepare("INSERT INTO users (name, role) VALUES (?, ?)"));
    insert->Bind(1, user).Bind(2, RoleName(role));
    Status status = insert->Run();
    if (status.code() == StatusCode::kFailedPrecondition)
      return AlreadyExistsError("user '" + user + "' exists");
    return status;
  }
  return Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
    RETURN_IF_ERROR(RequireClient(client));
    ASSIGN_OR_RETURN(auto insert,
                     db_->Prepare("INSERT INTO users (name, role, client) VALUES (?, ?, ?)"));
    insert->Bind(1, user).Bind(2, RoleName(role)).Bind(3, client);
    Status status = insert->Run();
    if (status.code() == StatusCode::kFailedPrecondition)
      return AlreadyExistsError("user '" + user + "' exists");
    RETURN_IF_ERROR(status);
    events.push_back(
        Event("person.added", client, clock_.NowUnixSeconds(),
              {{"user", user}, {"role", std::string(RoleName(role))}, {"by", actor.user}}));
    return Status::Ok();
  });
}

Status AccessService::AddResource(const Actor& actor, const std::string& client,
                                  const std::string& resource, access::ResourceKind kind,
                                  access::LabelSet labels) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin adds resources");
  if (resource.empty() || resource.size() > 128)
    return InvalidArgumentError("a resource needs a name");
  return Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
    RETURN_IF_ERROR(RequireClient(client));
    ASSIGN_OR_RETURN(
        auto insert,
        db_->Prepare("INSERT INTO resources (client, name, kind, labels) VALUES (?, ?, ?, ?)"));
    insert->Bind(1, client)
        .Bind(2, resource)
        .Bind(3, access::KindName(kind))
        .Bind(4, static_cast<int64_t>(labels));
    Status status = insert->Run();
    if (status.code() == StatusCode::kFailedPrecondition)
      return AlreadyExistsError("resource exists");
    RETURN_IF_ERROR(status);
    events.push_back(Event("resource.added", client, clock_.NowUnixSeconds(),
                           {{"resource", resource},
                            {"resource_kind", std::string(access::KindName(kind))},
                            {"labels", labels},
                            {"by", actor.user}}));
    return Status::Ok();
  });
}

Status AccessService::Relate(const Actor& actor, const std::string& client,
                             const std::string& technician) {
  if (actor.role != Role::kProviderAdmin)
    return Forbidden("only a provider admin relates technicians to clients");
  auto target = FindActor(technician);
  if (!target.ok() || !IsProviderRole(target->role))
    return InvalidArgumentError("not a provider technician");
  return Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
    RETURN_IF_ERROR(RequireClient(client));
    ASSIGN_OR_RETURN(
        auto insert,
        db_->Prepare("INSERT OR IGNORE INTO relationships (client, technician) VALUES (?, ?)"));
    insert->Bind(1, client).Bind(2, technician);
    RETURN_IF_ERROR(insert->Run());
    if (sqlite3_changes(db_->handle()) == 0) return Status::Ok();
    events.push_back(Event("relationship.added", client, clock_.NowUnixSeconds(),
                           {{"technician", technician}, {"by", actor.user}}));
    return Status::Ok();
  });
}

Status AccessService::AddTeam(const Actor& actor, const std::string& team) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin manages teams");
  if (team.empty() || team.size() > 64)
    return InvalidArgumentError("a team needs a name of 1 to 64 characters");
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto insert, db_->Prepare("INSERT INTO teams (name) VALUES (?)"));
  insert->Bind(1, team);
  Status status = insert->Run();
  if (status.code() == StatusCode::kFailedPrecondition)
    return AlreadyExistsError("team '" + team + "' exists");
  return status;
}

Status AccessService::AddTeamMember(const Actor& actor, const std::string& team,
                                    const std::string& technician) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin manages teams");
  auto target = FindActor(technician);
  if (!target.ok() || !IsProviderRole(target->role))
    return InvalidArgumentError("not a provider technician");
  // Joining a team relates the technician to the team's clients: each client's log says so.
  std::vector<std::string> clients;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(
        auto insert,
        db_->Prepare("INSERT OR IGNORE INTO team_members (team, technician) VALUES (?, ?)"));
    insert->Bind(1, team).Bind(2, technician);
    Status status = insert->Run();
    if (status.code() == StatusCode::kFailedPrecondition) return NotFoundError("no such team");
    RETURN_IF_ERROR(status);
    if (sqlite3_changes(db_->handle()) == 0) return Status::Ok();
    ASSIGN_OR_RETURN(auto select,
                     db_->Prepare("SELECT client FROM team_relationships WHERE team = ?"));
    select->Bind(1, team);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      clients.emplace_back(select->ColumnText(0));
    }
  }
  for (const std::string& client : clients) {
    RETURN_IF_ERROR(Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
      events.push_back(Event("relationship.added", client, clock_.NowUnixSeconds(),
                             {{"technician", technician}, {"team", team}, {"by", actor.user}}));
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

Status AccessService::RelateTeam(const Actor& actor, const std::string& client,
                                 const std::string& team) {
  if (actor.role != Role::kProviderAdmin)
    return Forbidden("only a provider admin relates teams to clients");
  return Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
    RETURN_IF_ERROR(RequireClient(client));
    ASSIGN_OR_RETURN(
        auto insert,
        db_->Prepare("INSERT OR IGNORE INTO team_relationships (client, team) VALUES (?, ?)"));
    insert->Bind(1, client).Bind(2, team);
    Status status = insert->Run();
    if (status.code() == StatusCode::kFailedPrecondition) return NotFoundError("no such team");
    RETURN_IF_ERROR(status);
    if (sqlite3_changes(db_->handle()) == 0) return Status::Ok();
    ASSIGN_OR_RETURN(
        auto members,
        db_->Prepare("SELECT technician FROM team_members WHERE team = ? ORDER BY technician"));
    members->Bind(1, team);
    Json names = Json::array();
    for (;;) {
      ASSIGN_OR_RETURN(bool row, members->Step());
      if (!row) break;
      names.push_back(std::string(members->ColumnText(0)));
    }
    members.Release();
    events.push_back(Event("team.related", client, clock_.NowUnixSeconds(),
                           {{"team", team}, {"members", names}, {"by", actor.user}}));
    return Status::Ok();
  });
}

StatusOr<bool> AccessService::IsRelated(const std::string& client, const std::string& technician) {
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare(
          "SELECT 1 FROM users u WHERE u.name = ?2 AND u.active = 1 AND ("
          "EXISTS (SELECT 1 FROM relationships r WHERE r.client = ?1 AND r.technician = u.name) OR "
          "EXISTS (SELECT 1 FROM team_relationships t JOIN team_members m ON m.team = t.team "
          "WHERE t.client = ?1 AND m.technician = u.name))"));
  select->Bind(1, client).Bind(2, technician);
  ASSIGN_OR_RETURN(bool row, select->Step());
  return row;
}

StatusOr<std::string> AccessService::RegisterOwnerKey(const Actor& actor, ByteView public_key) {
  if (actor.role != Role::kOwner) return Forbidden("only an owner registers an owner key");
  ASSIGN_OR_RETURN(access::OwnerKey key, access::OwnerKey::FromPublicKey(public_key));
  RETURN_IF_ERROR(
      Transact(actor.client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
        ASSIGN_OR_RETURN(auto insert,
                         db_->Prepare("INSERT OR IGNORE INTO owner_keys (client, owner, key_id, "
                                      "public_key) VALUES (?, ?, ?, ?)"));
        insert->Bind(1, actor.client)
            .Bind(2, actor.user)
            .Bind(3, key.Id())
            .BindBlob(4, key.public_key);
        RETURN_IF_ERROR(insert->Run());
        if (sqlite3_changes(db_->handle()) == 0) return Status::Ok();
        events.push_back(Event("owner.key_registered", actor.client, clock_.NowUnixSeconds(),
                               {{"owner", actor.user},
                                {"key_id", key.Id()},
                                {"public_key", Base64Encode(key.public_key)}}));
        return Status::Ok();
      }));
  return key.Id();
}

StatusOr<access::Policy> AccessService::LoadPolicy(const std::string& client) {
  ASSIGN_OR_RETURN(auto select, db_->Prepare("SELECT policy FROM clients WHERE tenant = ?"));
  select->Bind(1, client);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return NotFoundError("no such client");
  // Parsed once per stored text: every request consults the policy, and it rarely changes (the
  // text is compared, so a change made by another process on the same folder is seen at once).
  const std::string_view text = select->ColumnText(0);
  auto cached = policies_.find(client);
  if (cached == policies_.end() || cached->second.text != text) {
    auto policy = access::PolicyFromJson(text);
    if (!policy.ok()) {
      return DataLossError("stored policy of '" + client + "' is malformed");
    }
    cached = policies_.insert_or_assign(client, ParsedPolicy{std::string(text), *std::move(policy)})
                 .first;
  }
  return cached->second.policy;
}

StatusOr<access::Policy> AccessService::GetPolicy(const Actor& actor, const std::string& client) {
  MutexLock lock(mu_);
  if (!IsProviderRole(actor.role) && actor.client != client) return NotFoundError("no such client");
  if (IsProviderRole(actor.role) && actor.role != Role::kProviderAdmin) {
    ASSIGN_OR_RETURN(bool related, IsRelated(client, actor.user));
    if (!related) return NotFoundError("no such client");
  }
  return LoadPolicy(client);
}

Status AccessService::ChangePolicy(const Actor& actor, const std::string& client,
                                   const access::Policy& policy) {
  if (actor.role != Role::kOwner || actor.client != client)
    return Forbidden("only the client's owner changes its policy");
  RETURN_IF_ERROR(policy.Validate());
  RETURN_IF_ERROR(access::ToLocalTime(0, policy.time_zone).status());
  return Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
    ASSIGN_OR_RETURN(auto update,
                     db_->Prepare("UPDATE clients SET policy = ?, time_zone = ? WHERE tenant = ?"));
    const std::string json = access::ToJson(policy);
    update->Bind(1, json).Bind(2, policy.time_zone).Bind(3, client);
    RETURN_IF_ERROR(update->Run());
    events.push_back(Event("policy.changed", client, clock_.NowUnixSeconds(),
                           {{"policy", json}, {"by", actor.user}}));
    return Status::Ok();
  });
}

StatusOr<std::string> AccessService::ProposePolicy(const Actor& actor, const std::string& client,
                                                   const access::Policy& policy,
                                                   const std::string& note) {
  if (!IsProviderRole(actor.role))
    return Forbidden("policy proposals come from the provider; owners change it directly");
  RETURN_IF_ERROR(policy.Validate());
  RETURN_IF_ERROR(access::ToLocalTime(0, policy.time_zone).status());
  if (note.size() > 1000) return InvalidArgumentError("a note must be at most 1,000 characters");
  Bytes id_bytes(8);
  random_.Fill(id_bytes);
  const std::string id = "p-" + HexEncode(id_bytes);
  RETURN_IF_ERROR(Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
    if (actor.role != Role::kProviderAdmin) {
      ASSIGN_OR_RETURN(bool related, IsRelated(client, actor.user));
      if (!related) return NotFoundError("no such client");
    }
    RETURN_IF_ERROR(RequireClient(client));
    ASSIGN_OR_RETURN(
        auto insert,
        db_->Prepare(
            "INSERT INTO policy_proposals (client, id, policy, proposed_by) VALUES (?, ?, ?, ?)"));
    const std::string json = access::ToJson(policy);
    insert->Bind(1, client).Bind(2, id).Bind(3, json).Bind(4, actor.user);
    RETURN_IF_ERROR(insert->Run());
    events.push_back(
        Event("policy.proposed", client, clock_.NowUnixSeconds(),
              {{"proposal", id}, {"policy", json}, {"by", actor.user}, {"note", note}}));
    return Status::Ok();
  }));
  return id;
}

StatusOr<std::vector<AccessService::PolicyProposal>> AccessService::ListProposals(
    const Actor& actor, const std::string& client) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(VisibleTechnician(actor, client).status());
  ASSIGN_OR_RETURN(auto select,
                   db_->Prepare("SELECT id, proposed_by, policy FROM policy_proposals WHERE client "
                                "= ? AND state = 'open' "
                                "ORDER BY rowid"));
  select->Bind(1, client);
  std::vector<PolicyProposal> proposals;
  Status status;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    auto policy = access::PolicyFromJson(select->ColumnText(2));
    if (!policy.ok()) {
      status = policy.status();
      break;
    }
    proposals.push_back({std::string(select->ColumnText(0)), std::string(select->ColumnText(1)),
                         *std::move(policy)});
  }
  select.Release();
  RETURN_IF_ERROR(status);
  return proposals;
}

Status AccessService::AcceptProposal(const Actor& actor, const std::string& client,
                                     const std::string& proposal) {
  if (actor.role != Role::kOwner || actor.client != client)
    return Forbidden("only the client's owner accepts a proposal");
  return Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
    ASSIGN_OR_RETURN(
        auto select,
        db_->Prepare(
            "SELECT policy FROM policy_proposals WHERE client = ? AND id = ? AND state = 'open'"));
    select->Bind(1, client).Bind(2, proposal);
    ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) return NotFoundError("no open proposal with that id");
    const std::string json(select->ColumnText(0));
    select.Release();
    ASSIGN_OR_RETURN(access::Policy policy, access::PolicyFromJson(json));
    ASSIGN_OR_RETURN(
        auto close,
        db_->Prepare("UPDATE policy_proposals SET state = 'accepted' WHERE client = ? AND id = ?"));
    close->Bind(1, client).Bind(2, proposal);
    RETURN_IF_ERROR(close->Run());
    ASSIGN_OR_RETURN(auto update,
                     db_->Prepare("UPDATE clients SET policy = ?, time_zone = ? WHERE tenant = ?"));
    update->Bind(1, json).Bind(2, policy.time_zone).Bind(3, client);
    RETURN_IF_ERROR(update->Run());
    events.push_back(Event("policy.changed", client, clock_.NowUnixSeconds(),
                           {{"policy", json}, {"by", actor.user}, {"proposal", proposal}}));
    return Status::Ok();
  });
}

StatusOr<Grant> AccessService::LoadGrant(const std::string& client, const std::string& grant) {
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare("SELECT request, progress FROM grants WHERE client = ? AND id = ?"));
  select->Bind(1, client).Bind(2, grant);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return NotFoundError("no such grant");
  std::string canonical(select->ColumnText(0));
  auto request = access::ParseCanonicalRequest(canonical);
  auto progress = access::ProgressFromJson(select->ColumnText(1));
  select.Release();
  if (!request.ok()) return DataLossError("stored grant request is malformed");
  RETURN_IF_ERROR(progress.status());
  return Grant::Restore(std::move(*request), std::move(*progress), std::move(canonical));
}

Status AccessService::SaveGrant(const Grant& grant) {
  ASSIGN_OR_RETURN(
      auto upsert,
      db_->Prepare(
          "INSERT INTO grants (client, id, technician, state, requested_at, request, progress) "
          "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client, id) DO UPDATE SET "
          "state = excluded.state, progress = excluded.progress"));
  const access::GrantRequest& request = grant.request();
  upsert->Bind(1, request.client)
      .Bind(2, request.id)
      .Bind(3, request.technician)
      .Bind(4, access::GrantStateName(grant.state()))
      .Bind(5, request.requested_at)
      .Bind(6, grant.canonical_request())
      .Bind(7, access::ProgressToJson(grant.progress()));
  return upsert->Run();
}

StatusOr<GrantView> AccessService::RequestAccess(const Actor& actor, const AccessRequest& in) {
  if (!IsProviderRole(actor.role)) return Forbidden("only provider staff request access");
  std::optional<Grant> opened;
  RETURN_IF_ERROR(
      Transact(in.client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
        ASSIGN_OR_RETURN(bool related, IsRelated(in.client, actor.user));
        // Without a relationship the client does not exist, as far as this technician can tell.
        if (!related) return NotFoundError("no such client");
        ASSIGN_OR_RETURN(
            auto resource,
            db_->Prepare("SELECT kind, labels FROM resources WHERE client = ? AND name = ?"));
        resource->Bind(1, in.client).Bind(2, in.resource);
        ASSIGN_OR_RETURN(bool found, resource->Step());
        if (!found) return NotFoundError("no such resource");
        auto kind = access::ResourceKindFromName(resource->ColumnText(0));
        const auto labels = static_cast<access::LabelSet>(resource->ColumnInt(1));
        resource.Release();
        RETURN_IF_ERROR(kind.status());
        ASSIGN_OR_RETURN(access::Policy policy, LoadPolicy(in.client));

        access::GrantRequest request;
        request.requested_at = clock_.NowUnixSeconds();
        // The time first, then 64 random bits: new grants sort after old ones, so that storing one
        // touches the end of the grant table's key index rather than a page anywhere in it.
        Bytes id(12);
        for (int i = 0; i < 4; ++i)
          id[i] = static_cast<uint8_t>(static_cast<uint64_t>(request.requested_at) >> (24 - 8 * i));
        random_.Fill(std::span<uint8_t>(id).subspan(4));
        request.id = "g-" + HexEncode(id);
        request.client = in.client;
        request.technician = actor.user;
        request.role = actor.role;
        request.resource = in.resource;
        request.kind = *kind;
        request.labels = labels;
        request.action = in.action;
        request.login = in.login;
        request.reason = in.reason;
        request.ticket = in.ticket;
        request.duration_seconds = in.duration_seconds;
        request.not_before = in.not_before;
        request.breakglass = in.breakglass;
        ASSIGN_OR_RETURN(access::LocalTime local,
                         access::ToLocalTime(request.requested_at, policy.time_zone));

        ASSIGN_OR_RETURN(Grant grant, Grant::Open(request, policy, local, events));
        RETURN_IF_ERROR(SaveGrant(grant));
        RETURN_IF_ERROR(QueueNotifications(grant));
        opened = std::move(grant);
        return Status::Ok();
      }));
  return GrantView{opened->request(), opened->progress(), opened->canonical_request()};
}

Status AccessService::Decide(const Actor& actor, const std::string& client,
                             const std::string& grant_id, access::OwnerDecision decision,
                             const std::string& key_id, ByteView signature,
                             const std::string& comment) {
  // Approvals come from the client's own owners only: never from the provider's side.
  if (actor.role != Role::kOwner) return Forbidden("only the client's owners approve or deny");
  if (actor.client != client) return NotFoundError("no such grant");
  const int64_t now = clock_.NowUnixSeconds();
  return Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
    ASSIGN_OR_RETURN(
        auto select,
        db_->Prepare(
            "SELECT public_key FROM owner_keys WHERE client = ? AND owner = ? AND key_id = ?"));
    select->Bind(1, client).Bind(2, actor.user).Bind(3, key_id);
    ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) return UnauthenticatedError("that key is not registered to this owner");
    auto key = access::OwnerKey::FromPublicKey(select->ColumnBlob(0));
    select.Release();
    RETURN_IF_ERROR(key.status());
    ASSIGN_OR_RETURN(Grant grant, LoadGrant(client, grant_id));
    RETURN_IF_ERROR(decision == access::OwnerDecision::kApprove
                        ? grant.Approve(actor.user, *key, signature, comment, now, events)
                        : grant.Deny(actor.user, *key, signature, comment, now, events));
    return SaveGrant(grant);
  });
}

Status AccessService::Review(const Actor& actor, const std::string& client,
                             const std::string& grant_id, access::BreakglassReview verdict,
                             const std::string& comment) {
  if (actor.role != Role::kOwner)
    return Forbidden("only the client's owners review break-glass access");
  if (actor.client != client) return NotFoundError("no such grant");
  return Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
    ASSIGN_OR_RETURN(Grant grant, LoadGrant(client, grant_id));
    RETURN_IF_ERROR(grant.Review(actor.user, verdict, comment, clock_.NowUnixSeconds(), events));
    return SaveGrant(grant);
  });
}

Status AccessService::End(const Actor& actor, const std::string& client,
                          const std::string& grant_id) {
  if (!IsProviderRole(actor.role)) return Forbidden("only the technician ends a grant");
  return Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
    ASSIGN_OR_RETURN(Grant grant, LoadGrant(client, grant_id));
    if (grant.request().technician != actor.user) return NotFoundError("no such grant");
    RETURN_IF_ERROR(grant.End(actor.user, clock_.NowUnixSeconds(), events));
    return SaveGrant(grant);
  });
}

Status AccessService::Revoke(const Actor& actor, const std::string& client,
                             const std::string& grant_id, const std::string& reason) {
  const bool owner = actor.role == Role::kOwner && actor.client == client;
  if (!owner && actor.role != Role::kProviderAdmin) {
    return actor.role == Role::kOwner
               ? NotFoundError("no such grant")
               : Forbidden("only an owner or a provider admin revokes a grant");
  }
  return Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
    ASSIGN_OR_RETURN(Grant grant, LoadGrant(client, grant_id));
    RETURN_IF_ERROR(grant.Revoke(actor.user, reason, clock_.NowUnixSeconds(), events));
    return SaveGrant(grant);
  });
}

StatusOr<std::string> AccessService::VisibleTechnician(const Actor& actor,
                                                       const std::string& client) {
  if (IsProviderRole(actor.role)) {
    if (actor.role == Role::kProviderAdmin) {
      RETURN_IF_ERROR(RequireClient(client));
      return std::string();
    }
    ASSIGN_OR_RETURN(bool related, IsRelated(client, actor.user));
    if (!related) return NotFoundError("no such client");
    return actor.user;
  }
  if (actor.client != client) return NotFoundError("no such client");
  return std::string();
}

StatusOr<std::vector<GrantView>> AccessService::ListGrants(const Actor& actor,
                                                           const std::string& client,
                                                           const GrantQuery& query) {
  if (query.limit < 1 || query.limit > 1000)
    return InvalidArgumentError("a page holds 1 to 1,000 grants");
  if (!query.state.empty() && query.state != "pending" && query.state != "approved" &&
      query.state != "denied" && query.state != "ended" && query.state != "revoked" &&
      query.state != "expired") {
    return InvalidArgumentError("unknown grant state '" + query.state + "'");
  }
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(std::string technician_only, VisibleTechnician(actor, client));
  // Two statements, so that SQLite can use the (client, state, time) index when filtering by state:
  // "(?3 = '' OR state = ?3)" would hide it from the planner.
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare(
          query.state.empty()
              ? "SELECT request, progress FROM grants WHERE client = ?1 AND ?3 = '' "
                "AND (?2 = '' OR technician = ?2) "
                "AND (requested_at, id) < (?4, ?5) ORDER BY requested_at DESC, id DESC LIMIT ?6"
              : "SELECT request, progress FROM grants WHERE client = ?1 AND state = ?3 "
                "AND (?2 = '' OR technician = ?2) "
                "AND (requested_at, id) < (?4, ?5) ORDER BY requested_at DESC, id DESC LIMIT ?6"));
  select->Bind(1, client).Bind(2, technician_only).Bind(3, query.state).Bind(4, query.before_time);
  select->Bind(5, query.before_id.empty() && query.before_time == INT64_MAX
                      ? std::string_view("\xff")
                      : std::string_view(query.before_id));
  select->Bind(6, static_cast<int64_t>(query.limit));
  std::vector<GrantView> out;
  Status status;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    std::string canonical(select->ColumnText(0));
    auto request = access::ParseCanonicalRequest(canonical);
    auto progress = access::ProgressFromJson(select->ColumnText(1));
    if (!request.ok() || !progress.ok()) {
      status = DataLossError("a stored grant is malformed");
      break;
    }
    out.push_back({std::move(*request), std::move(*progress), std::move(canonical)});
  }
  select.Release();
  RETURN_IF_ERROR(status);
  return out;
}

StatusOr<GrantView> AccessService::GetGrant(const Actor& actor, const std::string& client,
                                            const std::string& grant_id) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(std::string technician_only, VisibleTechnician(actor, client));
  ASSIGN_OR_RETURN(Grant grant, LoadGrant(client, grant_id));
  if (!technician_only.empty() && grant.request().technician != technician_only)
    return NotFoundError("no such grant");
  return GrantView{grant.request(), grant.progress(), grant.canonical_request()};
}

StatusOr<int> AccessService::Offboard(const Actor& actor, const std::string& user) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin offboards staff");
  ASSIGN_OR_RETURN(Actor target, FindActor(user));
  if (!IsProviderRole(target.role))
    return InvalidArgumentError("offboarding is for provider staff");
  MutexLock lock(mu_);
  const int64_t now = clock_.NowUnixSeconds();
  // Every open grant, client by client, each client's revocations in its own log.
  std::vector<std::pair<std::string, std::string>> open;
  {
    ASSIGN_OR_RETURN(auto select,
                     db_->Prepare("SELECT client, id FROM grants WHERE technician = ? AND state IN "
                                  "('pending', 'approved')"));
    select->Bind(1, user);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      open.emplace_back(std::string(select->ColumnText(0)), std::string(select->ColumnText(1)));
    }
  }
  ASSIGN_OR_RETURN(auto transaction,
                   store::Transaction::Begin(*db_, store::TransactionMode::kImmediate));
  std::map<std::string, std::vector<std::string>> events_by_client;
  int revoked = 0;
  for (const auto& [client, id] : open) {
    ASSIGN_OR_RETURN(Grant grant, LoadGrant(client, id));
    std::vector<std::string>& events = events_by_client[client];
    if (grant.Revoke(actor.user, "technician offboarded", now, events).ok()) ++revoked;
    RETURN_IF_ERROR(SaveGrant(grant));
  }
  ASSIGN_OR_RETURN(
      auto related,
      db_->Prepare(
          "SELECT client FROM relationships WHERE technician = ?1 UNION "
          "SELECT t.client FROM team_relationships t JOIN team_members m ON m.team = t.team "
          "WHERE m.technician = ?1"));
  related->Bind(1, user);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, related->Step());
    if (!row) break;
    events_by_client[std::string(related->ColumnText(0))];
  }
  related.Release();
  ASSIGN_OR_RETURN(auto deactivate, db_->Prepare("UPDATE users SET active = 0 WHERE name = ?"));
  deactivate->Bind(1, user);
  RETURN_IF_ERROR(deactivate->Run());
  ASSIGN_OR_RETURN(auto sign_out, db_->Prepare("DELETE FROM tokens WHERE user = ?"));
  sign_out->Bind(1, user);
  RETURN_IF_ERROR(sign_out->Run());
  for (auto& [client, events] : events_by_client) {
    events.push_back(Event("staff.offboarded", client, now, {{"user", user}, {"by", actor.user}}));
    RETURN_IF_ERROR(
        store::SqliteLogStore::AppendInTransaction(*transaction, client, events).status());
  }
  RETURN_IF_ERROR(transaction->Commit());
  return revoked;
}

Status AccessService::SetEmail(const Actor& actor, const std::string& user,
                               const std::string& email) {
  if (actor.role != Role::kProviderAdmin && actor.user != user)
    return Forbidden("people set their own address");
  if (email.size() > 254 || email.find('@') == std::string::npos ||
      email.find_first_of("\r\n<> ,") != std::string::npos) {
    return InvalidArgumentError("malformed e-mail address");
  }
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto update,
                   db_->Prepare("UPDATE users SET email = ? WHERE name = ? AND active = 1"));
  update->Bind(1, email).Bind(2, user);
  RETURN_IF_ERROR(update->Run());
  if (sqlite3_changes(db_->handle()) == 0) return NotFoundError("no such user");
  return Status::Ok();
}

StatusOr<std::string> AccessService::SetWebhook(const Actor& actor, const std::string& client,
                                                const std::string& url) {
  const bool owner = actor.role == Role::kOwner && actor.client == client;
  if (!owner && actor.role != Role::kProviderAdmin)
    return Forbidden("only the client's owner or a provider admin");
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    return InvalidArgumentError("a webhook needs an http(s) URL");
  Bytes secret_bytes(32);
  random_.Fill(secret_bytes);
  const std::string secret = HexEncode(secret_bytes);
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(
      auto update,
      db_->Prepare("UPDATE clients SET webhook_url = ?, webhook_secret = ? WHERE tenant = ?"));
  update->Bind(1, url).Bind(2, secret).Bind(3, client);
  RETURN_IF_ERROR(update->Run());
  if (sqlite3_changes(db_->handle()) == 0) return NotFoundError("no such client");
  return secret;
}

Status AccessService::QueueNotifications(const Grant& grant) {
  const access::GrantRequest& r = grant.request();
  const bool waiting = grant.state() == GrantState::kPending;
  const bool breakglass = r.breakglass;
  if (!waiting && !breakglass) return Status::Ok();
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
  return QueueForOwners(r.client, {subject, body, payload.dump()});
}

Status AccessService::QueueForOwners(const std::string& client, const OwnerNotice& notice) {
  ASSIGN_OR_RETURN(auto insert,
                   db_->Prepare("INSERT INTO notifications (client, channel, recipient, subject, "
                                "body, secret, next_attempt_at) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  ASSIGN_OR_RETURN(auto owners,
                   db_->Prepare("SELECT email FROM users WHERE client = ? AND role = 'owner' AND "
                                "active = 1 AND email IS NOT NULL"));
  owners->Bind(1, client);
  std::vector<std::string> addresses;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, owners->Step());
    if (!row) break;
    addresses.emplace_back(owners->ColumnText(0));
  }
  owners.Release();
  const int64_t now = clock_.NowUnixSeconds();
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
                   db_->Prepare("SELECT webhook_url, webhook_secret FROM clients WHERE tenant = ? "
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

StatusOr<std::vector<AccessService::ClientSummary>> AccessService::ListClients(const Actor& actor) {
  MutexLock lock(mu_);
  const char* sql = actor.role == Role::kProviderAdmin
                        ? "SELECT tenant, name, time_zone FROM clients WHERE ?1 = ?1 ORDER BY name"
                    : IsProviderRole(actor.role)
                        ? "SELECT tenant, name, time_zone FROM clients WHERE tenant IN (SELECT "
                          "client FROM relationships WHERE "
                          "technician = ?1 UNION SELECT t.client FROM team_relationships t JOIN "
                          "team_members m ON m.team = t.team "
                          "WHERE m.technician = ?1) ORDER BY name"
                        : "SELECT tenant, name, time_zone FROM clients WHERE tenant = ?2";
  ASSIGN_OR_RETURN(auto select, db_->Prepare(sql));
  select->Bind(1, actor.user).Bind(2, actor.client);
  std::vector<ClientSummary> clients;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    clients.push_back({std::string(select->ColumnText(0)), std::string(select->ColumnText(1)),
                       std::string(select->ColumnText(2))});
  }
  return clients;
}

namespace {

StatusOr<std::vector<AccessService::PersonView>> ReadPeople(store::Statement& select) {
  std::vector<AccessService::PersonView> people;
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

StatusOr<AccessService::ClientView> AccessService::DescribeClient(const Actor& actor,
                                                                  const std::string& client) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(VisibleTechnician(actor, client).status());
  ClientView view;
  ASSIGN_OR_RETURN(auto select,
                   db_->Prepare("SELECT name, time_zone FROM clients WHERE tenant = ?"));
  select->Bind(1, client);
  ASSIGN_OR_RETURN(bool found, select->Step());
  if (!found) return NotFoundError("no such client");
  view.client = {client, std::string(select->ColumnText(0)), std::string(select->ColumnText(1))};
  // A statement left on a row holds its read transaction open, and a later write on this
  // connection could then not start.
  select.Release();
  ASSIGN_OR_RETURN(
      select,
      db_->Prepare("SELECT name, kind, labels FROM resources WHERE client = ? ORDER BY name"));
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
                   db_->Prepare("SELECT name, role, active, totp_secret IS NOT NULL FROM users "
                                "WHERE client = ? ORDER BY role, name"));
  select->Bind(1, client);
  ASSIGN_OR_RETURN(view.people, ReadPeople(*select));
  ASSIGN_OR_RETURN(select,
                   db_->Prepare("SELECT technician FROM relationships WHERE client = ?1 UNION "
                                "SELECT m.technician FROM team_relationships t JOIN team_members m "
                                "ON m.team = t.team WHERE t.client = ?1 ORDER BY 1"));
  select->Bind(1, client);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    view.technicians.emplace_back(select->ColumnText(0));
  }
  return view;
}

StatusOr<std::vector<AccessService::PersonView>> AccessService::ListStaff(const Actor& actor) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin lists the staff");
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto select,
                   db_->Prepare("SELECT name, role, active, totp_secret IS NOT NULL FROM users "
                                "WHERE client IS NULL ORDER BY active DESC, name"));
  return ReadPeople(*select);
}

StatusOr<std::string> AccessService::Onboard(const Actor& actor, const std::string& user, Role role,
                                             const std::string& client, std::string_view password) {
  if (actor.role != Role::kProviderAdmin) return Forbidden("only a provider admin adds people");
  // Checked before the person exists, so that a weak password leaves nothing behind.
  RETURN_IF_ERROR(identity::CheckPasswordPolicy(password));
  RETURN_IF_ERROR(AddUser(actor, user, role, client));
  RETURN_IF_ERROR(SetPassword(user, password));
  return EnrolTotp(user);
}

StatusOr<std::string> AccessService::VisibleTechnicianOf(const Actor& actor,
                                                         const std::string& client) {
  MutexLock lock(mu_);
  return VisibleTechnician(actor, client);
}

Status AccessService::CheckCanSee(const Actor& actor, const std::string& client) {
  MutexLock lock(mu_);
  return VisibleTechnician(actor, client).status();
}

Status AccessService::Commit(const std::string& client, const ScopedChange& change) {
  return Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
    std::vector<OwnerNotice> notices;
    ChangeScope scope{*db_, events, notices};
    RETURN_IF_ERROR(change(scope));
    for (const OwnerNotice& notice : notices) RETURN_IF_ERROR(QueueForOwners(client, notice));
    return Status::Ok();
  });
}

StatusOr<std::vector<AccessService::Notification>> AccessService::DueNotifications(int limit) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto select,
                   db_->Prepare("SELECT id, client, channel, recipient, subject, body, secret, "
                                "attempts FROM notifications "
                                "WHERE delivered_at IS NULL AND attempts < 20 AND next_attempt_at "
                                "<= ? ORDER BY id LIMIT ?"));
  select->Bind(1, clock_.NowUnixSeconds()).Bind(2, static_cast<int64_t>(limit));
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
}

Status AccessService::MarkNotification(int64_t id, bool delivered) {
  MutexLock lock(mu_);
  const int64_t now = clock_.NowUnixSeconds();
  ASSIGN_OR_RETURN(
      auto update,
      db_->Prepare(
          delivered
              ? "UPDATE notifications SET delivered_at = ?1, attempts = attempts + 1 WHERE id = ?2"
              : "UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ?1 + "
                "min(3600, 5 << min(attempts, 10)) WHERE id = ?2"));
  update->Bind(1, now).Bind(2, id);
  return update->Run();
}

StatusOr<int> AccessService::ExpireStale() {
  const int64_t now = clock_.NowUnixSeconds();
  std::vector<std::pair<std::string, std::string>> stale;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(
        auto select,
        db_->Prepare(
            "SELECT client, id FROM grants WHERE state = 'pending' AND requested_at <= ?"));
    select->Bind(1, now - access::kRequestLifetimeSeconds);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      stale.emplace_back(std::string(select->ColumnText(0)), std::string(select->ColumnText(1)));
    }
  }
  for (const auto& entry : stale) {
    const std::string& client = entry.first;
    const std::string& id = entry.second;
    RETURN_IF_ERROR(Transact(client, [&](std::vector<std::string>& events) REQUIRES(mu_) -> Status {
      ASSIGN_OR_RETURN(Grant grant, LoadGrant(client, id));
      grant.ExpireIfStale(now, events);
      return SaveGrant(grant);
    }));
  }
  return static_cast<int>(stale.size());
}

}  // namespace quartet::governance

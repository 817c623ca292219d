// The provider–client access model, persisted: clients with their policies and people, resources,
// relationships between technicians and clients, owner keys, and grants. Every change commits in
// one SQLite transaction together with its events in the client's log (docs/events.md), so there is
// no grant, approval or policy change without its entry.
//
// Callers authenticate people first; the service checks what each may do:
//   provider admin      clients, people, resources, relationships, offboarding; revoke any grant
//   technician (any provider role) with a relationship to the client: request, end own grants, see own
//   owner               approve/deny (signed with a registered key), revoke, review break-glass,
//                       change the policy, register keys — for their own client only
//   client staff, auditor   read their own client's grants
// Nobody on the provider's side can approve; a technician never approves.
//
// Thread safety: one connection guarded by a mutex; share one service per process.
#pragma once

#include <climits>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/grant.h"
#include "access/policy.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "base/random.h"
#include "store/data_folder.h"
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

struct AccessRequest {
  std::string client;
  std::string resource;
  access::Action action = access::Action::kLogin;
  std::string login;
  std::string reason;
  std::string ticket;
  int64_t duration_seconds = 0;
  int64_t not_before = 0;
  bool breakglass = false;
};

struct GrantView {
  access::GrantRequest request;
  access::GrantProgress progress;
  std::string canonical_request;  // access::CanonicalRequest(request)
};

class AccessService {
 public:
  // `folder` must outlive the service.
  static StatusOr<std::unique_ptr<AccessService>> Open(store::DataFolder& folder, Clock& clock,
                                                       Random& random);

  // Local administration only (`quartet admin`, run by whoever holds the data folder): the first
  // provider admin, who then adds everyone else.
  Status CreateProviderAdmin(const std::string& user);

  // A bearer token for `user` (local administration: `quartet admin token create`), valid for
  // `lifetime_seconds`. Only its SHA-256 digest is stored.
  StatusOr<std::string> IssueToken(const std::string& user, int64_t lifetime_seconds);
  // The actor a bearer token belongs to. Unauthenticated for an unknown, expired or revoked token,
  // or an offboarded user (offboarding ends every token at once).
  StatusOr<Actor> Authenticate(std::string_view token);

  // Sign-in. Passwords are argon2id; TOTP (RFC 6238) is required of provider staff, and of anyone who
  // enrolled. Local administration sets passwords and enrols TOTP.
  Status SetPassword(const std::string& user, std::string_view password);
  // Returns the new secret as an otpauth:// provisioning URI (show it once, as text or a QR code).
  StatusOr<std::string> EnrolTotp(const std::string& user);
  struct Session {
    std::string token;  // the bearer token (or the session cookie's value)
    std::string csrf;   // to send back as X-CSRF-Token with every state-changing browser request
    Actor actor;
  };
  // Unauthenticated with one vague reason for every wrong user, password or code; the caller
  // throttles. FailedPrecondition for provider staff who have not enrolled TOTP yet.
  StatusOr<Session> SignIn(const std::string& user, std::string_view password,
                           std::string_view code, int64_t lifetime_seconds);
  // Whether `csrf` is the one issued with session `token` (constant time).
  bool CheckCsrf(std::string_view token, std::string_view csrf);
  // Ends the session or token at once.
  Status SignOut(std::string_view token);

  // People. NotFound for an unknown or offboarded user.
  StatusOr<Actor> FindActor(const std::string& user);

  // Provider admin.
  Status CreateClient(const Actor& actor, const std::string& tenant, const std::string& name,
                      const std::string& time_zone);
  Status AddUser(const Actor& actor, const std::string& user, Role role, const std::string& client);
  Status AddResource(const Actor& actor, const std::string& client, const std::string& resource,
                     access::ResourceKind kind, access::LabelSet labels);
  Status Relate(const Actor& actor, const std::string& client, const std::string& technician);
  // Teams of provider staff: a team related to a client serves it through each of its members.
  Status AddTeam(const Actor& actor, const std::string& team);
  Status AddTeamMember(const Actor& actor, const std::string& team, const std::string& technician);
  Status RelateTeam(const Actor& actor, const std::string& client, const std::string& team);
  // Deactivates a provider user and revokes every open grant they hold, logged in each client's log.
  // Returns how many grants were revoked.
  StatusOr<int> Offboard(const Actor& actor, const std::string& user);

  // Owners.
  StatusOr<std::string> RegisterOwnerKey(const Actor& actor,
                                         ByteView public_key);  // returns the key ID
  Status ChangePolicy(const Actor& actor, const std::string& client, const access::Policy& policy);
  StatusOr<access::Policy> GetPolicy(const Actor& actor, const std::string& client);
  // The provider may propose a policy (a provider admin, or a technician who serves the client);
  // only an owner of the client can accept it, and then it is in force. Both are logged.
  StatusOr<std::string> ProposePolicy(const Actor& actor, const std::string& client,
                                      const access::Policy& policy, const std::string& note);
  Status AcceptProposal(const Actor& actor, const std::string& client, const std::string& proposal);
  struct PolicyProposal {
    std::string id;
    std::string proposed_by;
    access::Policy policy;
  };
  // The proposals still open, oldest first, for anyone who may see the client.
  StatusOr<std::vector<PolicyProposal>> ListProposals(const Actor& actor,
                                                      const std::string& client);
  Status Decide(const Actor& actor, const std::string& client, const std::string& grant,
                access::OwnerDecision decision, const std::string& key_id, ByteView signature,
                const std::string& comment);
  Status Review(const Actor& actor, const std::string& client, const std::string& grant,
                access::BreakglassReview verdict, const std::string& comment);

  // Technicians.
  StatusOr<GrantView> RequestAccess(const Actor& actor, const AccessRequest& request);
  Status End(const Actor& actor, const std::string& client, const std::string& grant);

  // Owners and provider admins.
  Status Revoke(const Actor& actor, const std::string& client, const std::string& grant,
                const std::string& reason);

  // What `actor` may see of a client's grants, newest first, a page at a time.
  struct GrantQuery {
    std::string state;                // e.g. "pending"; empty for all
    int64_t before_time = INT64_MAX;  // cursor: grants strictly older than (before_time, before_id)
    std::string before_id;
    int limit = 100;  // 1..1000
  };
  StatusOr<std::vector<GrantView>> ListGrants(const Actor& actor, const std::string& client,
                                              const GrantQuery& query);
  StatusOr<std::vector<GrantView>> ListGrants(const Actor& actor, const std::string& client) {
    return ListGrants(actor, client, GrantQuery{});
  }
  StatusOr<GrantView> GetGrant(const Actor& actor, const std::string& client,
                               const std::string& grant);

  // Notifications. Owners hear of requests waiting for them and of break-glass access by e-mail (to
  // the addresses set here) and by the client's webhook. They are queued in the same transaction as
  // the events that cause them (an outbox), so none is lost; a Notifier delivers them.
  Status SetEmail(const Actor& actor, const std::string& user, const std::string& email);
  // Sets the client's webhook URL and returns a fresh secret for checking its HMAC signatures.
  StatusOr<std::string> SetWebhook(const Actor& actor, const std::string& client,
                                   const std::string& url);
  struct Notification {
    int64_t id = 0;
    std::string client;
    std::string channel;    // "email" or "webhook"
    std::string recipient;  // an address, or the webhook URL
    std::string subject;
    std::string body;    // plain text, or the webhook's JSON
    std::string secret;  // webhook only: the HMAC key
    int attempts = 0;
  };
  StatusOr<std::vector<Notification>> DueNotifications(int limit);
  // Delivered, or failed and to be retried with backoff (given up after 20 attempts).
  Status MarkNotification(int64_t id, bool delivered);

  // Expires unanswered requests past their lifetime, in every client. Returns how many.
  StatusOr<int> ExpireStale();

  // What a person sees of clients: provider admins all, technicians those they serve, client-side
  // people their own.
  struct ClientSummary {
    std::string tenant;
    std::string name;
    std::string time_zone;
  };
  StatusOr<std::vector<ClientSummary>> ListClients(const Actor& actor);
  struct ResourceView {
    std::string name;
    access::ResourceKind kind = access::ResourceKind::kSshHost;
    access::LabelSet labels = 0;
  };
  struct PersonView {
    std::string user;
    Role role = Role::kTechnician;
    bool active = true;
    bool mfa = false;  // has enrolled TOTP
  };
  struct ClientView {
    ClientSummary client;
    std::vector<ResourceView> resources;
    std::vector<PersonView> people;        // the client's owners, staff and auditors
    std::vector<std::string> technicians;  // provider staff who serve it, directly or by team
  };
  StatusOr<ClientView> DescribeClient(const Actor& actor, const std::string& client);
  // Provider admin: every member of the provider's staff.
  StatusOr<std::vector<PersonView>> ListStaff(const Actor& actor);
  // Provider admin: adds a person with a first password and enrols TOTP (required of provider
  // staff), in one step; returns the otpauth:// URI to hand to the person, once.
  StatusOr<std::string> Onboard(const Actor& actor, const std::string& user, Role role,
                                const std::string& client, std::string_view password);

  // Whose events and grants of `client` the actor may see: "" for everyone's, a technician's own
  // name, or NotFound when the actor may not see the client at all.
  StatusOr<std::string> VisibleTechnicianOf(const Actor& actor, const std::string& client);

  // For the other services that keep their state in the same database (agents, certificates):
  // NotFound unless `actor` may see `client` at all (its people, a provider admin, or a technician
  // who serves it).
  Status CheckCanSee(const Actor& actor, const std::string& client);
  // A message for every owner of a client, by e-mail and webhook, queued with a change (see Commit).
  struct OwnerNotice {
    std::string subject;
    std::string body;     // plain text
    std::string payload;  // the webhook's JSON
  };
  struct ChangeScope {
    store::Database& db;
    std::vector<std::string>& events;   // canonical events for the client's log
    std::vector<OwnerNotice>& notices;  // queued for the owners in the same transaction
  };
  using ScopedChange = std::function<Status(ChangeScope& scope)>;
  // Runs `change` in one transaction with its events and notices, as every change of this service
  // is made (group commit). The change must use only `scope.db`, and may run more than once.
  Status Commit(const std::string& client, const ScopedChange& change);

 private:
  AccessService(store::DataFolder& folder, std::unique_ptr<store::Database> db,
                std::unique_ptr<store::Database> read_db, Clock& clock, Random& random)
      : folder_(folder),
        db_(std::move(db)),
        read_db_(std::move(read_db)),
        clock_(clock),
        random_(random) {}

  using Change = std::function<Status(std::vector<std::string>& events)>;
  // Runs `change` (with mu_ held) in a transaction, and the events it adds in `client`'s log in the
  // same transaction. Group commit: changes queued by concurrent callers share one transaction and
  // one fsync. Returns once the change is durable, or its error. A change may run more than once
  // (when another in its batch fails after writing): it must act on the database alone.
  Status Transact(const std::string& client, const Change& change) EXCLUDES(mu_, commit_mu_);
  // A caller's change waiting for its batch. `result` and `done` are written by the leader of the
  // batch before it signals `wake`, and read by the caller after it wakes.
  struct PendingChange {
    const std::string* client;
    const Change* change;
    Status result = Status::Ok();
    bool done = false;
    Wakeup wake{};
  };
  void CommitBatch(const std::vector<PendingChange*>& batch) EXCLUDES(mu_);
  StatusOr<access::Grant> LoadGrant(const std::string& client, const std::string& grant)
      REQUIRES(mu_);
  Status SaveGrant(const access::Grant& grant) REQUIRES(mu_);
  StatusOr<access::Policy> LoadPolicy(const std::string& client) REQUIRES(mu_);
  StatusOr<bool> IsRelated(const std::string& client, const std::string& technician) REQUIRES(mu_);
  // Whose grants of `client` the actor may see: "" for all, a technician's own name, or NotFound.
  StatusOr<std::string> VisibleTechnician(const Actor& actor, const std::string& client)
      REQUIRES(mu_);
  Status RequireClient(const std::string& client) REQUIRES(mu_);
  Status QueueNotifications(const access::Grant& grant) REQUIRES(mu_);
  Status QueueForOwners(const std::string& client, const OwnerNotice& notice) REQUIRES(mu_);

  store::DataFolder& folder_;
  // Guards the commit queue; never held together with mu_.
  Mutex commit_mu_;
  std::vector<PendingChange*> queue_ GUARDED_BY(commit_mu_);
  bool leading_ GUARDED_BY(commit_mu_) = false;
  Mutex mu_;
  std::unique_ptr<store::Database> db_ GUARDED_BY(mu_);
  struct ParsedPolicy {
    std::string text;  // as stored
    access::Policy policy;
  };
  std::map<std::string, ParsedPolicy, std::less<>> policies_ GUARDED_BY(mu_);
  // A second connection for the lookups every request makes (who is this token, who is this user):
  // with WAL they read the last commit while the writer's commit is being made durable.
  Mutex read_mu_;
  std::unique_ptr<store::Database> read_db_ GUARDED_BY(read_mu_);
  Clock& clock_;
  Random& random_;
};

}  // namespace quartet::governance

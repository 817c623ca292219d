// Grants: technicians ask for scoped, time-limited access to a client's resource; the client's policy
// approves at once, asks the owners, or refuses (access/grant.h holds the state machine). Owners
// approve or deny with a signature made by a registered key, review break-glass, and revoke;
// technicians end their own grants; unanswered requests expire.
//
// Thread safety: share one per process; every method may be called from any thread.
#pragma once

#include <climits>
#include <string>
#include <vector>

#include "access/grant.h"
#include "governance/committer.h"
#include "governance/permissions.h"
#include "governance/policies.h"
#include "governance/trust_statements.h"

namespace quartet::governance {

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
  // For an SSH login, the technician's public key (authorized_keys form): its fingerprint becomes
  // part of the request the owners sign. Ignored for other resources.
  std::string ssh_key;
};

struct GrantView {
  access::GrantRequest request;
  access::GrantProgress progress;
  std::string canonical_request;  // access::CanonicalRequest(request)
};

// The grant `grant` of `client` as stored, and storing one, on a connection the caller holds.
StatusOr<access::Grant> LoadGrant(store::Database& db, const std::string& client,
                                  const std::string& grant);
Status SaveGrant(store::Database& db, const access::Grant& grant);

class Grants {
 public:
  Grants(Committer& committer, Policies& policies, TrustStatements& trust)
      : committer_(committer), policies_(policies), trust_(trust) {}

  // Technicians.
  StatusOr<GrantView> RequestAccess(const Actor& actor, const AccessRequest& request);
  Status End(const Actor& actor, const std::string& client, const std::string& grant);

  // Owners. Once the client has a trust chain, an owner decides with a device key of theirs in the
  // chain; before, with a key registered to them.
  Status Decide(const Actor& actor, const std::string& client, const std::string& grant,
                access::OwnerDecision decision, const std::string& key_id, ByteView signature,
                const std::string& comment);
  Status Review(const Actor& actor, const std::string& client, const std::string& grant,
                access::BreakglassReview verdict, const std::string& comment);

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

  // Expires unanswered requests past their lifetime, in every client. Returns how many.
  StatusOr<int> ExpireStale();

 private:
  using GrantChange =
      std::function<Status(access::Grant& grant, int64_t now, std::vector<std::string>& events)>;
  // The key `owner` decides with, by its ID: from the client's trust chain once it has one.
  StatusOr<access::OwnerKey> OwnerKeyOf(store::Database& db, const std::string& client,
                                        const std::string& owner, const std::string& key_id);
  // Loads the grant, applies `change`, and stores it, in one commit with its events.
  Status Update(const std::string& client, const std::string& grant, const GrantChange& change);

  Committer& committer_;
  Policies& policies_;
  TrustStatements& trust_;
};

}  // namespace quartet::governance

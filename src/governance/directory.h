// The directory: clients, their resources and people, the provider's staff and teams, who serves
// which client, owners' keys, and on- and offboarding. A provider admin manages it; each change to
// a client is logged in that client's log.
//
// Thread safety: share one per process; every method may be called from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "access/grant.h"
#include "governance/committer.h"
#include "governance/permissions.h"
#include "governance/sessions.h"

namespace quartet::governance {

class Directory {
 public:
  Directory(Committer& committer, Sessions& sessions)
      : committer_(committer), sessions_(sessions) {}

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
  // Each client's `staff.offboarded` entry lists the credentials the leaver revealed that were not
  // rotated since: at risk until they are (the client's agent rotates those it can once the grants
  // are revoked; the others wait for someone to change them by hand).
  struct AtRisk {
    std::string client;
    std::string resource;
    std::string name;
    uint64_t version = 0;
    int64_t revealed_at = 0;
    bool rotates = false;  // the agent rotates it (a target is set)
  };
  struct Offboarded {
    int revoked = 0;  // grants
    std::vector<AtRisk> at_risk;
  };
  StatusOr<Offboarded> Offboard(const Actor& actor, const std::string& user);
  // Adds a person in one step. Provider staff get a first password and a TOTP second factor (the
  // otpauth:// URI to hand to them, once). The people of a client get no password from anyone: an
  // invitation with which they choose their own (Sessions::AcceptInvitation); `password` must be
  // empty for them.
  struct Onboarded {
    std::string totp_uri;    // provider staff
    std::string invitation;  // the people of a client: the one-time code
    int64_t invitation_expires_at = 0;
  };
  StatusOr<Onboarded> Onboard(const Actor& actor, const std::string& user, Role role,
                              const std::string& client, std::string_view password);

  // Owners: a key for signing decisions. Returns the key ID.
  StatusOr<std::string> RegisterOwnerKey(const Actor& actor, ByteView public_key);

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

 private:
  Committer& committer_;
  Sessions& sessions_;
};

}  // namespace quartet::governance

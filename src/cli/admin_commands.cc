// `quartet admin`: local administration, by whoever holds the server's data folder.
#include <iostream>

#include "base/clock.h"
#include "base/random.h"
#include "cli/commands.h"
#include "governance/access_service.h"

namespace quartet::cli {
namespace {

// Local administration acts as a provider admin named "local-admin" in the logs.
const governance::Actor kLocalAdmin{"local-admin", governance::Role::kProviderAdmin, ""};

StatusOr<std::unique_ptr<governance::AccessService>> OpenService(store::DataFolder& folder) {
  return governance::AccessService::Open(folder, Clock::System(), Random::System());
}

int Run(const std::string& data, const std::function<Status(governance::AccessService&)>& action) {
  auto folder = store::DataFolder::Open(data);
  if (!folder.ok()) return Fail(folder.status().message());
  auto service = OpenService(**folder);
  if (!service.ok()) return Fail(service.status().message());
  Status status = action(**service);
  if (!status.ok()) return Fail(status.message());
  return 0;
}

}  // namespace

int AdminAddUser(const std::string& data, const std::string& user, const std::string& role,
                 const std::string& client) {
  return Run(data, [&](governance::AccessService& service) -> Status {
    ASSIGN_OR_RETURN(governance::Role parsed, governance::RoleFromName(role));
    RETURN_IF_ERROR(service.directory().AddUser(kLocalAdmin, user, parsed, client));
    std::cout << "added " << role << " " << user << (client.empty() ? "" : " of " + client) << "\n";
    if (!governance::IsProviderRole(parsed)) {
      // The person chooses their own password and receives their own second factor with it.
      ASSIGN_OR_RETURN(std::string invitation, service.sessions().Invite(user));
      std::cout << "invitation for " << user << " (valid 7 days, for them alone): " << invitation
                << "\n"
                << "They open /#/invitation/" << invitation
                << " on the server, or run: quartet invitation accept --code " << invitation
                << "\n";
    }
    return Status::Ok();
  });
}

int AdminAddClient(const std::string& data, const std::string& tenant, const std::string& name,
                   const std::string& time_zone) {
  return Run(data, [&](governance::AccessService& service) -> Status {
    RETURN_IF_ERROR(service.directory().CreateClient(kLocalAdmin, tenant, name, time_zone));
    std::cout << "added client " << tenant << " (" << name << "), log /logs/" << tenant << "\n";
    return Status::Ok();
  });
}

int AdminAddResource(const std::string& data, const std::string& client, const std::string& name,
                     const std::string& kind, const std::vector<std::string>& labels) {
  return Run(data, [&](governance::AccessService& service) -> Status {
    ASSIGN_OR_RETURN(access::ResourceKind parsed_kind, access::ResourceKindFromName(kind));
    access::LabelSet set = 0;
    for (const std::string& label : labels) {
      ASSIGN_OR_RETURN(access::Label parsed, access::LabelFromName(label));
      set |= static_cast<access::LabelSet>(parsed);
    }
    RETURN_IF_ERROR(service.directory().AddResource(kLocalAdmin, client, name, parsed_kind, set));
    std::cout << "added " << kind << " " << name << " to " << client << "\n";
    return Status::Ok();
  });
}

int AdminRelate(const std::string& data, const std::string& client, const std::string& technician) {
  return Run(data, [&](governance::AccessService& service) -> Status {
    RETURN_IF_ERROR(service.directory().Relate(kLocalAdmin, client, technician));
    std::cout << technician << " now serves " << client << "\n";
    return Status::Ok();
  });
}

int AdminAddTeam(const std::string& data, const std::string& team) {
  return Run(data, [&](governance::AccessService& service) -> Status {
    RETURN_IF_ERROR(service.directory().AddTeam(kLocalAdmin, team));
    std::cout << "added team " << team << "\n";
    return Status::Ok();
  });
}

int AdminAddTeamMember(const std::string& data, const std::string& team,
                       const std::string& technician) {
  return Run(data, [&](governance::AccessService& service) -> Status {
    RETURN_IF_ERROR(service.directory().AddTeamMember(kLocalAdmin, team, technician));
    std::cout << technician << " is in team " << team << "\n";
    return Status::Ok();
  });
}

int AdminRelateTeam(const std::string& data, const std::string& client, const std::string& team) {
  return Run(data, [&](governance::AccessService& service) -> Status {
    RETURN_IF_ERROR(service.directory().RelateTeam(kLocalAdmin, client, team));
    std::cout << "team " << team << " now serves " << client << "\n";
    return Status::Ok();
  });
}

int AdminOffboard(const std::string& data, const std::string& user) {
  return Run(data, [&](governance::AccessService& service) -> Status {
    ASSIGN_OR_RETURN(auto offboarded, service.directory().Offboard(kLocalAdmin, user));
    std::cout << "offboarded " << user << ": " << offboarded.revoked
              << " grants revoked, every token ended\n";
    if (!offboarded.at_risk.empty())
      std::cout << "credentials " << user << " revealed and nobody has changed since:\n";
    for (const auto& credential : offboarded.at_risk) {
      std::cout << "  " << credential.client << ": " << credential.resource << "/"
                << credential.name << " version " << credential.version << " — "
                << (credential.rotates ? "the client's agent rotates it now"
                                       : "change it by hand, then store the new one")
                << "\n";
    }
    return Status::Ok();
  });
}

int AdminSetPassword(const std::string& data, const std::string& user, std::istream& in) {
  std::string password;
  if (!std::getline(in, password)) return Fail("give the new password on standard input");
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return Run(data, [&](governance::AccessService& service) -> Status {
    RETURN_IF_ERROR(service.sessions().SetPassword(user, password));
    std::cout << "password set for " << user << "\n";
    return Status::Ok();
  });
}

int AdminEnrolTotp(const std::string& data, const std::string& user) {
  return Run(data, [&](governance::AccessService& service) -> Status {
    ASSIGN_OR_RETURN(std::string uri, service.sessions().EnrolTotp(user));
    std::cout << uri << "\n";
    return Status::Ok();
  });
}

int AdminSetEmail(const std::string& data, const std::string& user, const std::string& email) {
  return Run(data, [&](governance::AccessService& service) -> Status {
    RETURN_IF_ERROR(service.outbox().SetEmail(kLocalAdmin, user, email));
    std::cout << user << " is notified at " << email << "\n";
    return Status::Ok();
  });
}

int AdminSetWebhook(const std::string& data, const std::string& client, const std::string& url) {
  return Run(data, [&](governance::AccessService& service) -> Status {
    ASSIGN_OR_RETURN(std::string secret, service.outbox().SetWebhook(kLocalAdmin, client, url));
    std::cout
        << "webhook set; check X-Quartet-Signature (HMAC-SHA256 of the body) with this secret:\n"
        << secret << "\n";
    return Status::Ok();
  });
}

int AdminCreateToken(const std::string& data, const std::string& user, int days) {
  return Run(data, [&](governance::AccessService& service) -> Status {
    ASSIGN_OR_RETURN(std::string token, service.sessions().IssueToken(user, int64_t{days} * 86400));
    std::cout << token << "\n";
    return Status::Ok();
  });
}

}  // namespace quartet::cli

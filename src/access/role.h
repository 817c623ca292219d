// Who a person is to Quartet: one of the provider's staff, or one of a client's people. The one
// list of roles; their names are how they are stored, logged and written in policies.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace quartet::access {

enum class Role : uint8_t {
  // The provider's staff.
  kTechnician,
  kSeniorTechnician,
  kProviderAdmin,
  // A client's people.
  kOwner,
  kClientStaff,
  kAuditor,
};

// By enum value: "technician", "senior-technician", "provider-admin", "owner", "client-staff",
// "auditor".
inline constexpr std::array<std::string_view, 6> kRoleNames = {
    "technician", "senior-technician", "provider-admin", "owner", "client-staff", "auditor"};

inline std::string_view RoleName(Role role) { return kRoleNames[static_cast<size_t>(role)]; }
// InvalidArgument for an unknown name.
StatusOr<Role> RoleFromName(std::string_view name);
inline bool IsProviderRole(Role role) {
  return role == Role::kProviderAdmin || role == Role::kSeniorTechnician ||
         role == Role::kTechnician;
}

}  // namespace quartet::access

#include "access/role.h"

#include <string>

namespace quartet::access {

StatusOr<Role> RoleFromName(std::string_view name) {
  for (size_t i = 0; i < kRoleNames.size(); ++i) {
    if (kRoleNames[i] == name) return static_cast<Role>(i);
  }
  return InvalidArgumentError("unknown role '" + std::string(name) + "'");
}

}  // namespace quartet::access

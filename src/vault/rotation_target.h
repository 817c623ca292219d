// Where the client's agent rotates a credential after a reveal (docs/credentials.md):
//
//   postgresql://ROLE@HOST:PORT   a PostgreSQL role, which changes its own password
//   ssh://USER@HOST:PORT          a Linux account on a host that trusts the client's SSH CA
//   ldap://HOST:PORT/DN           an LDAP account, by the password modify operation (RFC 3062)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::vault {

struct RotationTarget {
  enum class Scheme { kPostgresql, kSsh, kLdap };
  Scheme scheme = Scheme::kPostgresql;
  std::string account;  // the role, the user, or the DN
  std::string host;     // a name or an address (an IPv6 one without its brackets)
  uint16_t port = 0;
};

// InvalidArgument, naming the three forms, for anything else.
StatusOr<RotationTarget> ParseRotationTarget(std::string_view text);

}  // namespace quartet::vault

// Where a credential rotates comes from the client's log, which the server writes: any bytes must
// parse to a target or to a clear error, and a target that parses says the same when written out
// again (vault/rotation_target.h).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vault/rotation_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using quartet::vault::RotationTarget;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto target = quartet::vault::ParseRotationTarget(text);
  if (!target.ok()) {
    if (target.status().message().find("rotation target") == std::string::npos) std::abort();
    return 0;
  }
  if (target->account.empty() || target->host.empty() || target->port == 0) std::abort();
  const bool v6 = target->host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + target->host + "]" : target->host;
  const std::string port = std::to_string(target->port);
  std::string again;
  switch (target->scheme) {
    case RotationTarget::Scheme::kPostgresql:
      again = "postgresql://" + target->account + "@" + host + ":" + port;
      break;
    case RotationTarget::Scheme::kSsh:
      again = "ssh://" + target->account + "@" + host + ":" + port;
      break;
    case RotationTarget::Scheme::kLdap:
      again = "ldap://" + host + ":" + port + "/" + target->account;
      break;
  }
  auto reparsed = quartet::vault::ParseRotationTarget(again);
  if (!reparsed.ok() || reparsed->scheme != target->scheme ||
      reparsed->account != target->account || reparsed->host != target->host ||
      reparsed->port != target->port)
    std::abort();
  return 0;
}

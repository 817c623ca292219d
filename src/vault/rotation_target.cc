#include "vault/rotation_target.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "base/bytes.h"
#include "base/utf8.h"

namespace quartet::vault {
namespace {

bool IsAccountName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

// HOST:PORT, with HOST a name, an IPv4 address or a bracketed IPv6 one.
bool ParseHostPort(std::string_view text, RotationTarget& target) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = text.substr(0, colon);
  auto port = ParseDecimal(text.substr(colon + 1));
  if (!port.ok() || *port == 0 || *port > 65535) return false;
  target.port = static_cast<uint16_t>(*port);
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() <= 2) return false;
    host = host.substr(1, host.size() - 2);
    // Brackets hold an IPv6 address and nothing else.
    in6_addr address{};
    if (host.size() > 45 || ::inet_pton(AF_INET6, std::string(host).c_str(), &address) != 1)
      return false;
  } else if (host.size() > 253 || !std::all_of(host.begin(), host.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-';
             })) {
    return false;
  }
  target.host = std::string(host);
  return true;
}

}  // namespace

StatusOr<RotationTarget> ParseRotationTarget(std::string_view text) {
  const Status bad = InvalidArgumentError(
      "a rotation target is postgresql://ROLE@HOST:PORT, ssh://USER@HOST:PORT or "
      "ldap://HOST:PORT/DN");
  if (text.size() > 512 || !IsValidUtf8(text) || std::any_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      }))
    return bad;
  RotationTarget target;
  for (auto [scheme, kind] :
       {std::pair{std::string_view("postgresql://"), RotationTarget::Scheme::kPostgresql},
        std::pair{std::string_view("ssh://"), RotationTarget::Scheme::kSsh}}) {
    if (!text.starts_with(scheme)) continue;
    const std::string_view rest = text.substr(scheme.size());
    const size_t at = rest.find('@');
    if (at == std::string_view::npos || !IsAccountName(rest.substr(0, at)) ||
        !ParseHostPort(rest.substr(at + 1), target))
      return bad;
    target.scheme = kind;
    target.account = std::string(rest.substr(0, at));
    return target;
  }
  if (text.starts_with("ldap://")) {
    const std::string_view rest = text.substr(7);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos || !ParseHostPort(rest.substr(0, slash), target) ||
        rest.size() == slash + 1 || rest.substr(slash + 1).find('=') == std::string_view::npos)
      return bad;
    target.scheme = RotationTarget::Scheme::kLdap;
    target.account = std::string(rest.substr(slash + 1));
    return target;
  }
  return bad;
}

}  // namespace quartet::vault

// Changing a credential's secret on the system it opens (vault/rotation_target.h), as the client's
// agent does when the grant a secret was revealed under is over (agent/agent.h). Each rotator logs
// in with the secret it replaces and sets the next one; none of them writes a secret anywhere but
// to the target, over its own protocol.
//
//   PostgreSQL  libpq: the role connects with its password and changes it itself (ALTER ROLE
//               CURRENT_USER) to a SCRAM-SHA-256 verifier computed on this side, as psql's
//               \password does, so that the new password never crosses the wire in clear.
//   LDAP        libldap: binds as the account and changes its password with the password modify
//               extended operation (RFC 3062).
//   SSH         OpenSSH's ssh: logs in as the account with a short certificate that `certify`
//               signs for a key made for this one login, and runs passwd, which reads the old and
//               new password from its standard input.
//
// Rotate is idempotent: when the target already takes `next` (a rotation the agent applied and
// could not record before a crash), it succeeds without changing anything.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/random.h"
#include "base/status.h"
#include "ssh/key.h"
#include "vault/rotation_target.h"

namespace quartet::rotation {

class Rotator {
 public:
  virtual ~Rotator() = default;
  // Sets `next` as the secret of the target's account, logging in with `current`.
  virtual Status Rotate(const vault::RotationTarget& target, std::string_view current,
                        std::string_view next) = 0;
};

std::unique_ptr<Rotator> PostgresqlRotator(std::chrono::seconds timeout = std::chrono::seconds(10));
std::unique_ptr<Rotator> LdapRotator(std::chrono::seconds timeout = std::chrono::seconds(10));

// The certificate for one login as `user` with `key`: its text in authorized_keys form, or why
// not. The agent signs it with the client's CA and records it.
using Certify =
    std::function<StatusOr<std::string>(const ssh::PublicKey& key, const std::string& user)>;
struct SshOptions {
  Certify certify;
  std::string work_directory;  // where the one-time key lives for the login (mode 0700)
  std::string known_hosts;     // the hosts' keys, learnt on first contact
  std::chrono::seconds timeout{20};
};
std::unique_ptr<Rotator> SshRotator(SshOptions options, Random& random);

// Rotators for each scheme; Rotate picks by the target's.
struct Rotators {
  std::unique_ptr<Rotator> postgresql;
  std::unique_ptr<Rotator> ssh;
  std::unique_ptr<Rotator> ldap;

  Status Rotate(const vault::RotationTarget& target, std::string_view current,
                std::string_view next) const;
};

// A fresh secret for a rotation: 32 characters of letters and digits (190 bits).
std::string NewSecret(Random& random);

}  // namespace quartet::rotation

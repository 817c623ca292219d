#include "rotation/rotator.h"

#include "base/bytes.h"

namespace quartet::rotation {

Status Rotators::Rotate(const vault::RotationTarget& target, std::string_view current,
                        std::string_view next) const {
  Rotator* rotator = nullptr;
  switch (target.scheme) {
    case vault::RotationTarget::Scheme::kPostgresql:
      rotator = postgresql.get();
      break;
    case vault::RotationTarget::Scheme::kSsh:
      rotator = ssh.get();
      break;
    case vault::RotationTarget::Scheme::kLdap:
      rotator = ldap.get();
      break;
  }
  if (rotator == nullptr) return FailedPreconditionError("this agent does not rotate such targets");
  return rotator->Rotate(target, current, next);
}

std::string NewSecret(Random& random) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string secret;
  while (secret.size() < 32) {
    Bytes bytes(64);
    random.Fill(bytes);
    for (uint8_t byte : bytes) {
      // 62 letters and digits: bytes below 248 = 4 * 62 map without bias.
      if (byte < 248 && secret.size() < 32) secret.push_back(kAlphabet[byte % 62]);
    }
  }
  return secret;
}

}  // namespace quartet::rotation

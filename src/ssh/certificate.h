// OpenSSH certificates (PROTOCOL.certkeys), ssh-ed25519-cert-v01@openssh.com only: subject and CA
// keys are both Ed25519. The certificate blob is
//   string "ssh-ed25519-cert-v01@openssh.com" || string nonce || string subject key (32 bytes)
//   || uint64 serial || uint32 type || string key id || string principals (strings)
//   || uint64 valid after || uint64 valid before || string critical options || string extensions
//   || string reserved || string CA key blob || string signature
// and the signature (string "ssh-ed25519" || string 64-byte signature) is the CA's over every byte
// before the signature field. Critical options and extensions are (string name, string data)
// pairs in strictly increasing name order; a value is carried as a string nested in the data, and
// a flag (no value) as empty data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/random.h"
#include "base/status.h"
#include "ssh/key.h"

namespace quartet::ssh {

inline constexpr std::string_view kEd25519CertType = "ssh-ed25519-cert-v01@openssh.com";
inline constexpr uint32_t kUserCertificate = 1;
inline constexpr uint32_t kHostCertificate = 2;

// What a CA asserts in a user certificate.
struct CertificateTemplate {
  PublicKey subject;
  uint64_t serial = 0;
  std::string key_id;
  // The user names the certificate is valid for. sshd refuses a certificate with none.
  std::vector<std::string> principals;
  // Seconds since the epoch: valid from valid_after (inclusive) to valid_before (exclusive).
  uint64_t valid_after = 0;
  uint64_t valid_before = 0;
  // Name and value, e.g. {"force-command", "/usr/bin/true"}; an empty value is written as a flag.
  // Any order: they are sorted on output.
  std::vector<std::pair<std::string, std::string>> critical_options;
  // Flag extensions such as "permit-pty". Any order: they are sorted on output.
  std::vector<std::string> extensions;
};

// A user certificate (type 1) for `t.subject` signed by `ca`, as one public key line
// "ssh-ed25519-cert-v01@openssh.com AAAA...[ comment]" (no newline) that ssh-keygen and sshd
// accept. The 32-byte nonce comes from `random`. InvalidArgument for no principals, an empty
// principal, an empty key id, valid_after >= valid_before, an empty or repeated option or
// extension name, or a NUL byte in any of these strings.
StatusOr<std::string> SignUserCertificate(const CertificateTemplate& t, const KeyPair& ca,
                                          Random& random, std::string_view comment);

struct Certificate {
  PublicKey subject;
  PublicKey ca;
  Bytes nonce;
  uint64_t serial = 0;
  uint32_t type = 0;  // kUserCertificate or kHostCertificate
  std::string key_id;
  std::vector<std::string> principals;
  uint64_t valid_after = 0;
  uint64_t valid_before = 0;
  // Name and value (empty for a flag), in the certificate's (sorted) order.
  std::vector<std::pair<std::string, std::string>> critical_options;
  std::vector<std::pair<std::string, std::string>> extensions;
  std::string comment;
};

// Parses a certificate line (as SignUserCertificate or `ssh-keygen -s` writes it; one trailing
// newline is allowed) and checks the CA's signature. InvalidArgument for anything malformed:
// another key type, truncated or trailing bytes anywhere, a CA or subject key that is not
// ssh-ed25519 or not a valid point, an unknown certificate type, options or extensions out of
// order or repeated; Unauthenticated for a signature that does not verify. It does not judge
// validity times or principals: that is for the caller.
StatusOr<Certificate> ParseCertificate(std::string_view line);

}  // namespace quartet::ssh

// OpenSSH key revocation lists (PROTOCOL.krl), as sshd's RevokedKeys and `ssh-keygen -Q` read
// them. Only what a certificate authority needs: revoking its certificates by serial number.
//
//   uint64 KRL_MAGIC ("SSHKRL\n\0") || uint32 format version 1 || uint64 krl_version
//   || uint64 generated_date || uint64 flags (0) || string reserved (empty) || string comment
//   then, if any serial is revoked, one section:
//   byte 1 (KRL_SECTION_CERTIFICATES) || string(string CA key blob || string reserved (empty)
//       || byte 0x20 (KRL_SECTION_CERT_SERIAL_LIST) || string(uint64 serial, ... ascending))
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "ssh/key.h"

namespace quartet::ssh {

// A KRL revoking the certificates `ca` signed with the given serials (in any order; repeats are
// dropped). With no serials it revokes nothing. `krl_version` should grow with each new KRL;
// `generated_at` is seconds since the epoch. InvalidArgument for serial 0, which OpenSSH cannot
// revoke by serial (revoke such certificates by key id or key instead).
StatusOr<Bytes> BuildKrl(const PublicKey& ca, std::vector<uint64_t> serials, uint64_t krl_version,
                         uint64_t generated_at, std::string_view comment);

}  // namespace quartet::ssh

#include "ssh/krl.h"

#include <algorithm>

#include "ssh/wire.h"

namespace quartet::ssh {
namespace {

constexpr uint64_t kKrlMagic = 0x5353484b524c0a00;  // "SSHKRL\n\0"
constexpr uint32_t kKrlFormatVersion = 1;
constexpr uint8_t kSectionCertificates = 1;
constexpr uint8_t kSectionCertSerialList = 0x20;

}  // namespace

StatusOr<Bytes> BuildKrl(const PublicKey& ca, std::vector<uint64_t> serials, uint64_t krl_version,
                         uint64_t generated_at, std::string_view comment) {
  std::sort(serials.begin(), serials.end());
  serials.erase(std::unique(serials.begin(), serials.end()), serials.end());
  if (!serials.empty() && serials.front() == 0) {
    return InvalidArgumentError("serial 0 cannot be revoked by serial number");
  }

  Bytes krl;
  PutUint64(krl, kKrlMagic);
  PutUint32(krl, kKrlFormatVersion);
  PutUint64(krl, krl_version);
  PutUint64(krl, generated_at);
  PutUint64(krl, 0);   // flags
  PutString(krl, "");  // reserved
  PutString(krl, comment);
  if (serials.empty()) return krl;

  Bytes serial_list;
  for (uint64_t serial : serials) PutUint64(serial_list, serial);
  Bytes section;
  PutString(section, PublicKeyBlob(ca));
  PutString(section, "");  // reserved
  section.push_back(kSectionCertSerialList);
  PutString(section, serial_list);
  krl.push_back(kSectionCertificates);
  PutString(krl, section);
  return krl;
}

}  // namespace quartet::ssh

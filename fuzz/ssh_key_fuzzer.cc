// libFuzzer harness for the OpenSSH key and certificate parsers (src/ssh): ParsePublicKey,
// ParseCertificate and KeyPair::ParsePrivateKeyFile on the input as text, and the public key and
// certificate blob parsers on the input as binary (base64-encoded into a line, so that the fuzzer
// reaches past the base64 layer). Besides not crashing, what parses must format back to text that
// parses to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/random.h"
#include "ssh/certificate.h"
#include "ssh/key.h"

namespace {

namespace ssh = quartet::ssh;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckPublicKey(std::string_view line) {
  const auto key = ssh::ParsePublicKey(line);
  if (!key.ok()) return;
  const auto again = ssh::ParsePublicKey(ssh::FormatPublicKey(*key, "comment"));
  Check(again.ok() && *again == *key);
  Check(ssh::Fingerprint(*key).size() == 7 + 43);
}

void CheckCertificate(std::string_view line) {
  const auto cert = ssh::ParseCertificate(line);
  if (!cert.ok()) return;
  Check(cert->type == ssh::kUserCertificate || cert->type == ssh::kHostCertificate);
  for (size_t i = 1; i < cert->extensions.size(); ++i) {
    Check(cert->extensions[i - 1].first < cert->extensions[i].first);
  }
  for (size_t i = 1; i < cert->critical_options.size(); ++i) {
    Check(cert->critical_options[i - 1].first < cert->critical_options[i].first);
  }
}

void CheckPrivateKeyFile(std::string_view text) {
  const auto pair = ssh::KeyPair::ParsePrivateKeyFile(text);
  if (!pair.ok()) return;
  quartet::FakeRandom random(1);
  const auto again = ssh::KeyPair::ParsePrivateKeyFile(pair->PrivateKeyFile("comment", random));
  Check(again.ok() && again->Seed() == pair->Seed() && again->public_key() == pair->public_key());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckPublicKey(input);
  CheckCertificate(input);
  CheckPrivateKeyFile(input);

  const std::string base64 = quartet::Base64Encode(quartet::ByteView(data, size));
  CheckPublicKey(std::string(ssh::kEd25519KeyType) + " " + base64);
  CheckCertificate(std::string(ssh::kEd25519CertType) + " " + base64);
  return 0;
}

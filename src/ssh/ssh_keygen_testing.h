// Test helpers for checking this folder's formats against the real OpenSSH tools.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/random.h"
#include "base/temp_directory_testing.h"
#include "ssh/key.h"
#include "tests/subprocess.h"

namespace quartet::ssh::testing {

// Writes `contents` to `folder`/`name` with `mode` and returns the file's path. Throws on failure.
std::string WriteTestFile(const std::filesystem::path& folder, const std::string& name,
                          std::string_view contents, mode_t mode = 0600);
inline std::string WriteTestFile(const std::filesystem::path& folder, const std::string& name,
                                 ByteView contents, mode_t mode = 0600) {
  return WriteTestFile(folder, name, AsChars(contents), mode);
}
// The contents of `folder`/`name`. Throws on failure.
std::string ReadTestFile(const std::filesystem::path& folder, const std::string& name);

// Whether /usr/bin/ssh-keygen exists; tests skip themselves without it.
bool HaveSshKeygen();
// In a test body: skips the test when ssh-keygen is missing.
#define REQUIRE_SSH_KEYGEN()                     \
  if (!::quartet::ssh::testing::HaveSshKeygen()) \
  GTEST_SKIP() << "/usr/bin/ssh-keygen is not installed"
// Runs /usr/bin/ssh-keygen with `args`, in the UTC time zone so that printed times are stable.
quartet::testing::RunResult SshKeygen(const std::vector<std::string>& args);

// Hands out the given bytes, then zeros: to reproduce a file whose random parts are known.
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(Bytes bytes) : bytes_(std::move(bytes)) {}
  void Fill(std::span<uint8_t> out) override;

 private:
  Bytes bytes_;
  size_t next_ = 0;
};

// The same Ed25519 key pair for the same seed, every run.
KeyPair TestKey(uint64_t seed);

}  // namespace quartet::ssh::testing

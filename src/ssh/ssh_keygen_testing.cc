#include "ssh/ssh_keygen_testing.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace quartet::ssh::testing {

constexpr char kSshKeygen[] = "/usr/bin/ssh-keygen";

std::string WriteTestFile(const std::filesystem::path& folder, const std::string& name,
                          std::string_view contents, mode_t mode) {
  const std::string file = (folder / name).string();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out) throw std::runtime_error("cannot write " + file);
  }
  if (::chmod(file.c_str(), mode) != 0) throw std::runtime_error("cannot chmod " + file);
  return file;
}

std::string ReadTestFile(const std::filesystem::path& folder, const std::string& name) {
  std::ifstream in(folder / name, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool HaveSshKeygen() { return ::access(kSshKeygen, X_OK) == 0; }

quartet::testing::RunResult SshKeygen(const std::vector<std::string>& args) {
  ::setenv("TZ", "UTC", 1);  // inherited by the child
  std::vector<std::string> argv = {kSshKeygen};
  argv.insert(argv.end(), args.begin(), args.end());
  return quartet::testing::RunProcess(argv);
}

void FixedRandom::Fill(std::span<uint8_t> out) {
  for (uint8_t& byte : out) byte = next_ < bytes_.size() ? bytes_[next_++] : 0;
}

KeyPair TestKey(uint64_t seed) {
  FakeRandom random(seed);
  return KeyPair::Generate(random);
}

}  // namespace quartet::ssh::testing

#include "tests/test_util.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace quartet::testing {

void WriteTextFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

RunningServer::RunningServer(const std::string& data)
    : process_(Subprocess::Start({QuartetBinary(), "server", "--data", data, "--listen", "127.0.0.1:0"})) {
  auto line = process_.ReadLine(std::chrono::seconds(20));
  const std::string prefix = "quartet server listening on ";
  if (!line.has_value() || line->rfind(prefix, 0) != 0) {
    process_.Signal(SIGKILL);
    throw std::runtime_error("server did not start: " + line.value_or("(no output)") + " " +
                             process_.Stderr());
  }
  url_ = line->substr(prefix.size());
}

RunningServer::~RunningServer() { Stop(); }

int RunningServer::Stop() {
  process_.Signal(SIGTERM);
  return process_.Wait();
}

}  // namespace quartet::testing

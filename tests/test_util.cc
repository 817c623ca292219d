#include "tests/test_util.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

namespace quartet::testing {
namespace {

// GoogleTest reports the tests of a suite whose SetUpTestSuite failed as skipped, and CTest counts
// a skipped test as no failure. Called before the default printer's (end events go to listeners
// in reverse order), this ends such a run as failed before "skipped" is printed.
class SetUpFailureFails : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& info) override {
    const ::testing::TestSuite* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
    if (!info.result()->Skipped() || suite == nullptr || !suite->ad_hoc_test_result().Failed())
      return;
    std::fprintf(stderr, "[  FAILED  ] %s.%s: the suite's set-up failed (above)\n",
                 info.test_suite_name(), info.name());
    std::fflush(nullptr);
    std::_Exit(1);
  }
};

const bool kSetUpFailureFails = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new SetUpFailureFails);
  return true;
}();

}  // namespace

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

std::string InitLog(const std::string& data, const std::string& tenant) {
  auto init = RunProcess({QuartetBinary(), "log", "init", "--data", data, "--tenant", tenant,
                          "--origin", "example.test/logs/" + tenant});
  if (init.status != 0) throw std::runtime_error("log init failed: " + init.err);
  return init.out.substr(0, init.out.find('\n'));
}

RunResult AppendLines(const std::string& data, const std::string& tenant, const std::string& input,
                      const std::string& scratch) {
  WriteTextFile(scratch, input);
  return RunProcess({QuartetBinary(), "log", "append", "--data", data, "--tenant", tenant},
                    scratch);
}

namespace {

std::vector<std::string> ServerArguments(const std::string& data,
                                         const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {QuartetBinary(), "server",     "--data", data,
                                   "--listen",      "127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

}  // namespace

RunningServer::RunningServer(const std::string& data, const std::vector<std::string>& extra)
    : process_(Subprocess::Start(ServerArguments(data, extra))) {
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

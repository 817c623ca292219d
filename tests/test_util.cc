#include "tests/test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace quartet::testing {
namespace {

// GoogleTest reports the tests of a suite whose SetUpTestSuite failed as skipped, and CTest counts
// a skipped test as no failure. This stands in for the default printer and says "failed" for
// them instead (the run's exit status is a failure already); the suite still tears down.
class SetUpFailureFails : public ::testing::TestEventListener {
 public:
  explicit SetUpFailureFails(::testing::TestEventListener* printer) : printer_(printer) {}

  void OnTestProgramStart(const ::testing::UnitTest& unit) override {
    printer_->OnTestProgramStart(unit);
  }
  void OnTestIterationStart(const ::testing::UnitTest& unit, int iteration) override {
    printer_->OnTestIterationStart(unit, iteration);
  }
  void OnEnvironmentsSetUpStart(const ::testing::UnitTest& unit) override {
    printer_->OnEnvironmentsSetUpStart(unit);
  }
  void OnEnvironmentsSetUpEnd(const ::testing::UnitTest& unit) override {
    printer_->OnEnvironmentsSetUpEnd(unit);
  }
  void OnTestSuiteStart(const ::testing::TestSuite& suite) override {
    printer_->OnTestSuiteStart(suite);
  }
  void OnTestStart(const ::testing::TestInfo& info) override { printer_->OnTestStart(info); }
  void OnTestDisabled(const ::testing::TestInfo& info) override { printer_->OnTestDisabled(info); }
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    printer_->OnTestPartResult(result);
  }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    const ::testing::TestSuite* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
    if (info.result()->Skipped() && suite != nullptr && suite->ad_hoc_test_result().Failed()) {
      set_up_failed_ = true;
      std::printf("[  FAILED  ] %s.%s: the suite's set-up failed (above)\n", info.test_suite_name(),
                  info.name());
      return;
    }
    printer_->OnTestEnd(info);
  }
  void OnTestSuiteEnd(const ::testing::TestSuite& suite) override {
    printer_->OnTestSuiteEnd(suite);
  }
  void OnEnvironmentsTearDownStart(const ::testing::UnitTest& unit) override {
    printer_->OnEnvironmentsTearDownStart(unit);
  }
  void OnEnvironmentsTearDownEnd(const ::testing::UnitTest& unit) override {
    printer_->OnEnvironmentsTearDownEnd(unit);
  }
  void OnTestIterationEnd(const ::testing::UnitTest& unit, int iteration) override {
    // The summary would list those tests as skipped.
    if (set_up_failed_) {
      std::printf("[  FAILED  ] a suite's set-up failed\n");
      std::fflush(stdout);
      return;
    }
    printer_->OnTestIterationEnd(unit, iteration);
  }
  void OnTestProgramEnd(const ::testing::UnitTest& unit) override {
    printer_->OnTestProgramEnd(unit);
  }

 private:
  std::unique_ptr<::testing::TestEventListener> printer_;
  bool set_up_failed_ = false;
};

const bool kSetUpFailureFails = [] {
  ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
  ::testing::TestEventListener* printer = listeners.Release(listeners.default_result_printer());
  if (printer != nullptr) listeners.Append(new SetUpFailureFails(printer));
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

bool WaitFor(const std::function<bool()>& condition, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

std::string InitLog(const std::string& data, const std::string& tenant, bool open) {
  std::vector<std::string> argv = {QuartetBinary(), "log",      "init",
                                   "--data",        data,       "--tenant",
                                   tenant,          "--origin", "example.test/logs/" + tenant};
  if (open) argv.push_back("--open");
  auto init = RunProcess(argv);
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
                                         const std::vector<std::string>& extra,
                                         const std::vector<std::string>& launcher) {
  std::vector<std::string> argv = launcher;
  argv.insert(argv.end(), {QuartetBinary(), "server", "--data", data, "--listen", "127.0.0.1:0"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

}  // namespace

RunningServer::RunningServer(const std::string& data, const std::vector<std::string>& extra,
                             const std::vector<std::string>& launcher)
    : process_(Subprocess::Start(ServerArguments(data, extra, launcher))) {
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

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace quartet::testing

// Runs the real `quartet` binary (or any program) as a child process for integration tests.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace quartet::testing {

class Subprocess {
 public:
  // Starts `argv` with stdin from `stdin_path` (or /dev/null) and stdout/stderr captured.
  static Subprocess Start(const std::vector<std::string>& argv, const std::string& stdin_path = "");
  ~Subprocess();
  Subprocess(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Reads one line of stdout, waiting at most `timeout`. nullopt on end of file or time-out.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);
  void Signal(int signal_number);
  pid_t pid() const { return pid_; }
  // Waits for exit; returns the exit status, or 128 + signal number.
  int Wait();
  // All of stdout not yet read, and all of stderr, once the process has exited.
  std::string RemainingStdout();
  std::string Stderr();

 private:
  Subprocess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string buffer_;
  std::optional<int> status_;
};

struct RunResult {
  int status = 0;
  std::string out;
  std::string err;
};

// Runs to completion.
RunResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_path = "");

// The `quartet` binary under test: $QUARTET_BINARY, or the one this build made.
std::string QuartetBinary();
// A fresh empty directory under the system temporary folder.
std::string FreshDirectory(const std::string& name);

}  // namespace quartet::testing

#include "tests/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "base/temp_directory_testing.h"

namespace quartet::testing {
namespace {

std::string ReadAll(int fd) {
  std::string out;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

Subprocess Subprocess::Start(const std::vector<std::string>& argv, const std::string& stdin_path) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int in = ::open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());  // a bare name is looked up in PATH
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  Subprocess process;
  process.pid_ = pid;
  process.stdout_fd_ = out_pipe[0];
  process.stderr_fd_ = err_pipe[0];
  return process;
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(other.pid_),
      stdout_fd_(other.stdout_fd_),
      stderr_fd_(other.stderr_fd_),
      buffer_(std::move(other.buffer_)),
      status_(other.status_) {
  other.pid_ = -1;
  other.stdout_fd_ = other.stderr_fd_ = -1;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !status_.has_value()) {
    ::kill(pid_, SIGKILL);
    Wait();
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (stderr_fd_ >= 0) ::close(stderr_fd_);
}

std::optional<std::string> Subprocess::ReadLine(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (size_t newline = buffer_.find('\n'); newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd fd{stdout_fd_, POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[4096];
    ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0) return std::nullopt;
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

void Subprocess::Signal(int signal_number) {
  if (pid_ > 0 && !status_.has_value()) ::kill(pid_, signal_number);
}

int Subprocess::Wait() {
  if (status_.has_value()) return *status_;
  int raw = 0;
  while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
  }
  status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  return *status_;
}

std::string Subprocess::RemainingStdout() {
  std::string out = std::move(buffer_);
  buffer_.clear();
  return out + ReadAll(stdout_fd_);
}

std::string Subprocess::Stderr() { return ReadAll(stderr_fd_); }

RunResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_path) {
  Subprocess process = Subprocess::Start(argv, stdin_path);
  RunResult result;
  // Read stdout fully before waiting, so that a chatty child cannot block on a full pipe.
  result.out = process.RemainingStdout();
  result.err = process.Stderr();
  result.status = process.Wait();
  return result;
}

std::string QuartetBinary() {
  const char* binary = std::getenv("QUARTET_BINARY");
  return binary != nullptr ? binary : QUARTET_BINARY_PATH;
}

std::string FreshDirectory(const std::string& name) {
  return FreshTempDirectory("quartet-" + name).string();
}

}  // namespace quartet::testing

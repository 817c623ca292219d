// SSH: log in with a one-login certificate and change the account's password with passwd
// (rotator.h).
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "base/bytes.h"
#include "base/file_system.h"
#include "rotation/rotator.h"
#include "vault/credential.h"

namespace quartet::rotation {
namespace {

struct Ran {
  int status = -1;     // the exit status; -1 when killed at the time-out
  std::string output;  // stdout and stderr together
};

// Runs `argv` with `input` on its standard input, for at most `timeout`.
StatusOr<Ran> RunWithInput(const std::vector<std::string>& argv, std::string_view input,
                           std::chrono::seconds timeout) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return InternalError("pipe: " + std::string(strerror(errno)));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return InternalError("pipe: " + std::string(strerror(errno)));
  }
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t child = ::fork();
  if (child == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  if (child < 0) {
    ::close(in[1]);
    ::close(out[0]);
    return InternalError("fork: " + std::string(strerror(errno)));
  }
  // A child that exits before reading all of its input must not kill the agent: SIGPIPE is held
  // back for this thread while it writes, and any raised is taken before it is let through.
  sigset_t pipe_signal, previous;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
  Ran ran;
  size_t written = 0;
  int to_child = in[1];
  if (input.empty()) {
    ::close(to_child);
    to_child = -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool open = true;
  while (open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {to_child, POLLOUT, 0}};
    if (::poll(fds, to_child >= 0 ? 2 : 1, static_cast<int>(left.count())) < 0 && errno != EINTR)
      break;
    if (to_child >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      const ssize_t n = ::write(to_child, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 || written == input.size()) {
        ::close(to_child);
        to_child = -1;
      }
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      char buffer[4096];
      const ssize_t n = ::read(out[0], buffer, sizeof buffer);
      if (n > 0 && ran.output.size() < 65536) ran.output.append(buffer, static_cast<size_t>(n));
      if (n == 0 || (n < 0 && errno != EINTR)) open = false;
    }
  }
  if (to_child >= 0) ::close(to_child);
  ::close(out[0]);
  sigset_t pending;
  if (::sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
    const timespec none{0, 0};
    (void)::sigtimedwait(&pipe_signal, nullptr, &none);
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (open) ::kill(child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  ran.status = open ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return ran;
}

std::string LastLine(std::string_view output) {
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r'))
    output.remove_suffix(1);
  const size_t newline = output.find_last_of('\n');
  return std::string(newline == std::string_view::npos ? output : output.substr(newline + 1));
}

class SshRotatorImpl final : public Rotator {
 public:
  SshRotatorImpl(SshOptions options, Random& random)
      : options_(std::move(options)), random_(random) {}

  Status Rotate(const vault::RotationTarget& target, std::string_view current,
                std::string_view next) override {
    const ssh::KeyPair key = ssh::KeyPair::Generate(random_);
    ASSIGN_OR_RETURN(const std::string certificate,
                     options_.certify(key.public_key(), target.account));
    Bytes name(8);
    random_.Fill(name);
    const std::string path = options_.work_directory + "/rotation-" + HexEncode(name);
    RETURN_IF_ERROR(FileSystem::Posix().CreateDirectories(options_.work_directory));
    ::chmod(options_.work_directory.c_str(), 0700);
    struct Remove {
      std::string path;
      ~Remove() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        std::filesystem::remove(path + "-cert.pub", ignored);
      }
    } remove{path};
    RETURN_IF_ERROR(WriteSecretFile(path, key.PrivateKeyFile("quartet rotation", random_)));
    RETURN_IF_ERROR(WriteSecretFile(path + "-cert.pub", certificate + "\n"));
    // Root sets a password without giving the old one; anyone else gives it first.
    const bool root = target.account == "root";
    std::string input =
        root ? std::string(next) + "\n" + std::string(next) + "\n"
             : std::string(current) + "\n" + std::string(next) + "\n" + std::string(next) + "\n";
    vault::WipeOnExit wipe{input};
    ASSIGN_OR_RETURN(Ran changed, Ssh(target, path, input));
    if (changed.status == 0) return Status::Ok();
    if (changed.status == 255 || changed.status == -1)
      return UnavailableError("ssh to " + target.account + "@" + target.host + ":" +
                              std::to_string(target.port) + " failed: " + LastLine(changed.output));
    if (!root) {
      // Applied before the agent could record it: passwd takes the next password as the current
      // one (and asks for a new one, which it does not get).
      std::string probe = std::string(next) + "\n";
      vault::WipeOnExit wipe_probe{probe};
      ASSIGN_OR_RETURN(Ran already, Ssh(target, path, probe));
      if (already.output.find("New password:") != std::string::npos) return Status::Ok();
    }
    return FailedPreconditionError("passwd on " + target.host + " did not change the password of " +
                                   target.account + ": " + LastLine(changed.output));
  }

 private:
  static Status WriteSecretFile(const std::string& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return InternalError("cannot write " + path + ": " + strerror(errno));
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!ok) return InternalError("cannot write " + path);
    return Status::Ok();
  }

  StatusOr<Ran> Ssh(const vault::RotationTarget& target, const std::string& key,
                    std::string_view input) const {
    return RunWithInput({"ssh",
                         "-F",
                         "/dev/null",
                         "-T",
                         "-i",
                         key,
                         "-o",
                         "CertificateFile=" + key + "-cert.pub",
                         "-o",
                         "IdentitiesOnly=yes",
                         "-o",
                         "BatchMode=yes",
                         "-o",
                         "StrictHostKeyChecking=accept-new",
                         "-o",
                         "UserKnownHostsFile=" + options_.known_hosts,
                         "-o",
                         "ConnectTimeout=" + std::to_string(options_.timeout.count()),
                         "-o",
                         "LogLevel=ERROR",
                         "-p",
                         std::to_string(target.port),
                         "-l",
                         target.account,
                         "--",
                         target.host,
                         "LC_ALL=C passwd"},
                        input, options_.timeout);
  }

  const SshOptions options_;
  Random& random_;
};

}  // namespace

std::unique_ptr<Rotator> SshRotator(SshOptions options, Random& random) {
  return std::make_unique<SshRotatorImpl>(std::move(options), random);
}

}  // namespace quartet::rotation

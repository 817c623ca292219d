// Helpers shared by the integration tests: files, the running server, JSON lines.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "tests/subprocess.h"

namespace quartet::testing {

void WriteTextFile(const std::string& path, const std::string& contents);
std::string ReadTextFile(const std::string& path);

// `quartet log init` of `tenant` (origin example.test/logs/<tenant>) in `data`: the verifier key.
// Whether `condition` holds within `timeout`, asked every 100 ms.
bool WaitFor(const std::function<bool()>& condition, std::chrono::seconds timeout);
// A TCP port on 127.0.0.1 that was free a moment ago, for a server a test starts.
int FreePort();

// With `open`, anyone may read the log once it is served (`quartet log init --open`).
std::string InitLog(const std::string& data, const std::string& tenant, bool open = true);
// `quartet log append` of `input` (JSON lines), written first to `scratch`.
RunResult AppendLines(const std::string& data, const std::string& tenant, const std::string& input,
                      const std::string& scratch);

// `quartet server` on 127.0.0.1:0 (with `extra` options), stopped with SIGTERM when destroyed.
class RunningServer {
 public:
  // `launcher`: a command line that runs the server, e.g. {"prlimit", "--nofile=64", "--"}.
  explicit RunningServer(const std::string& data, const std::vector<std::string>& extra = {},
                         const std::vector<std::string>& launcher = {});
  ~RunningServer();
  const std::string& url() const { return url_; }
  std::string host() const { return "127.0.0.1"; }
  std::string port() const { return url_.substr(url_.rfind(':') + 1); }
  // SIGTERM and wait: the exit status.
  int Stop();
  Subprocess& process() { return process_; }

 private:
  Subprocess process_;
  std::string url_;
};

}  // namespace quartet::testing

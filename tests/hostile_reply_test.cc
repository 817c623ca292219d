// A server that answers with JSON of the wrong shape, or no JSON at all: the CLI says so and exits
// with an error, never crashes. The "server" is a bare loopback socket that gives every request
// the same canned reply.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/subprocess.h"

namespace quartet::testing {
namespace {

class CannedServer {
 public:
  explicit CannedServer(std::string body) : body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CannedServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void Serve() {
    while (!stop_) {
      pollfd poll_fd{fd_, POLLIN, 0};
      if (::poll(&poll_fd, 1, 50) <= 0) continue;
      const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        pollfd read_fd{client, POLLIN, 0};
        if (::poll(&read_fd, 1, 2000) <= 0) break;
        const ssize_t got = ::read(client, buffer, sizeof buffer);
        if (got <= 0) break;
        request.append(buffer, static_cast<size_t>(got));
      }
      const std::string reply =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
          "Connection: close\r\nContent-Length: " +
          std::to_string(body_.size()) + "\r\n\r\n" + body_;
      (void)::write(client, reply.data(), reply.size());
      ::close(client);
    }
  }

  const std::string body_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(HostileReplyTest, TheCliReportsAMalformedReplyAndNeverCrashes) {
  const std::vector<std::string> bodies = {
      R"({"grants":[{"id":5,"state":[],"live":"yes"}]})",
      R"({"grants":"none"})",
      R"({"grants":[7]})",
      R"([1,2,3])",
      R"("just text")",
      R"({"id":{"nested":true},"state":null,"live":1,"window_end":"soon"})",
      "<html>not json</html>",
      "",
      "{}",
  };
  const std::string folder = FreshDirectory("hostile-reply");
  const std::string key = folder + "/owner.key";
  ASSERT_EQ(RunProcess({QuartetBinary(), "owner-key", "create", "--out", key}).status, 0);
  const std::vector<std::vector<std::string>> commands = {
      {"grants"},
      {"approve", "g-1", "--client", "acme", "--key", key},
      {"deny", "g-1", "--key", key},
      {"end", "g-1", "--client", "acme"},
      {"revoke", "g-1", "--client", "acme", "--reason", "done"},
      {"owner-key", "register", "--key", key},
      {"cert", "--client", "acme", "--grant", "g-1", "--out", folder + "/id", "--wait", "0"},
      {"ssh", "web", "--client", "acme"},
      {"agent", "invite"},
      {"agent", "enrol", "--code", "qe_x", "--data", folder + "/agent"},
      {"login", "--user", "olivia"},
      {"grants", "--client", "acme"},
      {"request", "--client", "acme", "--resource", "web", "--login", "root", "--for", "30m",
       "--reason", "disk full"},
      {"agent", "invite", "--client", "acme"},
  };
  for (const std::string& body : bodies) {
    CannedServer server(body);
    for (const auto& command : commands) {
      std::vector<std::string> argv = {QuartetBinary(), "--server", server.url(), "--token", "t"};
      argv.insert(argv.end(), command.begin(), command.end());
      const RunResult result = RunProcess(argv);
      SCOPED_TRACE("reply " + body + ", command " + command[0]);
      EXPECT_LT(result.status, 128) << "crashed: " << result.err;
      EXPECT_NE(result.status, 0) << result.out;
      EXPECT_FALSE(result.err.empty());
    }
  }
}

}  // namespace
}  // namespace quartet::testing

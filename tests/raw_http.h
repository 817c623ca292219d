// Plain loopback sockets from a chosen source address (all of 127.0.0.0/8 is loopback on Linux),
// for tests and benchmarks that play many clients, or an attacker, against a real server.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace quartet::testing {

class RawConnection {
 public:
  // Connects from `source` (e.g. "127.0.3.1") to 127.0.0.1:`port`; ok() says whether it did.
  static RawConnection Open(const std::string& source, const std::string& port);
  RawConnection() = default;
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool ok() const { return fd_ >= 0; }
  bool Send(std::string_view bytes);
  // One response (header and a Content-Length body), waiting at most `timeout` in all: its status,
  // or 0 when the connection closed, failed or stayed silent. `body` receives the body.
  int ReadResponse(std::chrono::milliseconds timeout, std::string* body = nullptr);
  // Whether the server closed (or reset) the connection within `timeout`. Data it sent is dropped.
  bool ClosedWithin(std::chrono::milliseconds timeout);
  void Close();

 private:
  int fd_ = -1;
  std::string buffer_;
};

// An HTTP/1.1 request with a JSON body (empty: none) and a bearer token (empty: none).
std::string HttpRequestText(const std::string& method, const std::string& target,
                            const std::string& json_body, const std::string& bearer);

// Raises this process's soft limit on open files to the hard limit: the number now allowed.
size_t RaiseOpenFileLimit();

// The peak resident memory of process `pid` (VmHWM), in KiB; 0 when unknown.
long PeakResidentKib(int pid);
// The processor time process `pid` has used so far (user and system), in seconds.
double CpuSeconds(int pid);

}  // namespace quartet::testing

// An HTTP/1.1 server (Boost.Beast, C++20 coroutines): keep-alive, bounded request sizes, a fixed
// pool of threads, a clean stop, and HTTPS (TLS 1.2 or later) when given a certificate.
//
// Under hostile load: open connections are capped overall and per client address. At the overall
// cap, the connection idle longest (waiting for its next request) is closed to make room, and with
// none idle the newcomer is closed. A connection has `idle_timeout` to start a request, then
// `header_timeout` to finish its header and `body_timeout` its body (so a slow sender, a
// "slowloris", is cut off). When accepting fails for lack of file descriptors, accepting pauses
// briefly instead of spinning, and the connections already open are served on.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "server/http.h"

namespace quartet::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 picks a free port
  int threads = 2;
  size_t max_body_bytes = 1 << 20;
  // Called once when the server starts to stop, before it waits for open requests: the place to
  // end long polls.
  std::function<void()> on_stop;
  // PEM files: the certificate chain (the server's first) and its private key. Both empty: plain
  // HTTP.
  std::string tls_certificate_file = {};
  std::string tls_key_file = {};
  // 0: three quarters of the process's file-descriptor limit, the rest left for files and
  // databases.
  size_t max_connections = 0;
  size_t max_connections_per_address = 256;
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds body_timeout{30};
};

class HttpServer {
 public:
  // Binds and listens at once, so that port() is known before Run().
  static StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                     HttpHandler handler);
  virtual ~HttpServer() = default;

  virtual uint16_t port() const = 0;
  // The overall cap in force (max_connections, or the one derived from the file limit).
  virtual size_t max_connections() const = 0;
  // Serves until Stop() or, if `stop_on_signals`, SIGTERM/SIGINT. Blocks.
  virtual void Run(bool stop_on_signals) = 0;
  // Thread-safe; Run() returns once open requests are answered.
  virtual void Stop() = 0;
};

}  // namespace quartet::server

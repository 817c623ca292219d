// A blocking HTTP/1.1 client with one keep-alive connection, reconnecting when the server closes it.
// http:// or https://. Over TLS (1.2 or later) the server's certificate must chain to a trusted CA,
// from the system's store or from the file in SSL_CERT_FILE (OpenSSL's variable; a private CA or a
// self-signed server certificate), and must name the host. Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/status.h"

namespace quartet::client {

struct Url {
  bool tls = false;  // https://
  std::string host;
  std::string port;
  std::string path;  // without a trailing slash
  static StatusOr<Url> Parse(std::string_view url);
};

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::string content_encoding;
  std::string body;
};

class HttpClient {
 public:
  // Plain HTTP to host:port.
  HttpClient(std::string host, std::string port);
  // To the server of `url`, over TLS for https://.
  explicit HttpClient(const Url& url);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GETs `target`; Unavailable when the server cannot be reached or the exchange fails.
  StatusOr<HttpResult> Get(const std::string& target,
                           const std::map<std::string, std::string>& headers = {}) {
    return Request("GET", target, "", headers);
  }
  // Any method; a non-empty body is sent as application/json.
  StatusOr<HttpResult> Request(const std::string& method, const std::string& target,
                               const std::string& body,
                               const std::map<std::string, std::string>& headers = {});

 private:
  struct Connection;
  Status Connect();
  std::string host_;
  std::string port_;
  bool tls_ = false;
  std::unique_ptr<Connection> connection_;
};

}  // namespace quartet::client

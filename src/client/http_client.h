// A blocking HTTP/1.1 client with one keep-alive connection, reconnecting when the server closes it.
// Plain http:// only. Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/status.h"

namespace quartet::client {

struct Url {
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
  HttpClient(std::string host, std::string port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GETs `target`; Unavailable when the server cannot be reached or the exchange fails.
  StatusOr<HttpResult> Get(const std::string& target,
                           const std::map<std::string, std::string>& headers = {}) {
    return Request("GET", target, "", headers);
  }
  // Any method; a non-empty body is sent as application/json.
  StatusOr<HttpResult> Request(const std::string& method, const std::string& target, const std::string& body,
                               const std::map<std::string, std::string>& headers = {});

 private:
  struct Connection;
  std::string host_;
  std::string port_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace quartet::client

// HTTP requests and responses as plain values, so that routes never see Beast; only http_server.cc
// and http_client.cc include it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::server {

struct HttpRequest {
  std::string method;                          // "GET", "HEAD", ...
  std::string target;                          // path and query, as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote_address;

  // The value of header `name` (lower case), "" when absent.
  std::string_view Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string_view() : std::string_view(it->second);
  }
  // The value of the cookie `name` in the Cookie header, "" when absent.
  std::string_view Cookie(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string cache_control = "no-store";
  // Shared so that cached bodies (tiles) are served without a copy.
  std::shared_ptr<const std::string> body = std::make_shared<const std::string>();
  std::map<std::string, std::string> headers;

  static HttpResponse Text(int status, std::string text);
  // The error's message as the body, with the status that its code maps to.
  static HttpResponse FromStatus(const Status& status);
};

// The single place where Status codes become HTTP status codes.
int HttpStatusFor(StatusCode code);

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

}  // namespace quartet::server

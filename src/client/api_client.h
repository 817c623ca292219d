// A JSON client of the server's /api/v1 with a bearer token: errors come back as Status with the
// server's own reason. Copyable (copies share one connection). Not thread-safe.
#pragma once

#include <memory>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "client/http_client.h"

namespace quartet::client {

class ApiClient {
 public:
  using Json = quartet::Json;

  // `server` is the base URL (http://host:port[/prefix]).
  static StatusOr<ApiClient> Connect(const std::string& server, std::string token) {
    ASSIGN_OR_RETURN(Url url, Url::Parse(server));
    return ApiClient(url, std::move(token));
  }

  // `path` is below /api/v1. A null body sends none.
  StatusOr<Json> Call(const std::string& method, const std::string& path,
                      const Json& body = Json()) {
    const std::string text = body.is_null() ? "" : CanonicalJsonOf(body);
    std::map<std::string, std::string> headers;
    if (!token_.empty()) headers["Authorization"] = "Bearer " + token_;
    ASSIGN_OR_RETURN(HttpResult result,
                     http_->Request(method, url_.path + "/api/v1" + path, text, headers));
    StatusOr<Json> value = ParseJson(result.body, "the server's reply");
    if (result.status >= 200 && result.status < 300 && value.ok()) return std::move(*value);
    std::string message = "HTTP " + std::to_string(result.status);
    if (value.ok() && value->is_object()) {
      const StatusOr<std::string> error =
          JsonObject::Of(*value, "the server's reply")->Text("error", Field::kRequired);
      if (error.ok()) message = *error;
    }
    const StatusCode code = result.status == 401   ? StatusCode::kUnauthenticated
                            : result.status == 403 ? StatusCode::kPermissionDenied
                            : result.status == 404 ? StatusCode::kNotFound
                            : result.status >= 500 ? StatusCode::kUnavailable
                                                   : StatusCode::kFailedPrecondition;
    return Status(code, message);
  }
  // A GET of any path on the server (tiles, checkpoints), with the token: the body, or an error
  // for any status but 200.
  StatusOr<std::string> Fetch(const std::string& path) {
    std::map<std::string, std::string> headers;
    if (!token_.empty()) headers["Authorization"] = "Bearer " + token_;
    ASSIGN_OR_RETURN(HttpResult result, http_->Get(url_.path + path, headers));
    if (result.status != 200)
      return Status(result.status == 404 ? StatusCode::kNotFound : StatusCode::kUnavailable,
                    "GET " + path + ": HTTP " + std::to_string(result.status));
    return std::move(result.body);
  }

 private:
  ApiClient(Url url, std::string token)
      : url_(std::move(url)), token_(std::move(token)), http_(std::make_shared<HttpClient>(url_)) {}
  Url url_;
  std::string token_;
  std::shared_ptr<HttpClient> http_;
};

}  // namespace quartet::client

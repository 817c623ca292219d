// POST /api/v1/sessions {user, password, code} signs in: a session cookie (HttpOnly, SameSite) and
// the CSRF token to send back with every state-changing request; DELETE signs out. Sign-ins are
// throttled per account and per address.
#include <algorithm>
#include <map>

#include "base/mutex.h"
#include "server/api/api_common.h"
#include "server/api/routes.h"

namespace quartet::server::api {
namespace {

constexpr char kSessionCookie[] = "quartet_session";
constexpr int64_t kSessionSeconds = 12 * 3600;

std::string_view SessionCookie(const HttpRequest& request) {
  return request.Cookie(kSessionCookie);
}

// Sign-ins hashing a password now, or waiting for the hashing thread (identity/password.h): only a
// few, in all and per account or address; the rest are told to come back in a second.
// Each key's failure is thus counted before its next attempt may hash (identity/throttle.h).
class HashingNow {
 public:
  static constexpr int kInAll = 4;
  static constexpr int kPerAccount = 1;
  static constexpr int kPerAddress = 2;

  bool Enter(const std::string& account, const std::string& address) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    if (all_ >= kInAll || keys_[account] >= kPerAccount || keys_[address] >= kPerAddress) {
      Forget(account);
      Forget(address);
      return false;
    }
    ++all_;
    ++keys_[account];
    ++keys_[address];
    return true;
  }
  void Leave(const std::string& account, const std::string& address) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    --all_;
    --keys_[account];
    --keys_[address];
    Forget(account);
    Forget(address);
  }

 private:
  void Forget(const std::string& key) REQUIRES(mu_) {
    if (auto it = keys_.find(key); it != keys_.end() && it->second == 0) keys_.erase(it);
  }
  Mutex mu_;
  int all_ GUARDED_BY(mu_) = 0;
  std::map<std::string, int> keys_ GUARDED_BY(mu_);
};

HashingNow& Hashing() {
  static HashingNow* hashing = new HashingNow;
  return *hashing;
}

}  // namespace

StatusOr<std::string> RequestToken(ApiContext& api, const HttpRequest& request) {
  std::string_view authorization = request.Header("authorization");
  if (authorization.starts_with("Bearer ")) return std::string(authorization.substr(7));
  std::string_view cookie = SessionCookie(request);
  if (cookie.empty()) {
    return UnauthenticatedError("sign in, or send an 'Authorization: Bearer <token>' header");
  }
  if (request.method != "GET" && request.method != "HEAD" &&
      !api.access.sessions().CheckCsrf(cookie, request.Header("x-csrf-token"))) {
    return PermissionDeniedError("missing or wrong X-CSRF-Token");
  }
  return std::string(cookie);
}

StatusOr<HttpResponse> SignIn(ApiContext& api, const Call& call) {
  // JSON only: a form that another site posts (a login CSRF) is not a sign-in.
  if (!call.http.Header("content-type").starts_with("application/json"))
    return JsonResponse(415, {{"error", "a sign-in is sent as application/json"}});
  auto user = call.body.Text("user", Field::kRequired);
  auto password = call.body.Text("password", Field::kRequired);
  ASSIGN_OR_RETURN(std::string code, call.body.Text("code", Field::kOptional));
  if (!user.ok() || !password.ok())
    return InvalidArgumentError("'user' and 'password' are required");
  const std::string account = "account:" + *user;
  const std::string address = "address:" + call.http.remote_address;
  for (const std::string& key : {account, address}) {
    if (Status allowed = api.throttle.Check(key); !allowed.ok())
      return TooManyRequests(allowed.message(), api.throttle.LockedFor(key).count());
  }
  if (!Hashing().Enter(account, address))
    return TooManyRequests("too many sign-ins at once: try again in a second", 1);
  auto session = api.access.sessions().SignIn(*user, *password, code, kSessionSeconds);
  Hashing().Leave(account, address);
  if (!session.ok()) {
    api.throttle.RecordFailure(account);
    api.throttle.RecordFailure(address);
    return session.status();
  }
  api.throttle.RecordSuccess(account);
  HttpResponse response =
      JsonResponse(201, {{"token", session->token},
                         {"csrf", session->csrf},
                         {"user", session->actor.user},
                         {"role", std::string(governance::RoleName(session->actor.role))},
                         {"client", session->actor.client}});
  response.headers["Set-Cookie"] = std::string(kSessionCookie) + "=" + session->token +
                                   "; Path=/; Max-Age=" + std::to_string(kSessionSeconds) +
                                   "; HttpOnly; Secure; SameSite=Strict";
  return response;
}

StatusOr<HttpResponse> SignOut(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string token, RequestToken(api, call.http));
  RETURN_IF_ERROR(api.access.sessions().SignOut(token));
  HttpResponse response = JsonResponse(200, {{"signed_out", true}});
  response.headers["Set-Cookie"] =
      std::string(kSessionCookie) + "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict";
  return response;
}

}  // namespace quartet::server::api

#include "server/api_service.h"

#include <climits>
#include <vector>

#include "server/api_common.h"

namespace quartet::server {
namespace {

using governance::Actor;

Json GrantJson(const governance::GrantView& grant, int64_t now) {
  const access::GrantRequest& r = grant.request;
  const access::GrantProgress& p = grant.progress;
  Json approvals = Json::array();
  for (const access::OwnerVote& vote : p.approvals) {
    approvals.push_back({{"owner", vote.owner}, {"key_id", vote.key_id}, {"at", vote.at}});
  }
  const bool live =
      p.state == access::GrantState::kApproved && now >= p.window_start && now < p.window_end;
  return {{"id", r.id},
          {"client", r.client},
          {"technician", r.technician},
          {"resource", r.resource},
          {"kind", std::string(access::KindName(r.kind))},
          {"labels", LabelsJson(r.labels)},
          {"action", std::string(access::ActionName(r.action))},
          {"login", r.login},
          {"reason", r.reason},
          {"ticket", r.ticket},
          {"duration_seconds", r.duration_seconds},
          {"requested_at", r.requested_at},
          {"not_before", r.not_before},
          {"breakglass", r.breakglass},
          {"state", std::string(access::GrantStateName(p.state))},
          {"approvals_required", p.approvals_required},
          {"approvals", approvals},
          {"window_start", p.window_start},
          {"window_end", p.window_end},
          {"awaits_review", p.awaits_review},
          {"live", live},
          {"request", grant.canonical_request}};
}

constexpr char kSessionCookie[] = "quartet_session";
constexpr int64_t kSessionSeconds = 12 * 3600;

std::string_view SessionCookie(const HttpRequest& request) {
  std::string_view cookies = Header(request, "cookie");
  const std::string prefix = std::string(kSessionCookie) + "=";
  while (!cookies.empty()) {
    const size_t end = cookies.find(';');
    std::string_view cookie = cookies.substr(0, end);
    while (cookie.starts_with(' ')) cookie.remove_prefix(1);
    if (cookie.starts_with(prefix)) return cookie.substr(prefix.size());
    if (end == std::string_view::npos) break;
    cookies.remove_prefix(end + 1);
  }
  return {};
}

// The token a request carries: a bearer header, or the session cookie. A cookie alone does not
// authorise a state-changing request: it also needs the session's CSRF token.
StatusOr<std::string> RequestToken(governance::AccessService& service, const HttpRequest& request) {
  std::string_view authorization = Header(request, "authorization");
  if (authorization.starts_with("Bearer ")) return std::string(authorization.substr(7));
  std::string_view cookie = SessionCookie(request);
  if (cookie.empty()) {
    return UnauthenticatedError("sign in, or send an 'Authorization: Bearer <token>' header");
  }
  if (request.method != "GET" && request.method != "HEAD" &&
      !service.sessions().CheckCsrf(cookie, Header(request, "x-csrf-token"))) {
    return PermissionDeniedError("missing or wrong X-CSRF-Token");
  }
  return std::string(cookie);
}

// ?state=pending&limit=100&before=<requested_at>:<id>. Values are plain tokens (no escapes needed).
StatusOr<governance::Grants::GrantQuery> ParseGrantQuery(std::string_view target) {
  governance::Grants::GrantQuery query;
  RETURN_IF_ERROR(
      ForEachQueryParameter(target, [&](std::string_view key, std::string_view value) -> Status {
        if (key == "state") {
          query.state = std::string(value);
        } else if (key == "limit") {
          auto limit = ParseDecimal(value);
          if (!limit.ok() || *limit < 1 || *limit > 1000)
            return InvalidArgumentError("limit must be 1 to 1000");
          query.limit = static_cast<int>(*limit);
        } else if (key == "before") {
          const size_t colon = value.find(':');
          auto time = ParseDecimal(value.substr(0, colon));
          if (colon == std::string_view::npos || !time.ok() ||
              *time > static_cast<uint64_t>(INT64_MAX)) {
            return InvalidArgumentError("before must be the 'next' cursor of the previous page");
          }
          query.before_time = static_cast<int64_t>(*time);
          query.before_id = std::string(value.substr(colon + 1));
        } else {
          return InvalidArgumentError("unknown query parameter '" + std::string(key) + "'");
        }
        return Status::Ok();
      }));
  return query;
}

StatusOr<Actor> Authenticate(governance::AccessService& service, const HttpRequest& request) {
  ASSIGN_OR_RETURN(std::string token, RequestToken(service, request));
  return service.sessions().Authenticate(token);
}

}  // namespace

HttpResponse ApiService::SignIn(const HttpRequest& request) {
  auto body = Body::Parse(request.body);
  if (!body.ok()) return Error(body.status());
  auto user = body->Text("user", true);
  auto password = body->Text("password", true);
  auto code = body->Text("code", false);
  if (!user.ok() || !password.ok() || !code.ok())
    return Error(InvalidArgumentError("'user' and 'password' are required"));
  const std::string account = "account:" + *user;
  const std::string address = "address:" + request.remote_address;
  for (const std::string& key : {account, address}) {
    if (Status allowed = throttle_.Check(key); !allowed.ok()) {
      return JsonResponse(429, {{"error", allowed.message()}});
    }
  }
  auto session = service_.sessions().SignIn(*user, *password, *code, kSessionSeconds);
  if (!session.ok()) {
    throttle_.RecordFailure(account);
    throttle_.RecordFailure(address);
    return Error(session.status());
  }
  throttle_.RecordSuccess(account);
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

HttpResponse ApiService::SignOut(const HttpRequest& request) {
  auto token = RequestToken(service_, request);
  if (!token.ok()) return Error(token.status());
  if (Status ended = service_.sessions().SignOut(*token); !ended.ok()) return Error(ended);
  HttpResponse response = JsonResponse(200, {{"signed_out", true}});
  response.headers["Set-Cookie"] =
      std::string(kSessionCookie) + "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict";
  return response;
}

HttpResponse ApiService::Handle(const HttpRequest& request) {
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  const std::vector<std::string> parts = SplitPath(path);  // "", "api", "v1", ...
  if (parts.size() < 4 || parts[1] != "api" || parts[2] != "v1")
    return Error(NotFoundError("no such route"));
  if (parts.size() == 4 && parts[3] == "sessions") {
    if (request.method == "POST") return SignIn(request);
    if (request.method == "DELETE") return SignOut(request);
  }
  if (parts[3] == "agent") {
    // Enrolment codes are guessed like passwords: the same throttle.
    if (parts.size() == 5 && parts[4] == "enrolment") {
      const std::string address = "address:" + request.remote_address;
      if (Status allowed = throttle_.Check(address); !allowed.ok())
        return JsonResponse(429, {{"error", allowed.message()}});
      HttpResponse response = agent_api_.HandleAgent(request, parts);
      if (response.status == 401) throttle_.RecordFailure(address);
      return response;
    }
    return agent_api_.HandleAgent(request, parts);
  }
  auto actor = Authenticate(service_, request);
  if (!actor.ok()) return Error(actor.status());
  if (auto handled = agent_api_.HandlePerson(*actor, request, parts)) return std::move(*handled);
  if (auto handled = client_api_.Handle(*actor, request, parts)) return std::move(*handled);
  auto body = Body::Parse(request.body);
  if (!body.ok()) return Error(body.status());
  const std::string& method = request.method;
  const int64_t now = clock_.NowUnixSeconds();

  auto route = [&]() -> StatusOr<HttpResponse> {
    if (parts.size() == 4 && parts[3] == "me" && method == "GET") {
      return JsonResponse(200, {{"user", actor->user},
                                {"role", std::string(governance::RoleName(actor->role))},
                                {"client", actor->client}});
    }
    if (parts.size() == 4 && parts[3] == "owner-keys" && method == "POST") {
      ASSIGN_OR_RETURN(std::string encoded, body->Text("public_key", true));
      ASSIGN_OR_RETURN(Bytes public_key, Base64Decode(encoded));
      ASSIGN_OR_RETURN(std::string key_id,
                       service_.directory().RegisterOwnerKey(*actor, public_key));
      return JsonResponse(201, {{"key_id", key_id}});
    }
    if (parts.size() < 6 || parts[3] != "clients") return NotFoundError("no such route");
    const std::string& client = parts[4];
    if (parts.size() == 6 && parts[5] == "policy") {
      if (method == "GET") {
        ASSIGN_OR_RETURN(access::Policy policy, service_.policies().GetPolicy(*actor, client));
        return JsonResponse(200, {{"policy", Json::parse(access::ToJson(policy))},
                                  {"description", policy.Describe()}});
      }
      if (method == "PUT") {
        ASSIGN_OR_RETURN(access::Policy policy, access::PolicyFromJson(request.body));
        RETURN_IF_ERROR(service_.policies().ChangePolicy(*actor, client, policy));
        return JsonResponse(200, {{"policy", Json::parse(access::ToJson(policy))},
                                  {"description", policy.Describe()}});
      }
      return Status(StatusCode::kInvalidArgument, "method not allowed");
    }
    if (parts.size() == 7 && parts[5] == "policy" && parts[6] == "proposals" && method == "GET") {
      ASSIGN_OR_RETURN(auto proposals, service_.policies().ListProposals(*actor, client));
      Json out = Json::array();
      for (const auto& proposal : proposals) {
        out.push_back({{"id", proposal.id},
                       {"proposed_by", proposal.proposed_by},
                       {"policy", Json::parse(access::ToJson(proposal.policy))},
                       {"description", proposal.policy.Describe()}});
      }
      return JsonResponse(200, {{"proposals", out}});
    }
    if (parts.size() == 7 && parts[5] == "policy" && parts[6] == "proposals" && method == "POST") {
      auto policy_field = body->json().find("policy");
      if (policy_field == body->json().end()) return InvalidArgumentError("'policy' is required");
      ASSIGN_OR_RETURN(access::Policy policy, access::PolicyFromJson(policy_field->dump()));
      ASSIGN_OR_RETURN(std::string note, body->Text("note", false));
      ASSIGN_OR_RETURN(std::string proposal,
                       service_.policies().ProposePolicy(*actor, client, policy, note));
      return JsonResponse(201, {{"proposal", proposal}});
    }
    if (parts.size() == 9 && parts[5] == "policy" && parts[6] == "proposals" &&
        parts[8] == "accept" && method == "POST") {
      RETURN_IF_ERROR(service_.policies().AcceptProposal(*actor, client, parts[7]));
      ASSIGN_OR_RETURN(access::Policy policy, service_.policies().GetPolicy(*actor, client));
      return JsonResponse(200, {{"policy", Json::parse(access::ToJson(policy))},
                                {"description", policy.Describe()}});
    }
    if (parts[5] != "grants") return NotFoundError("no such route");
    if (parts.size() == 6 && method == "GET") {
      ASSIGN_OR_RETURN(governance::Grants::GrantQuery query, ParseGrantQuery(request.target));
      ASSIGN_OR_RETURN(auto grants, service_.grants().ListGrants(*actor, client, query));
      Json out = Json::array();
      for (const auto& grant : grants) out.push_back(GrantJson(grant, now));
      Json reply = {{"grants", out}};
      // A full page may have more behind it: the cursor for the next one.
      if (static_cast<int>(grants.size()) == query.limit) {
        reply["next"] =
            std::to_string(grants.back().request.requested_at) + ":" + grants.back().request.id;
      }
      return JsonResponse(200, reply);
    }
    if (parts.size() == 6 && method == "POST") {
      governance::AccessRequest in;
      in.client = client;
      ASSIGN_OR_RETURN(in.resource, body->Text("resource", true));
      ASSIGN_OR_RETURN(std::string action, body->Text("action", false));
      ASSIGN_OR_RETURN(in.action, access::ActionFromName(action.empty() ? "login" : action));
      ASSIGN_OR_RETURN(in.login, body->Text("login", false));
      ASSIGN_OR_RETURN(in.reason, body->Text("reason", true));
      ASSIGN_OR_RETURN(in.ticket, body->Text("ticket", false));
      ASSIGN_OR_RETURN(in.duration_seconds, body->Integer("duration_seconds", true));
      ASSIGN_OR_RETURN(in.not_before, body->Integer("not_before", false));
      ASSIGN_OR_RETURN(in.breakglass, body->Boolean("breakglass"));
      ASSIGN_OR_RETURN(auto grant, service_.grants().RequestAccess(*actor, in));
      return JsonResponse(201, GrantJson(grant, now));
    }
    if (parts.size() < 7) return NotFoundError("no such route");
    const std::string& grant = parts[6];
    if (parts.size() == 7 && method == "GET") {
      ASSIGN_OR_RETURN(auto view, service_.grants().GetGrant(*actor, client, grant));
      return JsonResponse(200, GrantJson(view, now));
    }
    if (parts.size() != 8 || method != "POST") return NotFoundError("no such route");
    const std::string& verb = parts[7];
    if (verb == "approve" || verb == "deny") {
      ASSIGN_OR_RETURN(std::string key_id, body->Text("key_id", true));
      ASSIGN_OR_RETURN(std::string encoded, body->Text("signature", true));
      ASSIGN_OR_RETURN(std::string comment, body->Text("comment", false));
      auto signature = Base64Decode(encoded);
      if (!signature.ok()) return InvalidArgumentError("'signature' must be base64");
      RETURN_IF_ERROR(service_.grants().Decide(
          *actor, client, grant,
          verb == "approve" ? access::OwnerDecision::kApprove : access::OwnerDecision::kDeny,
          key_id, *signature, comment));
    } else if (verb == "end") {
      RETURN_IF_ERROR(service_.grants().End(*actor, client, grant));
    } else if (verb == "revoke") {
      ASSIGN_OR_RETURN(std::string reason, body->Text("reason", false));
      RETURN_IF_ERROR(service_.grants().Revoke(*actor, client, grant, reason));
    } else if (verb == "review") {
      ASSIGN_OR_RETURN(std::string verdict, body->Text("verdict", true));
      ASSIGN_OR_RETURN(std::string comment, body->Text("comment", false));
      if (verdict != "acknowledged" && verdict != "disputed") {
        return InvalidArgumentError("'verdict' must be 'acknowledged' or 'disputed'");
      }
      RETURN_IF_ERROR(service_.grants().Review(*actor, client, grant,
                                               verdict == "acknowledged"
                                                   ? access::BreakglassReview::kAcknowledged
                                                   : access::BreakglassReview::kDisputed,
                                               comment));
    } else {
      return NotFoundError("no such route");
    }
    ASSIGN_OR_RETURN(auto view, service_.grants().GetGrant(*actor, client, grant));
    return JsonResponse(200, GrantJson(view, now));
  };
  auto response = route();
  if (!response.ok()) return Error(response.status());
  return std::move(*response);
}

}  // namespace quartet::server

// Grants of a client: GET /api/v1/clients/{c}/grants?state=&limit=&before= (newest first, a page
// at a time); POST …/grants {resource, action, login, reason, ticket, duration_seconds, not_before,
// breakglass, ssh_key} (a technician asks; ssh_key is the public key an SSH login will use); GET …/grants/{g}; POST …/grants/{g}/approve and /deny
// {key_id, signature, comment} (an owner, signed); /end (the technician); /revoke {reason};
// /review {verdict: acknowledged | disputed, comment} (break-glass).
#include <climits>

#include "server/api/api_common.h"
#include "server/api/routes.h"

namespace quartet::server::api {
namespace {

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
          {"ssh_key", r.ssh_key},
          {"state", std::string(access::GrantStateName(p.state))},
          {"approvals_required", p.approvals_required},
          {"approvals", approvals},
          {"window_start", p.window_start},
          {"window_end", p.window_end},
          {"awaits_review", p.awaits_review},
          {"live", live},
          {"request", grant.canonical_request}};
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

// The grant as it stands after a change.
StatusOr<HttpResponse> GrantReply(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(auto view,
                   api.access.grants().GetGrant(call.actor, call.params[0], call.params[1]));
  return JsonResponse(200, GrantJson(view, api.clock.NowUnixSeconds()));
}

StatusOr<HttpResponse> Decide(ApiContext& api, const Call& call, access::OwnerDecision decision) {
  ASSIGN_OR_RETURN(std::string key_id, call.body.Text("key_id", Field::kRequired));
  ASSIGN_OR_RETURN(std::string encoded, call.body.Text("signature", Field::kRequired));
  ASSIGN_OR_RETURN(std::string comment, call.body.Text("comment", Field::kOptional));
  auto signature = Base64Decode(encoded);
  if (!signature.ok()) return InvalidArgumentError("'signature' must be base64");
  RETURN_IF_ERROR(api.access.grants().Decide(call.actor, call.params[0], call.params[1], decision,
                                             key_id, *signature, comment));
  return GrantReply(api, call);
}

}  // namespace

StatusOr<HttpResponse> ListGrants(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(governance::Grants::GrantQuery query, ParseGrantQuery(call.http.target));
  ASSIGN_OR_RETURN(auto grants, api.access.grants().ListGrants(call.actor, call.params[0], query));
  const int64_t now = api.clock.NowUnixSeconds();
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

StatusOr<HttpResponse> RequestAccess(ApiContext& api, const Call& call) {
  const JsonObject& body = call.body;
  governance::AccessRequest in;
  in.client = call.params[0];
  ASSIGN_OR_RETURN(in.resource, body.Text("resource", Field::kRequired));
  ASSIGN_OR_RETURN(std::string action, body.Text("action", Field::kOptional));
  ASSIGN_OR_RETURN(in.action, access::ActionFromName(action.empty() ? "login" : action));
  ASSIGN_OR_RETURN(in.login, body.Text("login", Field::kOptional));
  ASSIGN_OR_RETURN(in.reason, body.Text("reason", Field::kRequired));
  ASSIGN_OR_RETURN(in.ticket, body.Text("ticket", Field::kOptional));
  ASSIGN_OR_RETURN(in.duration_seconds, body.Integer("duration_seconds", Field::kRequired));
  ASSIGN_OR_RETURN(in.not_before, body.Integer("not_before", Field::kOptional));
  ASSIGN_OR_RETURN(in.breakglass, body.Boolean("breakglass", Field::kOptional));
  ASSIGN_OR_RETURN(in.ssh_key, body.Text("ssh_key", Field::kOptional));
  // Each request is logged and may be e-mailed to the owners: limited per technician and client
  // (a bucket of the technician's own), and per client — charged only for requests the client's
  // log takes, so that nobody outside it spends its budget.
  const std::string client_key = "grant:" + in.client;
  auto wait = api.limits.Take("grant:" + call.actor.user + ":" + in.client, kRequestsPerTechnician);
  if (wait.count() == 0) wait = api.limits.Peek(client_key, kRequestsPerClient);
  if (wait.count() > 0)
    return TooManyRequests("too many access requests for this client: try again later",
                           wait.count());
  ASSIGN_OR_RETURN(auto grant, api.access.grants().RequestAccess(call.actor, in));
  (void)api.limits.Take(client_key, kRequestsPerClient);
  return JsonResponse(201, GrantJson(grant, api.clock.NowUnixSeconds()));
}

StatusOr<HttpResponse> GetGrant(ApiContext& api, const Call& call) { return GrantReply(api, call); }

StatusOr<HttpResponse> ApproveGrant(ApiContext& api, const Call& call) {
  return Decide(api, call, access::OwnerDecision::kApprove);
}

StatusOr<HttpResponse> DenyGrant(ApiContext& api, const Call& call) {
  return Decide(api, call, access::OwnerDecision::kDeny);
}

StatusOr<HttpResponse> EndGrant(ApiContext& api, const Call& call) {
  RETURN_IF_ERROR(api.access.grants().End(call.actor, call.params[0], call.params[1]));
  return GrantReply(api, call);
}

StatusOr<HttpResponse> RevokeGrant(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string reason, call.body.Text("reason", Field::kOptional));
  RETURN_IF_ERROR(api.access.grants().Revoke(call.actor, call.params[0], call.params[1], reason));
  return GrantReply(api, call);
}

StatusOr<HttpResponse> ReviewGrant(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string verdict, call.body.Text("verdict", Field::kRequired));
  ASSIGN_OR_RETURN(std::string comment, call.body.Text("comment", Field::kOptional));
  if (verdict != "acknowledged" && verdict != "disputed") {
    return InvalidArgumentError("'verdict' must be 'acknowledged' or 'disputed'");
  }
  RETURN_IF_ERROR(api.access.grants().Review(call.actor, call.params[0], call.params[1],
                                             verdict == "acknowledged"
                                                 ? access::BreakglassReview::kAcknowledged
                                                 : access::BreakglassReview::kDisputed,
                                             comment));
  return GrantReply(api, call);
}

}  // namespace quartet::server::api

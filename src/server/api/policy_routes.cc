// The client's policy: GET and PUT /api/v1/clients/{c}/policy (the owner changes it); the
// provider's proposals: GET and POST …/policy/proposals {policy, note}, and
// POST …/policy/proposals/{p}/accept (an owner accepts one, which puts it in force).
#include "server/api/api_common.h"
#include "server/api/routes.h"

namespace quartet::server::api {
namespace {

Json PolicyJson(const access::Policy& policy) {
  return {{"policy", Json::parse(access::ToJson(policy))}, {"description", policy.Describe()}};
}

}  // namespace

StatusOr<HttpResponse> GetPolicy(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(access::Policy policy,
                   api.access.policies().GetPolicy(call.actor, call.params[0]));
  return JsonResponse(200, PolicyJson(policy));
}

StatusOr<HttpResponse> ChangePolicy(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(access::Policy policy, access::PolicyFromJson(call.http.body));
  RETURN_IF_ERROR(api.access.policies().ChangePolicy(call.actor, call.params[0], policy));
  return JsonResponse(200, PolicyJson(policy));
}

StatusOr<HttpResponse> ListProposals(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(auto proposals, api.access.policies().ListProposals(call.actor, call.params[0]));
  Json out = Json::array();
  for (const auto& proposal : proposals) {
    Json item = PolicyJson(proposal.policy);
    item["id"] = proposal.id;
    item["proposed_by"] = proposal.proposed_by;
    out.push_back(std::move(item));
  }
  return JsonResponse(200, {{"proposals", out}});
}

StatusOr<HttpResponse> ProposePolicy(ApiContext& api, const Call& call) {
  // Each proposal is logged and e-mailed to the owners: limited per member of staff and client (a
  // bucket of their own, whether or not they may see the client).
  if (const auto wait =
          api.limits.Take("proposal:" + call.actor.user + ":" + call.params[0], kProposalsPerStaff);
      wait.count() > 0)
    return TooManyRequests("too many policy proposals for this client: try again later",
                           wait.count());
  ASSIGN_OR_RETURN(JsonObject field, call.body.Object("policy", Field::kRequired));
  ASSIGN_OR_RETURN(access::Policy policy, access::PolicyFromJson(CanonicalJsonOf(field.json())));
  ASSIGN_OR_RETURN(std::string note, call.body.Text("note", Field::kOptional));
  ASSIGN_OR_RETURN(std::string proposal,
                   api.access.policies().ProposePolicy(call.actor, call.params[0], policy, note));
  return JsonResponse(201, {{"proposal", proposal}});
}

StatusOr<HttpResponse> AcceptProposal(ApiContext& api, const Call& call) {
  const std::string& client = call.params[0];
  RETURN_IF_ERROR(api.access.policies().AcceptProposal(call.actor, client, call.params[1]));
  ASSIGN_OR_RETURN(access::Policy policy, api.access.policies().GetPolicy(call.actor, client));
  return JsonResponse(200, PolicyJson(policy));
}

}  // namespace quartet::server::api

// The client's trust chain (docs/trust-chain.md): GET /api/v1/clients/{c}/trust gives its
// statements in order and what they say; POST …/trust {statement} adds one, which the server keeps
// only if the chain accepts it. The server signs nothing: the replayers (the agent, the owner's
// browser, `quartet trust show`) check every statement themselves.
#include "server/api/api_common.h"
#include "server/api/routes.h"

namespace quartet::server::api {

StatusOr<HttpResponse> GetTrustChain(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(auto chain, api.access.trust().Get(call.actor, call.params[0]));
  return JsonResponse(
      200, {{"statements", chain.statements}, {"chain", trust::SummaryJson(chain.state)}});
}

StatusOr<HttpResponse> AddTrustStatement(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string statement, call.body.Text("statement", Field::kRequired));
  ASSIGN_OR_RETURN(trust::ChainState state,
                   api.access.trust().Submit(call.actor, call.params[0], statement));
  return JsonResponse(201, {{"chain", trust::SummaryJson(state)}});
}

}  // namespace quartet::server::api

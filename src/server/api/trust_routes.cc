// The client's trust chain (docs/trust-chain.md): GET /api/v1/clients/{c}/trust gives its
// statements in order and what they say; POST …/trust {statement} adds one, which the server keeps
// only if the chain accepts it. The server signs nothing: the replayers (the agent, the owner's
// browser, `quartet trust show`) check every statement themselves.
#include "server/api/api_common.h"
#include "server/api/routes.h"

namespace quartet::server::api {
namespace {

Json ChainJson(const trust::ChainState& state) {
  Json owners = Json::object();
  for (const auto& [owner, devices] : state.owners) {
    Json list = Json::array();
    for (const auto& [key_id, device] : devices)
      list.push_back({{"key_id", key_id}, {"name", device.name}, {"added_at", device.added_at}});
    owners[owner] = list;
  }
  Json out = {{"size", state.size},
              {"head", state.size == 0 ? std::string() : HexEncode(state.head)},
              {"threshold", state.threshold},
              {"owners", owners},
              {"recovered_at", state.recovered_at},
              {"policy_signed", !state.policy.empty()},
              {"resources_signed", state.resources.size()}};
  if (state.agent.has_value()) {
    out["agent"] = {{"name", state.agent->name},
                    {"witness_key", state.agent->witness_key},
                    {"ssh_ca_key", state.agent->ssh_ca_key},
                    {"confirmed_at", state.agent->confirmed_at}};
  }
  return out;
}

}  // namespace

StatusOr<HttpResponse> GetTrustChain(ApiContext& api, const Call& call) {
  const std::string& client = call.params[0];
  ASSIGN_OR_RETURN(auto statements, api.access.trust().List(call.actor, client));
  ASSIGN_OR_RETURN(trust::ChainState state, api.access.trust().State(call.actor, client));
  return JsonResponse(200, {{"statements", statements}, {"chain", ChainJson(state)}});
}

StatusOr<HttpResponse> AddTrustStatement(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string statement, call.body.Text("statement", Field::kRequired));
  ASSIGN_OR_RETURN(trust::ChainState state,
                   api.access.trust().Submit(call.actor, call.params[0], statement));
  return JsonResponse(201, {{"chain", ChainJson(state)}});
}

}  // namespace quartet::server::api

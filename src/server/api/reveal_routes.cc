// Reveals of the client's credentials, relayed between the technician and the client's agent
// (governance/reveal_relay.cc, docs/credentials.md):
//   POST /api/v1/clients/{c}/grants/{g}/reveals  {public_key, name?, wait_seconds?}: the technician
//                                                of a live reveal-credential grant asks, with a
//                                                one-time key; 201 answered, 202 still pending
//   GET  /api/v1/clients/{c}/reveals/{id}?wait=S  the technician's request, answered or not
//   POST /api/v1/agent/reveals/{id}              {version, sealed: {enc, ciphertext}} or
//                                                {refused}: the agent's answer
#include <algorithm>

#include "server/api/api_common.h"
#include "server/api/routes.h"

namespace quartet::server::api {

Json RevealJson(const governance::RevealRequest& request) {
  Json out = {{"id", request.id},
              {"client", request.client},
              {"grant", request.grant},
              {"technician", request.technician},
              {"resource", request.resource},
              {"name", request.name},
              {"public_key", request.public_key},
              {"state", request.state},
              {"created_at", request.created_at}};
  if (request.state == "revealed") {
    out["version"] = request.version;
    auto sealed = ParseJson(request.sealed, "the sealed secret");
    if (sealed.ok()) out["sealed"] = *sealed;
  }
  if (!request.reason.empty()) out["reason"] = request.reason;
  // For the agent, a pending request carries the stored version as sealed to it.
  if (request.state == "pending" && !request.credential.ciphertext.empty()) {
    out["version"] = request.version;
    out["credential"] = {{"enc", Base64Encode(request.credential.enc)},
                         {"ciphertext", Base64Encode(AsBytes(request.credential.ciphertext))},
                         {"sealed_to", request.credential.sealed_to},
                         {"commitment", request.commitment}};
  }
  return out;
}

StatusOr<HttpResponse> RequestReveal(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string public_key, call.body.Text("public_key", Field::kRequired));
  ASSIGN_OR_RETURN(std::string name, call.body.Text("name", Field::kOptional));
  ASSIGN_OR_RETURN(int64_t wait_seconds, call.body.Integer("wait_seconds", Field::kOptional));
  const auto wait = std::chrono::seconds(std::clamp<int64_t>(wait_seconds, 0, kMaxWaitSeconds));
  ASSIGN_OR_RETURN(auto answer, api.agents.RequestReveal(call.actor, call.params[0], call.params[1],
                                                         name, public_key, wait));
  return JsonResponse(answer.state == "pending" ? 202 : 201, RevealJson(answer));
}

StatusOr<HttpResponse> GetReveal(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(auto wait, WaitParameter(QueryParameter(call.http.target, "wait")));
  ASSIGN_OR_RETURN(auto answer,
                   api.agents.GetRevealRequest(call.actor, call.params[0], call.params[1], wait));
  return JsonResponse(200, RevealJson(answer));
}

StatusOr<HttpResponse> AnswerReveal(ApiContext& api, const Call& call) {
  if (call.agent_waiting)
    return FailedPreconditionError("the client's owners have not confirmed this agent yet");
  const std::string& id = call.params[0];
  ASSIGN_OR_RETURN(std::string refused, call.body.Text("refused", Field::kOptional));
  if (!refused.empty()) {
    RETURN_IF_ERROR(api.agents.RefuseReveal(call.agent_client, id, refused));
    return JsonResponse(200, {{"id", id}, {"state", "refused"}});
  }
  ASSIGN_OR_RETURN(uint64_t version, call.body.Unsigned("version", Field::kRequired));
  ASSIGN_OR_RETURN(JsonObject sealed, call.body.Object("sealed", Field::kRequired));
  RETURN_IF_ERROR(
      api.agents.FulfilReveal(call.agent_client, id, version, CanonicalJsonOf(sealed.json())));
  return JsonResponse(200, {{"id", id}, {"state", "revealed"}});
}

}  // namespace quartet::server::api

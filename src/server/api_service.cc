#include "server/api_service.h"

#include "server/api/api_common.h"
#include "server/api/routes.h"

namespace quartet::server {

StatusOr<HttpResponse> ApiService::Dispatch(const HttpRequest& request) {
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  const api::Router::Match match = router_.Find(request.method, path);
  if (match.route == nullptr) {
    if (match.other_method) return api::JsonResponse(405, {{"error", "method not allowed"}});
    return NotFoundError("no such route");
  }
  // Who asks, before anything of the request is read.
  governance::Actor actor;
  std::string agent_client;
  bool agent_waiting = false;
  if (match.route->caller == api::Caller::kPerson) {
    ASSIGN_OR_RETURN(std::string token, api::RequestToken(context_, request));
    ASSIGN_OR_RETURN(actor, context_.access.sessions().Authenticate(token));
  } else if (match.route->caller == api::Caller::kAgent) {
    std::string_view authorization = request.Header("authorization");
    if (!authorization.starts_with("Bearer "))
      return UnauthenticatedError("send the agent's token as a bearer token");
    ASSIGN_OR_RETURN(auto agent, context_.agents.AuthenticateAgent(authorization.substr(7)));
    agent_client = std::move(agent.client);
    agent_waiting = agent.waiting;
  }
  if (request.body.size() > api::kMaxApiBody)
    return InvalidArgumentError("request body over 64 KiB");
  ASSIGN_OR_RETURN(JsonDocument body,
                   JsonDocument::Parse(request.body.empty() ? "{}" : request.body, "the body"));
  const JsonObject root = body.root();
  return match.route->handler(context_,
                              {request, root, match.params, actor, agent_client, agent_waiting});
}

HttpResponse ApiService::Handle(const HttpRequest& request) {
  auto response = Dispatch(request);
  if (!response.ok()) return api::Error(response.status());
  return std::move(*response);
}

}  // namespace quartet::server

// Who reads a client's published log besides its owners, auditors and agent
// (governance/log_readers.h, docs/log-format.md):
//   POST   /api/v1/clients/{c}/log/tokens        {name, expires_at}: an owner makes a read token
//                                                 for an outside verifier (shown once)
//   GET    /api/v1/clients/{c}/log/tokens        its owners and auditors list them (never the text)
//   DELETE /api/v1/clients/{c}/log/tokens/{id}   an owner revokes one
//   GET    /api/v1/clients/{c}/log/visibility    whether the log is published openly
//   PUT    /api/v1/clients/{c}/log/visibility    {open}: an owner publishes it, or takes that back
#include "server/api/api_common.h"
#include "server/api/routes.h"

namespace quartet::server::api {
namespace {

Json ReadTokenJson(const governance::LogReaders::ReadToken& token) {
  return {{"id", token.id},
          {"name", token.name},
          {"created_by", token.created_by},
          {"created_at", token.created_at},
          {"expires_at", token.expires_at},
          {"revoked_at", token.revoked_at}};
}

Json VisibilityJson(const governance::LogReaders::Visibility& visibility) {
  return {{"open", visibility.open}, {"by", visibility.by}, {"since", visibility.since}};
}

}  // namespace

StatusOr<HttpResponse> CreateLogToken(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string name, call.body.Text("name", Field::kOptional));
  ASSIGN_OR_RETURN(int64_t expires_at, call.body.Integer("expires_at", Field::kRequired));
  ASSIGN_OR_RETURN(auto issued,
                   api.readers.CreateToken(call.actor, call.params[0], name, expires_at));
  Json out = ReadTokenJson(issued.info);
  out["token"] = issued.token;
  return JsonResponse(201, out);
}

StatusOr<HttpResponse> ListLogTokens(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(auto tokens, api.readers.ListTokens(call.actor, call.params[0]));
  Json list = Json::array();
  for (const auto& token : tokens) list.push_back(ReadTokenJson(token));
  return JsonResponse(200, {{"tokens", list}});
}

StatusOr<HttpResponse> RevokeLogToken(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(auto revoked,
                   api.readers.RevokeToken(call.actor, call.params[0], call.params[1]));
  return JsonResponse(200, ReadTokenJson(revoked));
}

StatusOr<HttpResponse> GetLogVisibility(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(auto visibility, api.readers.GetVisibility(call.actor, call.params[0]));
  return JsonResponse(200, VisibilityJson(visibility));
}

StatusOr<HttpResponse> SetLogVisibility(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(bool open, call.body.Boolean("open", Field::kRequired));
  ASSIGN_OR_RETURN(auto visibility, api.readers.SetVisibility(call.actor, call.params[0], open));
  return JsonResponse(200, VisibilityJson(visibility));
}

}  // namespace quartet::server::api

// People: GET /api/v1/me; POST /api/v1/owner-keys {public_key} (an owner registers a signing key);
// GET /api/v1/staff; POST /api/v1/people {user, role, client, password} -> {totp_uri};
// POST /api/v1/people/{u}/offboard (ends their grants and sign-ins). Provider admins manage staff.
#include "server/api/api_common.h"
#include "server/api/routes.h"

namespace quartet::server::api {

Json PeopleJson(const std::vector<governance::Directory::PersonView>& people) {
  Json out = Json::array();
  for (const auto& person : people) {
    out.push_back({{"user", person.user},
                   {"role", std::string(governance::RoleName(person.role))},
                   {"active", person.active},
                   {"mfa", person.mfa}});
  }
  return out;
}

StatusOr<HttpResponse> Me(ApiContext&, const Call& call) {
  return JsonResponse(200, {{"user", call.actor.user},
                            {"role", std::string(governance::RoleName(call.actor.role))},
                            {"client", call.actor.client}});
}

StatusOr<HttpResponse> RegisterOwnerKey(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string encoded, call.body.Text("public_key", Field::kRequired));
  ASSIGN_OR_RETURN(Bytes public_key, Base64Decode(encoded));
  ASSIGN_OR_RETURN(std::string key_id,
                   api.access.directory().RegisterOwnerKey(call.actor, public_key));
  return JsonResponse(201, {{"key_id", key_id}});
}

StatusOr<HttpResponse> ListStaff(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(auto staff, api.access.directory().ListStaff(call.actor));
  return JsonResponse(200, {{"staff", PeopleJson(staff)}});
}

StatusOr<HttpResponse> Onboard(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string user, call.body.Text("user", Field::kRequired));
  ASSIGN_OR_RETURN(std::string role_name, call.body.Text("role", Field::kRequired));
  ASSIGN_OR_RETURN(std::string client, call.body.Text("client", Field::kOptional));
  ASSIGN_OR_RETURN(std::string password, call.body.Text("password", Field::kRequired));
  ASSIGN_OR_RETURN(governance::Role role, governance::RoleFromName(role_name));
  ASSIGN_OR_RETURN(std::string uri,
                   api.access.directory().Onboard(call.actor, user, role, client, password));
  return JsonResponse(201,
                      {{"user", user}, {"role", role_name}, {"client", client}, {"totp_uri", uri}});
}

StatusOr<HttpResponse> Offboard(ApiContext& api, const Call& call) {
  const std::string& user = call.params[0];
  ASSIGN_OR_RETURN(int revoked, api.access.directory().Offboard(call.actor, user));
  return JsonResponse(200, {{"user", user}, {"grants_revoked", revoked}});
}

}  // namespace quartet::server::api

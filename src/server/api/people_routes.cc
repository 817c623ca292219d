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
  ASSIGN_OR_RETURN(std::string password, call.body.Text("password", Field::kOptional));
  ASSIGN_OR_RETURN(governance::Role role, governance::RoleFromName(role_name));
  ASSIGN_OR_RETURN(governance::Directory::Onboarded onboarded,
                   api.access.directory().Onboard(call.actor, user, role, client, password));
  Json reply = {{"user", user}, {"role", role_name}, {"client", client}};
  if (onboarded.invitation.empty()) {
    reply["totp_uri"] = onboarded.totp_uri;
  } else {
    // For the person alone: they open it, choose their password and receive their second factor.
    reply["invitation"] = onboarded.invitation;
    reply["invitation_url"] = "/#/invitation/" + onboarded.invitation;
    reply["invitation_expires_at"] = onboarded.invitation_expires_at;
  }
  return JsonResponse(201, reply);
}

StatusOr<HttpResponse> AcceptInvitation(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string code, call.body.Text("code", Field::kRequired));
  ASSIGN_OR_RETURN(std::string password, call.body.Text("password", Field::kRequired));
  ASSIGN_OR_RETURN(governance::Sessions::Accepted accepted,
                   api.access.sessions().AcceptInvitation(code, password));
  return JsonResponse(200, {{"user", accepted.user}, {"totp_uri", accepted.totp_uri}});
}

StatusOr<HttpResponse> ChangeOwnPassword(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string current, call.body.Text("current_password", Field::kRequired));
  ASSIGN_OR_RETURN(std::string next, call.body.Text("new_password", Field::kRequired));
  RETURN_IF_ERROR(api.access.sessions().ChangeOwnPassword(call.actor, current, next));
  return JsonResponse(200, {{"user", call.actor.user}});
}

StatusOr<HttpResponse> ReenrolOwnTotp(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string password, call.body.Text("password", Field::kRequired));
  ASSIGN_OR_RETURN(std::string uri, api.access.sessions().ReenrolOwnTotp(call.actor, password));
  return JsonResponse(200, {{"user", call.actor.user}, {"totp_uri", uri}});
}

StatusOr<HttpResponse> Offboard(ApiContext& api, const Call& call) {
  const std::string& user = call.params[0];
  ASSIGN_OR_RETURN(auto offboarded, api.access.directory().Offboard(call.actor, user));
  Json at_risk = Json::array();
  for (const auto& credential : offboarded.at_risk) {
    at_risk.push_back({{"client", credential.client},
                       {"resource", credential.resource},
                       {"name", credential.name},
                       {"version", credential.version},
                       {"revealed_at", credential.revealed_at},
                       {"rotates", credential.rotates}});
  }
  return JsonResponse(
      200,
      {{"user", user}, {"grants_revoked", offboarded.revoked}, {"credentials_at_risk", at_risk}});
}

}  // namespace quartet::server::api

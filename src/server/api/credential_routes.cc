// The client's credentials, sealed to its agent (governance/credentials.h, docs/credentials.md):
//   POST /api/v1/clients/{c}/credentials   {resource, name, username?, exclusive?, rotate?, version,
//                                           sealed: {enc, ciphertext, sealed_to}, commitment}: an
//                                           owner or a provider admin stores the next version
//   GET  /api/v1/clients/{c}/credentials   anyone who may see the client lists them (never the
//                                           sealed bytes)
#include "server/api/api_common.h"
#include "server/api/routes.h"

namespace quartet::server::api {
namespace {

Json CredentialJson(const governance::CredentialInfo& info) {
  return {{"resource", info.resource},
          {"name", info.name},
          {"username", info.username},
          {"exclusive", info.exclusive},
          {"rotate", info.rotate},
          {"version", info.version},
          {"commitment", info.commitment},
          {"sealed_to", info.sealed_to},
          {"stored_by", info.stored_by},
          {"stored_at", info.stored_at},
          {"revealed_version", info.revealed_version},
          {"revealed_to", info.revealed_to},
          {"revealed_grant", info.revealed_grant},
          {"revealed_at", info.revealed_at},
          {"rotated_at", info.rotated_at},
          {"state", info.state}};
}

StatusOr<vault::HpkeKey> EncOf(std::string_view text) {
  auto bytes = Base64Decode(text);
  if (!bytes.ok() || bytes->size() != vault::kHpkeKeySize)
    return InvalidArgumentError("sealed.enc is the base64 of 32 bytes");
  vault::HpkeKey enc;
  std::copy(bytes->begin(), bytes->end(), enc.begin());
  return enc;
}

}  // namespace

StatusOr<HttpResponse> StoreCredential(ApiContext& api, const Call& call) {
  RETURN_IF_ERROR(call.body.OnlyFields(
      {"resource", "name", "username", "exclusive", "rotate", "version", "sealed", "commitment"}));
  governance::CredentialVersion version;
  ASSIGN_OR_RETURN(version.resource, call.body.Text("resource", Field::kRequired));
  ASSIGN_OR_RETURN(version.name, call.body.Text("name", Field::kRequired));
  ASSIGN_OR_RETURN(version.username, call.body.Text("username", Field::kOptional));
  ASSIGN_OR_RETURN(version.exclusive, call.body.Boolean("exclusive", Field::kOptional));
  ASSIGN_OR_RETURN(version.rotate, call.body.Text("rotate", Field::kOptional));
  ASSIGN_OR_RETURN(version.version, call.body.Unsigned("version", Field::kRequired));
  ASSIGN_OR_RETURN(version.commitment, call.body.Text("commitment", Field::kRequired));
  ASSIGN_OR_RETURN(JsonObject sealed, call.body.Object("sealed", Field::kRequired));
  RETURN_IF_ERROR(sealed.OnlyFields({"enc", "ciphertext", "sealed_to"}));
  ASSIGN_OR_RETURN(std::string enc, sealed.Text("enc", Field::kRequired));
  ASSIGN_OR_RETURN(std::string ciphertext, sealed.Text("ciphertext", Field::kRequired));
  ASSIGN_OR_RETURN(version.sealed.sealed_to, sealed.Text("sealed_to", Field::kRequired));
  ASSIGN_OR_RETURN(version.sealed.enc, EncOf(enc));
  auto bytes = Base64Decode(ciphertext);
  if (!bytes.ok()) return InvalidArgumentError("sealed.ciphertext is not base64");
  version.sealed.ciphertext.assign(bytes->begin(), bytes->end());
  ASSIGN_OR_RETURN(governance::CredentialInfo stored,
                   api.access.credentials().Store(call.actor, call.params[0], version));
  return JsonResponse(201, CredentialJson(stored));
}

StatusOr<HttpResponse> ListCredentials(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(auto listed, api.access.credentials().List(call.actor, call.params[0]));
  Json credentials = Json::array();
  for (const auto& info : listed) credentials.push_back(CredentialJson(info));
  return JsonResponse(200, {{"credentials", credentials}});
}

}  // namespace quartet::server::api

// The client's credentials, sealed to its agent (governance/credentials.h, docs/credentials.md):
//   POST /api/v1/clients/{c}/credentials   {resource, name, username?, exclusive?, rotate?, version,
//                                           sealed: {enc, ciphertext, sealed_to}, commitment}: an
//                                           owner or a provider admin stores the next version
//   GET  /api/v1/clients/{c}/credentials   anyone who may see the client lists them (never the
//                                           sealed bytes)
//   GET  /api/v1/agent/credentials         the client's agent: each current version, sealed to it
//   POST /api/v1/agent/rotations           the agent: {resource, name, version, grant, sealed:
//                                           {enc, ciphertext, sealed_to}, commitment,
//                                           certificate?: {key_id, serial}} once it changed the
//                                           secret on its target, or {resource, name, version,
//                                           grant, failed: reason}
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
          {"rotation_error", info.rotation_error},
          {"rotation_failed_at", info.rotation_failed_at},
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

// The body's `sealed` object: {enc, ciphertext, sealed_to}.
StatusOr<vault::SealedCredential> SealedOf(const JsonObject& body) {
  ASSIGN_OR_RETURN(JsonObject sealed, body.Object("sealed", Field::kRequired));
  RETURN_IF_ERROR(sealed.OnlyFields({"enc", "ciphertext", "sealed_to"}));
  vault::SealedCredential out;
  ASSIGN_OR_RETURN(std::string enc, sealed.Text("enc", Field::kRequired));
  ASSIGN_OR_RETURN(std::string ciphertext, sealed.Text("ciphertext", Field::kRequired));
  ASSIGN_OR_RETURN(out.sealed_to, sealed.Text("sealed_to", Field::kRequired));
  ASSIGN_OR_RETURN(out.enc, EncOf(enc));
  auto bytes = Base64Decode(ciphertext);
  if (!bytes.ok()) return InvalidArgumentError("sealed.ciphertext is not base64");
  out.ciphertext.assign(bytes->begin(), bytes->end());
  return out;
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
  ASSIGN_OR_RETURN(version.sealed, SealedOf(call.body));
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

StatusOr<HttpResponse> AgentCredentials(ApiContext& api, const Call& call) {
  if (call.agent_waiting)
    return FailedPreconditionError("the client's owners have not confirmed this agent yet");
  ASSIGN_OR_RETURN(auto versions, api.access.credentials().SealedVersions(call.agent_client));
  Json credentials = Json::array();
  for (const auto& version : versions) {
    credentials.push_back({{"resource", version.resource},
                           {"name", version.name},
                           {"version", version.version},
                           {"credential",
                            {{"enc", Base64Encode(version.sealed.enc)},
                             {"ciphertext", Base64Encode(AsBytes(version.sealed.ciphertext))},
                             {"sealed_to", version.sealed.sealed_to},
                             {"commitment", version.commitment}}}});
  }
  return JsonResponse(200, {{"credentials", credentials}});
}

StatusOr<HttpResponse> RecordRotation(ApiContext& api, const Call& call) {
  if (call.agent_waiting)
    return FailedPreconditionError("the client's owners have not confirmed this agent yet");
  RETURN_IF_ERROR(call.body.OnlyFields(
      {"resource", "name", "version", "grant", "sealed", "commitment", "certificate", "failed"}));
  governance::CredentialRotation rotation;
  ASSIGN_OR_RETURN(rotation.resource, call.body.Text("resource", Field::kRequired));
  ASSIGN_OR_RETURN(rotation.name, call.body.Text("name", Field::kRequired));
  ASSIGN_OR_RETURN(rotation.version, call.body.Unsigned("version", Field::kRequired));
  ASSIGN_OR_RETURN(rotation.grant, call.body.Text("grant", Field::kRequired));
  ASSIGN_OR_RETURN(rotation.failure, call.body.Text("failed", Field::kOptional));
  if (rotation.failure.empty()) {
    ASSIGN_OR_RETURN(rotation.commitment, call.body.Text("commitment", Field::kRequired));
    ASSIGN_OR_RETURN(rotation.sealed, SealedOf(call.body));
    ASSIGN_OR_RETURN(JsonObject certificate, call.body.Object("certificate", Field::kOptional));
    ASSIGN_OR_RETURN(rotation.certificate_key_id, certificate.Text("key_id", Field::kOptional));
    ASSIGN_OR_RETURN(rotation.certificate_serial, certificate.Unsigned("serial", Field::kOptional));
  }
  RETURN_IF_ERROR(api.access.credentials().RecordRotation(call.agent_client, rotation));
  return JsonResponse(201, {{"resource", rotation.resource},
                            {"name", rotation.name},
                            {"version", rotation.version},
                            {"state", rotation.failure.empty() ? "rotated" : "failed"}});
}

}  // namespace quartet::server::api

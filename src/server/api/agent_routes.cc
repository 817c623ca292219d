// The client's agent (docs/agent.md).
//   by the agent itself (Authorization: Bearer qa_..., from enrolment)
//     POST /api/v1/agent/enrolment                     {code, name, witness_key, ssh_ca_key,
//                                                       sealing_key?}
//                                                      (the code authorises; throttled)
//     GET  /api/v1/agent/work?witnessed=N&wait=S       long poll: a tlog-witness add-checkpoint
//                                                      body and pending certificate requests
//                                                      (nothing for an agent waiting for the
//                                                      owners' confirmation); with N = 0 also the
//                                                      latest cosigned checkpoint
//     POST /api/v1/agent/cosignatures                  {size, cosignature}
//     POST /api/v1/agent/alarms                        {kind, detail}
//     POST /api/v1/agent/certificates/{id}             {certificate} or {refused: reason}
//   by people
//     POST /api/v1/clients/{c}/agent/enrolment-codes   an owner
//     GET  /api/v1/clients/{c}/agent                   the agent's health
//     POST /api/v1/clients/{c}/grants/{g}/certificates {public_key, wait_seconds}: the technician
//     GET  /api/v1/clients/{c}/certificates/{id}?wait=S   the technician who asked
// Long polls block the calling thread for at most their wait (capped at 25 s).
#include <algorithm>
#include <chrono>
#include <thread>

#include "server/api/api_common.h"
#include "server/api/routes.h"

namespace quartet::server::api {
namespace {

Json RequestJson(const governance::CertificateRequest& request) {
  Json out = {{"id", request.id},
              {"client", request.client},
              {"grant", request.grant},
              {"technician", request.technician},
              {"public_key", request.public_key},
              {"state", request.state},
              {"created_at", request.created_at}};
  if (!request.certificate.empty()) out["certificate"] = request.certificate;
  if (!request.reason.empty()) out["reason"] = request.reason;
  return out;
}

Status RequireConfirmedAgent(const Call& call) {
  if (call.agent_waiting)
    return FailedPreconditionError("the client's owners have not confirmed this agent yet");
  return Status::Ok();
}

}  // namespace

StatusOr<HttpResponse> EnrolAgent(ApiContext& api, const Call& call) {
  // Enrolment codes are guessed like passwords: the same throttle.
  const std::string address = "address:" + call.http.remote_address;
  if (Status allowed = api.throttle.Check(address); !allowed.ok())
    return JsonResponse(429, {{"error", allowed.message()}});
  ASSIGN_OR_RETURN(std::string code, call.body.Text("code", Field::kRequired));
  ASSIGN_OR_RETURN(std::string name, call.body.Text("name", Field::kRequired));
  governance::AgentKeyTexts keys;
  ASSIGN_OR_RETURN(keys.witness_key, call.body.Text("witness_key", Field::kRequired));
  ASSIGN_OR_RETURN(keys.ssh_ca_key, call.body.Text("ssh_ca_key", Field::kRequired));
  ASSIGN_OR_RETURN(keys.sealing_key, call.body.Text("sealing_key", Field::kOptional));
  auto enrolment = api.agents.Enrol(code, name, keys);
  if (!enrolment.ok()) {
    if (enrolment.status().code() == StatusCode::kUnauthenticated)
      api.throttle.RecordFailure(address);
    return enrolment.status();
  }
  return JsonResponse(201, {{"client", enrolment->client},
                            {"token", enrolment->token},
                            {"log_key", enrolment->log_key},
                            {"origin", enrolment->origin},
                            {"replaces", enrolment->replaces}});
}

StatusOr<HttpResponse> AgentWork(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(uint64_t witnessed, ParseDecimal(QueryParameter(call.http.target, "witnessed")));
  ASSIGN_OR_RETURN(auto wait, WaitParameter(QueryParameter(call.http.target, "wait")));
  if (call.agent_waiting) {
    // Until the owners confirm it, the agent gets no work: it asks again in a while.
    std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(2000)));
    return JsonResponse(200, {{"client", call.agent_client},
                              {"waiting", "the owners have not confirmed this agent yet"},
                              {"add_checkpoint", ""},
                              {"certificate_requests", Json::array()},
                              {"reveal_requests", Json::array()}});
  }
  ASSIGN_OR_RETURN(auto work, api.agents.NextWork(call.agent_client, witnessed, wait));
  Json requests = Json::array();
  for (const auto& pending : work.certificate_requests) requests.push_back(RequestJson(pending));
  Json reveals = Json::array();
  for (const auto& pending : work.reveal_requests) reveals.push_back(RevealJson(pending));
  return JsonResponse(200, {{"client", call.agent_client},
                            {"add_checkpoint", work.add_checkpoint},
                            {"cosigned_checkpoint", work.cosigned_checkpoint},
                            {"certificate_requests", requests},
                            {"reveal_requests", reveals}});
}

StatusOr<HttpResponse> AddCosignature(ApiContext& api, const Call& call) {
  RETURN_IF_ERROR(RequireConfirmedAgent(call));
  ASSIGN_OR_RETURN(uint64_t size, call.body.Unsigned("size", Field::kRequired));
  ASSIGN_OR_RETURN(std::string line, call.body.Text("cosignature", Field::kRequired));
  RETURN_IF_ERROR(api.agents.AddCosignature(call.agent_client, size, line));
  return JsonResponse(201, {{"size", size}});
}

StatusOr<HttpResponse> RaiseAlarm(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string kind, call.body.Text("kind", Field::kRequired));
  ASSIGN_OR_RETURN(std::string detail, call.body.Text("detail", Field::kOptional));
  RETURN_IF_ERROR(api.agents.RaiseAlarm(call.agent_client, kind, detail));
  return JsonResponse(201, {{"kind", kind}});
}

StatusOr<HttpResponse> AnswerCertificate(ApiContext& api, const Call& call) {
  RETURN_IF_ERROR(RequireConfirmedAgent(call));
  const std::string& id = call.params[0];
  ASSIGN_OR_RETURN(std::string certificate, call.body.Text("certificate", Field::kOptional));
  ASSIGN_OR_RETURN(std::string refused, call.body.Text("refused", Field::kOptional));
  if (certificate.empty() == refused.empty()) {
    return InvalidArgumentError("send either 'certificate' or 'refused'");
  }
  RETURN_IF_ERROR(certificate.empty() ? api.agents.Refuse(call.agent_client, id, refused)
                                      : api.agents.Fulfil(call.agent_client, id, certificate));
  return JsonResponse(200, {{"id", id}, {"state", certificate.empty() ? "refused" : "issued"}});
}

StatusOr<HttpResponse> AgentHealth(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(governance::AgentView view, api.agents.View(call.actor, call.params[0]));
  Json alarms = Json::array();
  for (const auto& alarm : view.alarms) {
    alarms.push_back({{"at", alarm.at}, {"kind", alarm.kind}, {"detail", alarm.detail}});
  }
  Json replacement = nullptr;
  if (view.replacement.has_value()) {
    replacement = {{"name", view.replacement->name},
                   {"witness_key", view.replacement->witness_key},
                   {"ssh_ca_key", view.replacement->ssh_ca_key},
                   {"sealing_key", view.replacement->sealing_key},
                   {"enrolled_at", view.replacement->enrolled_at}};
  }
  return JsonResponse(200, {{"enrolled", view.enrolled},
                            {"replacement", replacement},
                            {"name", view.name},
                            {"witness_key", view.witness_key},
                            {"ssh_ca_key", view.ssh_ca_key},
                            {"sealing_key", view.sealing_key},
                            {"enrolled_at", view.enrolled_at},
                            {"last_seen", view.last_seen},
                            {"witnessed_size", view.witnessed_size},
                            {"log_size", view.log_size},
                            {"pending_certificates", view.pending_certificates},
                            {"alarms", alarms}});
}

StatusOr<HttpResponse> CreateEnrolmentCode(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string code, api.agents.CreateEnrolmentCode(call.actor, call.params[0]));
  return JsonResponse(201, {{"code", code}, {"valid_seconds", governance::kEnrolmentCodeSeconds}});
}

StatusOr<HttpResponse> RequestCertificate(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string public_key, call.body.Text("public_key", Field::kRequired));
  ASSIGN_OR_RETURN(int64_t wait_seconds, call.body.Integer("wait_seconds", Field::kOptional));
  const auto wait = std::chrono::seconds(std::clamp<int64_t>(wait_seconds, 0, kMaxWaitSeconds));
  ASSIGN_OR_RETURN(auto answer, api.agents.RequestCertificate(call.actor, call.params[0],
                                                              call.params[1], public_key, wait));
  return JsonResponse(answer.state == "pending" ? 202 : 201, RequestJson(answer));
}

StatusOr<HttpResponse> GetCertificate(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(auto wait, WaitParameter(QueryParameter(call.http.target, "wait")));
  ASSIGN_OR_RETURN(auto answer, api.agents.GetCertificateRequest(call.actor, call.params[0],
                                                                 call.params[1], wait));
  return JsonResponse(200, RequestJson(answer));
}

}  // namespace quartet::server::api

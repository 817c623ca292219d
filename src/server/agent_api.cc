#include "server/agent_api.h"

#include <algorithm>
#include <chrono>

#include "server/api_common.h"

namespace quartet::server {
namespace {

constexpr int64_t kMaxWaitSeconds = 25;

StatusOr<std::chrono::milliseconds> WaitParameter(std::string_view text) {
  if (text.empty()) return std::chrono::milliseconds(0);
  ASSIGN_OR_RETURN(uint64_t seconds, ParseDecimal(text));
  return std::chrono::milliseconds(std::min<uint64_t>(seconds, kMaxWaitSeconds) * 1000);
}

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

}  // namespace

HttpResponse AgentApi::HandleAgent(const HttpRequest& request,
                                   const std::vector<std::string>& parts) {
  auto body = Body::Parse(request.body);
  if (!body.ok()) return Error(body.status());
  auto route = [&]() -> StatusOr<HttpResponse> {
    if (parts.size() == 5 && parts[4] == "enrolment" && request.method == "POST") {
      ASSIGN_OR_RETURN(std::string code, body->Text("code", true));
      ASSIGN_OR_RETURN(std::string name, body->Text("name", true));
      ASSIGN_OR_RETURN(std::string witness_key, body->Text("witness_key", true));
      ASSIGN_OR_RETURN(std::string ssh_ca_key, body->Text("ssh_ca_key", true));
      ASSIGN_OR_RETURN(auto enrolment, agents_.Enrol(code, name, witness_key, ssh_ca_key));
      return JsonResponse(201, {{"client", enrolment.client},
                                {"token", enrolment.token},
                                {"log_key", enrolment.log_key},
                                {"origin", enrolment.origin}});
    }
    std::string_view authorization = Header(request, "authorization");
    if (!authorization.starts_with("Bearer "))
      return UnauthenticatedError("send the agent's token as a bearer token");
    ASSIGN_OR_RETURN(std::string client, agents_.AuthenticateAgent(authorization.substr(7)));
    if (parts.size() == 5 && parts[4] == "work" && request.method == "GET") {
      ASSIGN_OR_RETURN(uint64_t witnessed,
                       ParseDecimal(QueryParameter(request.target, "witnessed")));
      ASSIGN_OR_RETURN(auto wait, WaitParameter(QueryParameter(request.target, "wait")));
      ASSIGN_OR_RETURN(auto work, agents_.NextWork(client, witnessed, wait));
      Json requests = Json::array();
      for (const auto& pending : work.certificate_requests)
        requests.push_back(RequestJson(pending));
      return JsonResponse(200, {{"client", client},
                                {"add_checkpoint", work.add_checkpoint},
                                {"certificate_requests", requests}});
    }
    if (parts.size() == 5 && parts[4] == "cosignatures" && request.method == "POST") {
      ASSIGN_OR_RETURN(int64_t size, body->Integer("size", true));
      ASSIGN_OR_RETURN(std::string line, body->Text("cosignature", true));
      if (size < 0) return InvalidArgumentError("'size' must not be negative");
      RETURN_IF_ERROR(agents_.AddCosignature(client, static_cast<uint64_t>(size), line));
      return JsonResponse(201, {{"size", size}});
    }
    if (parts.size() == 5 && parts[4] == "alarms" && request.method == "POST") {
      ASSIGN_OR_RETURN(std::string kind, body->Text("kind", true));
      ASSIGN_OR_RETURN(std::string detail, body->Text("detail", false));
      RETURN_IF_ERROR(agents_.RaiseAlarm(client, kind, detail));
      return JsonResponse(201, {{"kind", kind}});
    }
    if (parts.size() == 6 && parts[4] == "certificates" && request.method == "POST") {
      ASSIGN_OR_RETURN(std::string certificate, body->Text("certificate", false));
      ASSIGN_OR_RETURN(std::string refused, body->Text("refused", false));
      if (certificate.empty() == refused.empty()) {
        return InvalidArgumentError("send either 'certificate' or 'refused'");
      }
      RETURN_IF_ERROR(certificate.empty() ? agents_.Refuse(client, parts[5], refused)
                                          : agents_.Fulfil(client, parts[5], certificate));
      return JsonResponse(
          200, {{"id", parts[5]}, {"state", certificate.empty() ? "refused" : "issued"}});
    }
    return NotFoundError("no such route");
  };
  auto response = route();
  if (!response.ok()) return Error(response.status());
  return std::move(*response);
}

std::optional<HttpResponse> AgentApi::HandlePerson(const governance::Actor& actor,
                                                   const HttpRequest& request,
                                                   const std::vector<std::string>& parts) {
  // parts: "", "api", "v1", "clients", c, ...
  if (parts.size() < 6 || parts[3] != "clients") return std::nullopt;
  const std::string& client = parts[4];
  const std::string& method = request.method;
  auto route = [&]() -> StatusOr<std::optional<HttpResponse>> {
    if (parts.size() == 6 && parts[5] == "agent" && method == "GET") {
      ASSIGN_OR_RETURN(governance::AgentView view, agents_.View(actor, client));
      Json alarms = Json::array();
      for (const auto& alarm : view.alarms) {
        alarms.push_back({{"at", alarm.at}, {"kind", alarm.kind}, {"detail", alarm.detail}});
      }
      return std::optional<HttpResponse>(
          JsonResponse(200, {{"enrolled", view.enrolled},
                             {"name", view.name},
                             {"witness_key", view.witness_key},
                             {"ssh_ca_key", view.ssh_ca_key},
                             {"enrolled_at", view.enrolled_at},
                             {"last_seen", view.last_seen},
                             {"witnessed_size", view.witnessed_size},
                             {"log_size", view.log_size},
                             {"pending_certificates", view.pending_certificates},
                             {"alarms", alarms}}));
    }
    if (parts.size() == 7 && parts[5] == "agent" && parts[6] == "enrolment-codes" &&
        method == "POST") {
      ASSIGN_OR_RETURN(std::string code, agents_.CreateEnrolmentCode(actor, client));
      return std::optional<HttpResponse>(JsonResponse(
          201, {{"code", code}, {"valid_seconds", governance::kEnrolmentCodeSeconds}}));
    }
    if (parts.size() == 8 && parts[5] == "grants" && parts[7] == "certificates" &&
        method == "POST") {
      ASSIGN_OR_RETURN(Body body, Body::Parse(request.body));
      ASSIGN_OR_RETURN(std::string public_key, body.Text("public_key", true));
      ASSIGN_OR_RETURN(int64_t wait_seconds, body.Integer("wait_seconds", false));
      const auto wait = std::chrono::seconds(std::clamp<int64_t>(wait_seconds, 0, kMaxWaitSeconds));
      ASSIGN_OR_RETURN(auto answer,
                       agents_.RequestCertificate(actor, client, parts[6], public_key, wait));
      return std::optional<HttpResponse>(
          JsonResponse(answer.state == "pending" ? 202 : 201, RequestJson(answer)));
    }
    if (parts.size() == 7 && parts[5] == "certificates" && method == "GET") {
      ASSIGN_OR_RETURN(auto wait, WaitParameter(QueryParameter(request.target, "wait")));
      ASSIGN_OR_RETURN(auto answer, agents_.GetCertificateRequest(actor, client, parts[6], wait));
      return std::optional<HttpResponse>(JsonResponse(200, RequestJson(answer)));
    }
    return std::optional<HttpResponse>();
  };
  auto response = route();
  if (!response.ok()) return Error(response.status());
  return std::move(*response);
}

}  // namespace quartet::server

// The routes of the client's agent under /api/v1 (docs/openapi.yaml):
//
//   by the agent itself (Authorization: Bearer qa_..., from enrolment)
//     POST /api/v1/agent/enrolment                     {code, name, witness_key, ssh_ca_key}
//                                                      (the code authorises)
//     GET  /api/v1/agent/work?witnessed=N&wait=S       long poll: a tlog-witness add-checkpoint
//                                                      body and pending certificate requests
//     POST /api/v1/agent/cosignatures                  {size, cosignature}
//     POST /api/v1/agent/alarms                        {kind, detail}
//     POST /api/v1/agent/certificates/{id}             {certificate} or {refused: reason}
//   by people (signed in as for every other route)
//     POST /api/v1/clients/{c}/agent/enrolment-codes   an owner
//     GET  /api/v1/clients/{c}/agent                   the agent's health
//     POST /api/v1/clients/{c}/grants/{g}/certificates {public_key, wait_seconds}: the technician
//     GET  /api/v1/clients/{c}/certificates/{id}?wait=S   the technician who asked
//
// Thread-safe. Long polls block the calling thread for at most their wait (capped at 25 s); at
// most 40 wait at once, the others are answered at once.
#pragma once

#include <string>
#include <vector>

#include "governance/agent_service.h"
#include "server/http.h"

namespace quartet::server {

class AgentApi {
 public:
  explicit AgentApi(governance::AgentService& agents) : agents_(agents) {}

  // Routes under /api/v1/agent/. `parts` is the split path ("", "api", "v1", "agent", ...).
  HttpResponse HandleAgent(const HttpRequest& request, const std::vector<std::string>& parts);
  // Routes of signed-in people under /api/v1/clients/{c}/; nullopt when the route is not one of
  // these.
  std::optional<HttpResponse> HandlePerson(const governance::Actor& actor,
                                           const HttpRequest& request,
                                           const std::vector<std::string>& parts);

 private:
  governance::AgentService& agents_;
};

}  // namespace quartet::server

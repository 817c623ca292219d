// The JSON REST API under /api/v1 (described in docs/openapi.yaml). Every request carries
// "Authorization: Bearer <token>", or the session cookie set by POST /api/v1/sessions (sign-in with
// password and TOTP) together with an X-CSRF-Token header on every state-changing request; what
// each person may do is decided by the governance service,
// and errors come back as {"error": "<reason>"} with the status their code maps to.
//
// Thread-safe: Handle may be called from many threads.
#pragma once

#include "base/clock.h"
#include "governance/access_service.h"
#include "governance/agent_service.h"
#include "identity/throttle.h"
#include "server/agent_api.h"
#include "server/client_api.h"
#include "server/http.h"

namespace quartet::server {

class ApiService {
 public:
  ApiService(governance::AccessService& service, governance::AgentService& agents,
             governance::EventIndex& events, store::DataFolder& folder, Clock& clock)
      : service_(service),
        agent_api_(agents),
        client_api_(service, events, folder),
        clock_(clock),
        throttle_(clock) {}
  HttpResponse Handle(const HttpRequest& request);

 private:
  HttpResponse SignIn(const HttpRequest& request);
  HttpResponse SignOut(const HttpRequest& request);

  governance::AccessService& service_;
  AgentApi agent_api_;
  ClientApi client_api_;
  Clock& clock_;
  identity::SignInThrottle throttle_;
};

}  // namespace quartet::server

// The JSON REST API under /api/v1 (docs/openapi.yaml; every route in server/api/routes.cc). Every
// person's request carries "Authorization: Bearer <token>", or the session cookie set by
// POST /api/v1/sessions (sign-in with password and TOTP) together with an X-CSRF-Token header on
// every state-changing request; the agent sends its own bearer token. What each person may do is
// decided by the governance services; errors come back as {"error": "<reason>"} with the status
// their code maps to.
//
// Thread-safe: Handle may be called from many threads.
#pragma once

#include "base/clock.h"
#include "governance/access_service.h"
#include "governance/agent_service.h"
#include "governance/event_index.h"
#include "governance/log_readers.h"
#include "identity/rate_limit.h"
#include "identity/throttle.h"
#include "server/api/router.h"
#include "server/http.h"
#include "store/data_folder.h"

namespace quartet::server {

class ApiService {
 public:
  // Every reference must outlive the service.
  ApiService(governance::AccessService& access, governance::AgentService& agents,
             governance::EventIndex& events, governance::LogReaders& readers,
             store::DataFolder& folder, Clock& clock, bool request_limits = true)
      : throttle_(clock),
        limits_(clock, request_limits),
        context_{access, agents, events, readers, folder, clock, throttle_, limits_},
        router_(api::AllRoutes()) {}

  HttpResponse Handle(const HttpRequest& request);

 private:
  StatusOr<HttpResponse> Dispatch(const HttpRequest& request);

  identity::SignInThrottle throttle_;
  identity::RateLimiter limits_;
  api::ApiContext context_;
  const api::Router router_;
};

}  // namespace quartet::server

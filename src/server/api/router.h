// The routes of the JSON API under /api/v1, as one table (routes.cc) of method, path pattern, who
// may call it, and handler. A pattern's segments are literal, or "{name}" for any one non-empty
// segment, captured in order. Each handler lives in the file of its resource (routes.h lists them).
//
// Thread safety: a Router is immutable once made; handlers may run on many threads at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/json.h"
#include "base/status.h"
#include "governance/access_service.h"
#include "governance/agent_service.h"
#include "governance/event_index.h"
#include "governance/log_readers.h"
#include "identity/rate_limit.h"
#include "identity/throttle.h"
#include "server/http.h"
#include "store/data_folder.h"

namespace quartet::server::api {

// What the handlers act on.
struct ApiContext {
  governance::AccessService& access;
  governance::AgentService& agents;
  governance::EventIndex& events;
  governance::LogReaders& readers;
  store::DataFolder& folder;
  Clock& clock;
  identity::SignInThrottle& throttle;
  identity::RateLimiter& limits;  // what costs a client: requests, proposals (api_common.h)
};

enum class Caller {
  kAnyone,  // the handler authenticates the caller itself (sign-in, enrolment)
  kAgent,   // the client's agent, by its bearer token
  kPerson,  // a signed-in person: bearer token, or session cookie with its CSRF token
};

// One call of a route.
struct Call {
  const HttpRequest& http;
  const JsonObject& body;                  // the body, checked to be an object ({} when empty)
  const std::vector<std::string>& params;  // the {…} segments of the path, in order
  const governance::Actor& actor;          // kPerson routes: who asks
  const std::string& agent_client;         // kAgent routes: whose agent asks
  // kAgent routes: the agent waits for the owners to confirm it in place of the client's agent
  // (governance::AgentService::Enrol); it gets no work until they do.
  bool agent_waiting = false;
};

using Handler = StatusOr<HttpResponse> (*)(ApiContext& api, const Call& call);

struct Route {
  std::string_view method;
  std::string_view pattern;
  Caller caller;
  Handler handler;
};

class Router {
 public:
  explicit Router(std::vector<Route> routes);

  struct Match {
    const Route* route = nullptr;  // null when no route matches
    bool other_method = false;     // no route, but the path is a route's with another method
    std::vector<std::string> params;
  };
  // The first route whose pattern and method match `path` (without its query).
  Match Find(std::string_view method, std::string_view path) const;

 private:
  struct Compiled {
    Route route;
    std::vector<std::string> segments;  // "{}" for a capture
  };
  std::vector<Compiled> routes_;
};

// The one table of every route.
const std::vector<Route>& AllRoutes();

}  // namespace quartet::server::api

// The routes the dashboard reads a client's world through, and the provider admin's routes
// (docs/openapi.yaml):
//
//   GET  /api/v1/clients                         the clients the caller may see
//   POST /api/v1/clients                         {tenant, name, time_zone}            provider admin
//   GET  /api/v1/clients/{c}                     name, time zone, resources, people, technicians,
//                                                and the log's origin and verifier keys
//   POST /api/v1/clients/{c}/resources           {name, kind, labels: [...]}          provider admin
//   POST /api/v1/clients/{c}/technicians         {technician}                          provider admin
//   GET  /api/v1/clients/{c}/events?below=N&technician=&resource=&kind=&q=&from=&to=&limit=
//                                                the timeline, newest first: each event's log index
//                                                and exact entry, so the page checks its inclusion
//   GET  /api/v1/clients/{c}/event-facets        the values the timeline can be filtered by
//   GET  /api/v1/staff                           provider staff                         provider admin
//   POST /api/v1/people                          {user, role, client, password} -> {totp_uri}
//   POST /api/v1/people/{u}/offboard             ends their grants and sign-ins         provider admin
//
// Technicians see only the events about them: their grants and their relationship. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "governance/access_service.h"
#include "governance/event_index.h"
#include "server/http.h"
#include "store/data_folder.h"

namespace quartet::server {

class ClientApi {
 public:
  ClientApi(governance::AccessService& service, governance::EventIndex& events,
            store::DataFolder& folder)
      : service_(service), events_(events), folder_(folder) {}

  // nullopt when the route is not one of these. `parts` is the split path ("", "api", "v1", ...).
  std::optional<HttpResponse> Handle(const governance::Actor& actor, const HttpRequest& request,
                                     const std::vector<std::string>& parts);

 private:
  governance::AccessService& service_;
  governance::EventIndex& events_;
  store::DataFolder& folder_;
};

}  // namespace quartet::server

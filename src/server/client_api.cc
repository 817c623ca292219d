#include "server/client_api.h"

#include <climits>

#include "server/api_common.h"

namespace quartet::server {
namespace {

using governance::Actor;
using governance::Role;

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

StatusOr<int64_t> TimeParameter(std::string_view value) {
  ASSIGN_OR_RETURN(uint64_t seconds, ParseDecimal(value));
  if (seconds > static_cast<uint64_t>(INT64_MAX)) return InvalidArgumentError("time out of range");
  return static_cast<int64_t>(seconds);
}

StatusOr<governance::EventQuery> ParseEventQuery(std::string_view target) {
  governance::EventQuery query;
  RETURN_IF_ERROR(
      ForEachQueryParameter(target, [&](std::string_view key, std::string_view raw) -> Status {
        ASSIGN_OR_RETURN(std::string value, PercentDecode(raw));
        if (key == "below") {
          auto below = ParseDecimal(value);
          if (!below.ok()) return InvalidArgumentError("'below' must be a log index");
          query.below = *below;
        } else if (key == "limit") {
          auto limit = ParseDecimal(value);
          if (!limit.ok() || *limit < 1 || *limit > 500)
            return InvalidArgumentError("limit must be 1 to 500");
          query.limit = static_cast<int>(*limit);
        } else if (key == "from") {
          ASSIGN_OR_RETURN(query.from, TimeParameter(value));
        } else if (key == "to") {
          ASSIGN_OR_RETURN(query.to, TimeParameter(value));
        } else if (key == "technician") {
          query.technician = value;
        } else if (key == "resource") {
          query.resource = value;
        } else if (key == "kind") {
          query.kind = value;
        } else if (key == "q") {
          if (value.size() > 200) return InvalidArgumentError("search text over 200 characters");
          query.text = value;
        } else {
          return InvalidArgumentError("unknown query parameter '" + std::string(key) + "'");
        }
        return Status::Ok();
      }));
  return query;
}

StatusOr<access::LabelSet> LabelsFromJson(const Json& body) {
  access::LabelSet labels = 0;
  auto found = body.find("labels");
  if (found == body.end()) return labels;
  if (!found->is_array()) return InvalidArgumentError("'labels' must be a list of label names");
  for (const Json& name : *found) {
    if (!name.is_string()) return InvalidArgumentError("'labels' must be a list of label names");
    ASSIGN_OR_RETURN(access::Label label, access::LabelFromName(name.get<std::string>()));
    labels |= static_cast<access::LabelSet>(label);
  }
  return labels;
}

}  // namespace

std::optional<HttpResponse> ClientApi::Handle(const Actor& actor, const HttpRequest& request,
                                              const std::vector<std::string>& parts) {
  const std::string& method = request.method;
  const size_t n = parts.size();
  const bool clients = n >= 4 && parts[3] == "clients";
  const bool mine =
      (clients && (n == 4 || (n == 5 && method == "GET") ||
                   (n == 6 && (parts[5] == "resources" || parts[5] == "technicians" ||
                               parts[5] == "events" || parts[5] == "event-facets")))) ||
      (n == 4 && parts[3] == "staff") || (n >= 4 && n <= 6 && parts[3] == "people");
  if (!mine) return std::nullopt;
  auto body = Body::Parse(request.body);
  if (!body.ok()) return Error(body.status());

  auto route = [&]() -> StatusOr<HttpResponse> {
    if (clients && n == 4 && method == "GET") {
      ASSIGN_OR_RETURN(auto list, service_.directory().ListClients(actor));
      Json out = Json::array();
      for (const auto& client : list) {
        out.push_back(
            {{"tenant", client.tenant}, {"name", client.name}, {"time_zone", client.time_zone}});
      }
      return JsonResponse(200, {{"clients", out}});
    }
    if (clients && n == 4 && method == "POST") {
      ASSIGN_OR_RETURN(std::string tenant, body->Text("tenant", true));
      ASSIGN_OR_RETURN(std::string name, body->Text("name", true));
      ASSIGN_OR_RETURN(std::string time_zone, body->Text("time_zone", true));
      if (!ledger::IsValidTenant(tenant)) {
        return InvalidArgumentError("'tenant' must be 1 to 63 lower-case letters, digits or '-'");
      }
      RETURN_IF_ERROR(service_.directory().CreateClient(actor, tenant, name, time_zone));
      return JsonResponse(201, {{"tenant", tenant}, {"name", name}, {"time_zone", time_zone}});
    }
    if (clients && n == 5) {
      const std::string& client = parts[4];
      ASSIGN_OR_RETURN(auto view, service_.directory().DescribeClient(actor, client));
      ASSIGN_OR_RETURN(ledger::LogConfig log, folder_.logs().GetLog(client));
      Json resources = Json::array();
      for (const auto& resource : view.resources) {
        resources.push_back({{"name", resource.name},
                             {"kind", std::string(access::KindName(resource.kind))},
                             {"labels", LabelsJson(resource.labels)}});
      }
      // The keys are what the page pins on first sight and checks the log against from then on.
      return JsonResponse(200, {{"tenant", client},
                                {"name", view.client.name},
                                {"time_zone", view.client.time_zone},
                                {"resources", resources},
                                {"people", PeopleJson(view.people)},
                                {"technicians", view.technicians},
                                {"log",
                                 {{"url", "/logs/" + client},
                                  {"origin", log.origin},
                                  {"verifier_key", log.verifier_key},
                                  {"witness_key", log.witness_key}}}});
    }
    if (clients && n == 6 && parts[5] == "resources" && method == "POST") {
      ASSIGN_OR_RETURN(std::string name, body->Text("name", true));
      ASSIGN_OR_RETURN(std::string kind_name, body->Text("kind", true));
      ASSIGN_OR_RETURN(access::ResourceKind kind, access::ResourceKindFromName(kind_name));
      ASSIGN_OR_RETURN(access::LabelSet labels, LabelsFromJson(body->json()));
      RETURN_IF_ERROR(service_.directory().AddResource(actor, parts[4], name, kind, labels));
      return JsonResponse(201,
                          {{"name", name}, {"kind", kind_name}, {"labels", LabelsJson(labels)}});
    }
    if (clients && n == 6 && parts[5] == "technicians" && method == "POST") {
      ASSIGN_OR_RETURN(std::string technician, body->Text("technician", true));
      RETURN_IF_ERROR(service_.directory().Relate(actor, parts[4], technician));
      return JsonResponse(201, {{"technician", technician}});
    }
    if (clients && n == 6 && parts[5] == "events" && method == "GET") {
      const std::string& client = parts[4];
      ASSIGN_OR_RETURN(governance::EventQuery query, ParseEventQuery(request.target));
      ASSIGN_OR_RETURN(std::string technician_only,
                       service_.permissions().VisibleTechnician(actor, client));
      if (!technician_only.empty()) {
        if (!query.technician.empty() && query.technician != technician_only) {
          return JsonResponse(200, {{"events", Json::array()}});
        }
        query.technician = technician_only;
      }
      ASSIGN_OR_RETURN(auto found, events_.Find(client, query));
      Json out = Json::array();
      for (const auto& event : found)
        out.push_back({{"index", event.index}, {"entry", event.entry}});
      Json reply = {{"events", out}};
      if (static_cast<int>(found.size()) == query.limit) reply["next"] = found.back().index;
      return JsonResponse(200, reply);
    }
    if (clients && n == 6 && parts[5] == "event-facets" && method == "GET") {
      const std::string& client = parts[4];
      ASSIGN_OR_RETURN(std::string technician_only,
                       service_.permissions().VisibleTechnician(actor, client));
      ASSIGN_OR_RETURN(auto facets, events_.Facets(client));
      if (!technician_only.empty()) facets.technicians = {technician_only};
      return JsonResponse(200, {{"technicians", facets.technicians},
                                {"resources", facets.resources},
                                {"kinds", facets.kinds}});
    }
    if (n == 4 && parts[3] == "staff" && method == "GET") {
      ASSIGN_OR_RETURN(auto staff, service_.directory().ListStaff(actor));
      return JsonResponse(200, {{"staff", PeopleJson(staff)}});
    }
    if (n == 4 && parts[3] == "people" && method == "POST") {
      ASSIGN_OR_RETURN(std::string user, body->Text("user", true));
      ASSIGN_OR_RETURN(std::string role_name, body->Text("role", true));
      ASSIGN_OR_RETURN(std::string client, body->Text("client", false));
      ASSIGN_OR_RETURN(std::string password, body->Text("password", true));
      ASSIGN_OR_RETURN(Role role, governance::RoleFromName(role_name));
      ASSIGN_OR_RETURN(std::string uri,
                       service_.directory().Onboard(actor, user, role, client, password));
      return JsonResponse(
          201, {{"user", user}, {"role", role_name}, {"client", client}, {"totp_uri", uri}});
    }
    if (n == 6 && parts[3] == "people" && parts[5] == "offboard" && method == "POST") {
      ASSIGN_OR_RETURN(int revoked, service_.directory().Offboard(actor, parts[4]));
      return JsonResponse(200, {{"user", parts[4]}, {"grants_revoked", revoked}});
    }
    return NotFoundError("no such route");
  };
  auto response = route();
  if (!response.ok()) return Error(response.status());
  return std::move(*response);
}

}  // namespace quartet::server

// Clients: GET /api/v1/clients (those the caller may see); POST /api/v1/clients {tenant, name,
// time_zone}; GET /api/v1/clients/{c} (name, time zone, resources, people, technicians, and the
// log's origin and keys, which the dashboard pins); POST …/resources {name, kind, labels};
// POST …/technicians {technician}; GET …/events?below=&technician=&resource=&kind=&q=&from=&to=
// &limit= (the timeline, newest first, each event's log index and exact entry); GET …/event-facets.
// Technicians see only the events about them.
#include <climits>

#include "server/api/api_common.h"
#include "server/api/routes.h"

namespace quartet::server::api {
namespace {

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

StatusOr<access::LabelSet> LabelsOf(const JsonObject& body) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, body.Texts("labels", Field::kOptional));
  access::LabelSet labels = 0;
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(access::Label label, access::LabelFromName(name));
    labels |= static_cast<access::LabelSet>(label);
  }
  return labels;
}

}  // namespace

StatusOr<HttpResponse> ListClients(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(auto list, api.access.directory().ListClients(call.actor));
  Json out = Json::array();
  for (const auto& client : list) {
    out.push_back(
        {{"tenant", client.tenant}, {"name", client.name}, {"time_zone", client.time_zone}});
  }
  return JsonResponse(200, {{"clients", out}});
}

StatusOr<HttpResponse> CreateClient(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string tenant, call.body.Text("tenant", Field::kRequired));
  ASSIGN_OR_RETURN(std::string name, call.body.Text("name", Field::kRequired));
  ASSIGN_OR_RETURN(std::string time_zone, call.body.Text("time_zone", Field::kRequired));
  if (!ledger::IsValidTenant(tenant)) {
    return InvalidArgumentError("'tenant' must be 1 to 63 lower-case letters, digits or '-'");
  }
  RETURN_IF_ERROR(api.access.directory().CreateClient(call.actor, tenant, name, time_zone));
  return JsonResponse(201, {{"tenant", tenant}, {"name", name}, {"time_zone", time_zone}});
}

StatusOr<HttpResponse> DescribeClient(ApiContext& api, const Call& call) {
  const std::string& client = call.params[0];
  ASSIGN_OR_RETURN(auto view, api.access.directory().DescribeClient(call.actor, client));
  ASSIGN_OR_RETURN(ledger::LogConfig log, api.folder.logs().GetLog(client));
  // Under a trust chain a resource holds what its owners signed, and everything until they have.
  ASSIGN_OR_RETURN(const governance::TrustStatements::View trust,
                   api.access.trust().Get(call.actor, client));
  const bool chained = trust.state.size > 0;
  Json resources = Json::array();
  for (const auto& resource : view.resources) {
    const auto signed_terms = trust.state.resources.find(resource.name);
    const bool signed_by_owners = signed_terms != trust.state.resources.end();
    Json item = {
        {"name", resource.name},
        {"kind", std::string(access::KindName(signed_by_owners ? signed_terms->second.kind
                                                               : resource.kind))},
        {"labels", LabelsJson(chained ? trust.state.LabelsOf(resource.name) : resource.labels)}};
    if (chained) {
      item["signed"] = signed_by_owners;
      // What the provider recorded, for an owner about to sign what the resource holds.
      item["recorded_labels"] = LabelsJson(resource.labels);
    }
    resources.push_back(std::move(item));
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

StatusOr<HttpResponse> AddResource(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string name, call.body.Text("name", Field::kRequired));
  ASSIGN_OR_RETURN(std::string kind_name, call.body.Text("kind", Field::kRequired));
  ASSIGN_OR_RETURN(access::ResourceKind kind, access::ResourceKindFromName(kind_name));
  ASSIGN_OR_RETURN(access::LabelSet labels, LabelsOf(call.body));
  RETURN_IF_ERROR(
      api.access.directory().AddResource(call.actor, call.params[0], name, kind, labels));
  return JsonResponse(201, {{"name", name}, {"kind", kind_name}, {"labels", LabelsJson(labels)}});
}

StatusOr<HttpResponse> RelateTechnician(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string technician, call.body.Text("technician", Field::kRequired));
  RETURN_IF_ERROR(api.access.directory().Relate(call.actor, call.params[0], technician));
  return JsonResponse(201, {{"technician", technician}});
}

StatusOr<HttpResponse> ListEvents(ApiContext& api, const Call& call) {
  const std::string& client = call.params[0];
  ASSIGN_OR_RETURN(governance::EventQuery query, ParseEventQuery(call.http.target));
  ASSIGN_OR_RETURN(std::string technician_only,
                   api.access.permissions().VisibleTechnician(call.actor, client));
  if (!technician_only.empty()) {
    if (!query.technician.empty() && query.technician != technician_only) {
      return JsonResponse(200, {{"events", Json::array()}});
    }
    query.technician = technician_only;
  }
  ASSIGN_OR_RETURN(auto found, api.events.Find(client, query));
  Json out = Json::array();
  for (const auto& event : found) out.push_back({{"index", event.index}, {"entry", event.entry}});
  Json reply = {{"events", out}};
  if (static_cast<int>(found.size()) == query.limit) reply["next"] = found.back().index;
  return JsonResponse(200, reply);
}

StatusOr<HttpResponse> EventFacets(ApiContext& api, const Call& call) {
  const std::string& client = call.params[0];
  ASSIGN_OR_RETURN(std::string technician_only,
                   api.access.permissions().VisibleTechnician(call.actor, client));
  ASSIGN_OR_RETURN(auto facets, api.events.Facets(client));
  if (!technician_only.empty()) facets.technicians = {technician_only};
  return JsonResponse(200, {{"technicians", facets.technicians},
                            {"resources", facets.resources},
                            {"kinds", facets.kinds}});
}

}  // namespace quartet::server::api

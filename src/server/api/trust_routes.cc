// The client's trust chain (docs/trust-chain.md): GET /api/v1/clients/{c}/trust gives its
// statements in order and what they say; POST …/trust {statement} adds one, which the server keeps
// only if the chain accepts it. The server signs nothing: the replayers (the agent, the owner's
// browser, `quartet trust show`) check every statement themselves.
//
// Linking a device (governance/trust_links.h): POST …/trust/links {statement} keeps the new
// device's half-signed device.added under a one-time code; GET …/trust/links/{code} hands it, once,
// to an owner's existing device, which signs it and submits it with POST …/trust.
//
// A statement that needs more owners' signatures than it carries is answered 202 and kept aside
// with its pending signatures (GET …/trust/pending, and "pending" in GET …/trust); each owner's
// device checks it, signs it and posts it again with POST …/trust.
//
// POST …/trust/recovery-acknowledgements {seq}: an owner knows of the use of the recovery key at
// that position; until then every dashboard of the client shows it as an alarm.
#include "server/api/api_common.h"
#include "server/api/routes.h"

namespace quartet::server::api {

namespace {

Json PendingJson(const std::vector<governance::TrustStatements::Pending>& pending) {
  Json out = Json::array();
  for (const governance::TrustStatements::Pending& waiting : pending) {
    out.push_back({{"id", waiting.id},
                   {"statement", waiting.statement},
                   {"kind", waiting.kind},
                   {"seq", waiting.seq},
                   {"proposed_by", waiting.proposed_by},
                   {"proposed_at", waiting.proposed_at},
                   {"signed_by", waiting.signed_by},
                   {"threshold", waiting.threshold}});
  }
  return out;
}

Json AcknowledgementJson(const governance::TrustStatements::Acknowledgement& acknowledgement) {
  return {{"seq", acknowledgement.seq}, {"by", acknowledgement.by}, {"at", acknowledgement.at}};
}

}  // namespace

StatusOr<HttpResponse> GetTrustChain(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(auto chain,
                   api.access.trust().Get(call.actor, call.params[0], /*pending=*/true));
  Json acknowledgements = Json::array();
  for (const auto& acknowledgement : chain.acknowledgements)
    acknowledgements.push_back(AcknowledgementJson(acknowledgement));
  return JsonResponse(200, {{"statements", chain.statements},
                            {"chain", trust::SummaryJson(chain.state)},
                            {"recovery_acknowledgements", acknowledgements},
                            {"pending", PendingJson(chain.pending)}});
}

StatusOr<HttpResponse> ListPendingTrustStatements(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(auto pending, api.access.trust().ListPending(call.actor, call.params[0]));
  return JsonResponse(200, {{"pending", PendingJson(pending)}});
}

StatusOr<HttpResponse> AcknowledgeRecovery(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(uint64_t seq, call.body.Unsigned("seq", Field::kRequired));
  ASSIGN_OR_RETURN(auto acknowledged,
                   api.access.trust().AcknowledgeRecovery(call.actor, call.params[0], seq));
  return JsonResponse(201, {{"acknowledged", AcknowledgementJson(acknowledged)}});
}

StatusOr<HttpResponse> AddTrustStatement(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string statement, call.body.Text("statement", Field::kRequired));
  ASSIGN_OR_RETURN(governance::TrustStatements::Submitted submitted,
                   api.access.trust().Submit(call.actor, call.params[0], statement));
  // 202: kept until enough owners have signed it; it changes nothing yet.
  if (submitted.pending.has_value()) {
    return JsonResponse(202, {{"chain", trust::SummaryJson(submitted.state)},
                              {"pending", PendingJson({*submitted.pending})[0]}});
  }
  return JsonResponse(201, {{"chain", trust::SummaryJson(submitted.state)}});
}

StatusOr<HttpResponse> OfferTrustLink(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(std::string statement, call.body.Text("statement", Field::kRequired));
  ASSIGN_OR_RETURN(governance::TrustLinks::Offered offered,
                   api.access.trust_links().Offer(call.actor, call.params[0], statement));
  return JsonResponse(
      201,
      {{"code", offered.code}, {"key_id", offered.key_id}, {"expires_at", offered.expires_at}});
}

StatusOr<HttpResponse> ClaimTrustLink(ApiContext& api, const Call& call) {
  ASSIGN_OR_RETURN(governance::TrustLinks::Claimed claimed,
                   api.access.trust_links().Claim(call.actor, call.params[0], call.params[1]));
  return JsonResponse(200, {{"statement", claimed.statement},
                            {"offered_by", claimed.offered_by},
                            {"key_id", claimed.key_id},
                            {"expires_at", claimed.expires_at}});
}

}  // namespace quartet::server::api

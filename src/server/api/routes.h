// The handlers of the API's routes, by resource; routes.cc puts them in one table with their paths.
#pragma once

#include <string>
#include <vector>

#include "server/api/router.h"

namespace quartet::server::api {

// session_routes.cc: signing in and out.
StatusOr<HttpResponse> SignIn(ApiContext& api, const Call& call);
StatusOr<HttpResponse> SignOut(ApiContext& api, const Call& call);
// The token a request carries: a bearer header, or the session cookie. A cookie alone does not
// authorise a state-changing request: it also needs the session's CSRF token.
StatusOr<std::string> RequestToken(ApiContext& api, const HttpRequest& request);

// people_routes.cc: who is asking, the provider's staff, onboarding and offboarding, owners' keys.
StatusOr<HttpResponse> Me(ApiContext& api, const Call& call);
StatusOr<HttpResponse> ListStaff(ApiContext& api, const Call& call);
StatusOr<HttpResponse> Onboard(ApiContext& api, const Call& call);
StatusOr<HttpResponse> Offboard(ApiContext& api, const Call& call);
StatusOr<HttpResponse> AcceptInvitation(ApiContext& api, const Call& call);
StatusOr<HttpResponse> ChangeOwnPassword(ApiContext& api, const Call& call);
StatusOr<HttpResponse> ReenrolOwnTotp(ApiContext& api, const Call& call);
StatusOr<HttpResponse> RegisterOwnerKey(ApiContext& api, const Call& call);
// People as the API shows them: name, role, active, and whether they enrolled a second factor.
Json PeopleJson(const std::vector<governance::Directory::PersonView>& people);

// client_routes.cc: clients, their resources and technicians, and the timeline.
StatusOr<HttpResponse> ListClients(ApiContext& api, const Call& call);
StatusOr<HttpResponse> CreateClient(ApiContext& api, const Call& call);
StatusOr<HttpResponse> DescribeClient(ApiContext& api, const Call& call);
StatusOr<HttpResponse> AddResource(ApiContext& api, const Call& call);
StatusOr<HttpResponse> RelateTechnician(ApiContext& api, const Call& call);
StatusOr<HttpResponse> ListEvents(ApiContext& api, const Call& call);
StatusOr<HttpResponse> EventFacets(ApiContext& api, const Call& call);

// policy_routes.cc: the client's policy and the provider's proposals.
StatusOr<HttpResponse> GetPolicy(ApiContext& api, const Call& call);
StatusOr<HttpResponse> ChangePolicy(ApiContext& api, const Call& call);
StatusOr<HttpResponse> ListProposals(ApiContext& api, const Call& call);
StatusOr<HttpResponse> ProposePolicy(ApiContext& api, const Call& call);
StatusOr<HttpResponse> AcceptProposal(ApiContext& api, const Call& call);

// grant_routes.cc: requests for access and what becomes of them.
StatusOr<HttpResponse> ListGrants(ApiContext& api, const Call& call);
StatusOr<HttpResponse> RequestAccess(ApiContext& api, const Call& call);
StatusOr<HttpResponse> GetGrant(ApiContext& api, const Call& call);
StatusOr<HttpResponse> ApproveGrant(ApiContext& api, const Call& call);
StatusOr<HttpResponse> DenyGrant(ApiContext& api, const Call& call);
StatusOr<HttpResponse> EndGrant(ApiContext& api, const Call& call);
StatusOr<HttpResponse> RevokeGrant(ApiContext& api, const Call& call);
StatusOr<HttpResponse> ReviewGrant(ApiContext& api, const Call& call);

// credential_routes.cc: the client's credentials, sealed to its agent, and their rotations.
StatusOr<HttpResponse> StoreCredential(ApiContext& api, const Call& call);
StatusOr<HttpResponse> ListCredentials(ApiContext& api, const Call& call);
StatusOr<HttpResponse> AgentCredentials(ApiContext& api, const Call& call);
StatusOr<HttpResponse> RecordRotation(ApiContext& api, const Call& call);

// reveal_routes.cc: reveals, relayed between the technician and the agent.
StatusOr<HttpResponse> RequestReveal(ApiContext& api, const Call& call);
StatusOr<HttpResponse> GetReveal(ApiContext& api, const Call& call);
StatusOr<HttpResponse> AnswerReveal(ApiContext& api, const Call& call);
// A reveal request as the technician and the agent see it.
Json RevealJson(const governance::RevealRequest& request);

// log_routes.cc: who reads the client's published log.
StatusOr<HttpResponse> CreateLogToken(ApiContext& api, const Call& call);
StatusOr<HttpResponse> ListLogTokens(ApiContext& api, const Call& call);
StatusOr<HttpResponse> RevokeLogToken(ApiContext& api, const Call& call);
StatusOr<HttpResponse> GetLogVisibility(ApiContext& api, const Call& call);
StatusOr<HttpResponse> SetLogVisibility(ApiContext& api, const Call& call);

// trust_routes.cc: the client's trust chain.
StatusOr<HttpResponse> GetTrustChain(ApiContext& api, const Call& call);
StatusOr<HttpResponse> AddTrustStatement(ApiContext& api, const Call& call);
StatusOr<HttpResponse> ListPendingTrustStatements(ApiContext& api, const Call& call);
StatusOr<HttpResponse> OfferTrustLink(ApiContext& api, const Call& call);
StatusOr<HttpResponse> ClaimTrustLink(ApiContext& api, const Call& call);
StatusOr<HttpResponse> AcknowledgeRecovery(ApiContext& api, const Call& call);

// agent_routes.cc: the client's agent itself, and people's view of it and its certificates.
StatusOr<HttpResponse> EnrolAgent(ApiContext& api, const Call& call);
StatusOr<HttpResponse> AgentWork(ApiContext& api, const Call& call);
StatusOr<HttpResponse> AddCosignature(ApiContext& api, const Call& call);
StatusOr<HttpResponse> RaiseAlarm(ApiContext& api, const Call& call);
StatusOr<HttpResponse> AnswerCertificate(ApiContext& api, const Call& call);
StatusOr<HttpResponse> CreateEnrolmentCode(ApiContext& api, const Call& call);
StatusOr<HttpResponse> AgentHealth(ApiContext& api, const Call& call);
StatusOr<HttpResponse> RequestCertificate(ApiContext& api, const Call& call);
StatusOr<HttpResponse> GetCertificate(ApiContext& api, const Call& call);

}  // namespace quartet::server::api

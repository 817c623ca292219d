// Every route of the JSON API (docs/openapi.yaml), in one table.
#include "server/api/routes.h"

namespace quartet::server::api {

const std::vector<Route>& AllRoutes() {
  static const std::vector<Route> kRoutes = {
      // Signing in and out.
      {"POST", "/api/v1/sessions", Caller::kAnyone, SignIn},
      {"DELETE", "/api/v1/sessions", Caller::kAnyone, SignOut},
      // A person of a client chooses their password with their one-time invitation.
      {"POST", "/api/v1/invitations", Caller::kAnyone, AcceptInvitation},

      // The client's agent itself (its bearer token; enrolment is authorised by the one-time code).
      {"POST", "/api/v1/agent/enrolment", Caller::kAnyone, EnrolAgent},
      {"GET", "/api/v1/agent/work", Caller::kAgent, AgentWork},
      {"POST", "/api/v1/agent/cosignatures", Caller::kAgent, AddCosignature},
      {"POST", "/api/v1/agent/alarms", Caller::kAgent, RaiseAlarm},
      {"POST", "/api/v1/agent/certificates/{id}", Caller::kAgent, AnswerCertificate},
      {"POST", "/api/v1/agent/reveals/{id}", Caller::kAgent, AnswerReveal},
      {"GET", "/api/v1/agent/credentials", Caller::kAgent, AgentCredentials},
      {"POST", "/api/v1/agent/rotations", Caller::kAgent, RecordRotation},

      // People.
      {"GET", "/api/v1/me", Caller::kPerson, Me},
      {"POST", "/api/v1/me/password", Caller::kPerson, ChangeOwnPassword},
      {"POST", "/api/v1/me/totp", Caller::kPerson, ReenrolOwnTotp},
      {"POST", "/api/v1/owner-keys", Caller::kPerson, RegisterOwnerKey},
      {"GET", "/api/v1/staff", Caller::kPerson, ListStaff},
      {"POST", "/api/v1/people", Caller::kPerson, Onboard},
      {"POST", "/api/v1/people/{user}/offboard", Caller::kPerson, Offboard},

      // Clients.
      {"GET", "/api/v1/clients", Caller::kPerson, ListClients},
      {"POST", "/api/v1/clients", Caller::kPerson, CreateClient},
      {"GET", "/api/v1/clients/{client}", Caller::kPerson, DescribeClient},
      {"POST", "/api/v1/clients/{client}/resources", Caller::kPerson, AddResource},
      {"POST", "/api/v1/clients/{client}/technicians", Caller::kPerson, RelateTechnician},
      {"GET", "/api/v1/clients/{client}/events", Caller::kPerson, ListEvents},
      {"GET", "/api/v1/clients/{client}/event-facets", Caller::kPerson, EventFacets},

      // The client's policy.
      {"GET", "/api/v1/clients/{client}/policy", Caller::kPerson, GetPolicy},
      {"PUT", "/api/v1/clients/{client}/policy", Caller::kPerson, ChangePolicy},
      {"GET", "/api/v1/clients/{client}/policy/proposals", Caller::kPerson, ListProposals},
      {"POST", "/api/v1/clients/{client}/policy/proposals", Caller::kPerson, ProposePolicy},
      {"POST", "/api/v1/clients/{client}/policy/proposals/{proposal}/accept", Caller::kPerson,
       AcceptProposal},

      // Who reads the client's published log.
      {"POST", "/api/v1/clients/{client}/log/tokens", Caller::kPerson, CreateLogToken},
      {"GET", "/api/v1/clients/{client}/log/tokens", Caller::kPerson, ListLogTokens},
      {"DELETE", "/api/v1/clients/{client}/log/tokens/{id}", Caller::kPerson, RevokeLogToken},
      {"GET", "/api/v1/clients/{client}/log/visibility", Caller::kPerson, GetLogVisibility},
      {"PUT", "/api/v1/clients/{client}/log/visibility", Caller::kPerson, SetLogVisibility},
      // The client's credentials, sealed to its agent.
      {"POST", "/api/v1/clients/{client}/credentials", Caller::kPerson, StoreCredential},
      {"GET", "/api/v1/clients/{client}/credentials", Caller::kPerson, ListCredentials},
      {"POST", "/api/v1/clients/{client}/grants/{grant}/reveals", Caller::kPerson, RequestReveal},
      {"GET", "/api/v1/clients/{client}/reveals/{id}", Caller::kPerson, GetReveal},
      // The client's trust chain.
      {"GET", "/api/v1/clients/{client}/trust", Caller::kPerson, GetTrustChain},
      {"POST", "/api/v1/clients/{client}/trust", Caller::kPerson, AddTrustStatement},
      {"GET", "/api/v1/clients/{client}/trust/pending", Caller::kPerson,
       ListPendingTrustStatements},
      {"POST", "/api/v1/clients/{client}/trust/links", Caller::kPerson, OfferTrustLink},
      {"GET", "/api/v1/clients/{client}/trust/links/{code}", Caller::kPerson, ClaimTrustLink},
      {"POST", "/api/v1/clients/{client}/trust/recovery-acknowledgements", Caller::kPerson,
       AcknowledgeRecovery},

      // Grants.
      {"GET", "/api/v1/clients/{client}/grants", Caller::kPerson, ListGrants},
      {"POST", "/api/v1/clients/{client}/grants", Caller::kPerson, RequestAccess},
      {"GET", "/api/v1/clients/{client}/grants/{grant}", Caller::kPerson, GetGrant},
      {"POST", "/api/v1/clients/{client}/grants/{grant}/approve", Caller::kPerson, ApproveGrant},
      {"POST", "/api/v1/clients/{client}/grants/{grant}/deny", Caller::kPerson, DenyGrant},
      {"POST", "/api/v1/clients/{client}/grants/{grant}/end", Caller::kPerson, EndGrant},
      {"POST", "/api/v1/clients/{client}/grants/{grant}/revoke", Caller::kPerson, RevokeGrant},
      {"POST", "/api/v1/clients/{client}/grants/{grant}/review", Caller::kPerson, ReviewGrant},

      // The client's agent, as people see it; certificates for technicians.
      {"GET", "/api/v1/clients/{client}/agent", Caller::kPerson, AgentHealth},
      {"POST", "/api/v1/clients/{client}/agent/enrolment-codes", Caller::kPerson,
       CreateEnrolmentCode},
      {"POST", "/api/v1/clients/{client}/grants/{grant}/certificates", Caller::kPerson,
       RequestCertificate},
      {"GET", "/api/v1/clients/{client}/certificates/{id}", Caller::kPerson, GetCertificate},
  };
  return kRoutes;
}

}  // namespace quartet::server::api

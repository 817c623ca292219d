// Each client's access policy: read by anyone who may see the client, changed only by its owners.
// The provider may propose a policy (a provider admin, or a technician who serves the client); only
// an owner of the client can accept it, and then it is in force. Every change and proposal is
// logged. Once the client has a trust chain, the policy in force is the one its owners signed in
// the chain (policy.signed), and the unsigned ways to change it are closed: a proposal is a draft
// until owners sign it.
//
// Thread safety: share one per process; every method may be called from any thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "access/policy.h"
#include "base/mutex.h"
#include "governance/committer.h"
#include "governance/permissions.h"
#include "governance/trust_statements.h"

namespace quartet::governance {

class Policies {
 public:
  Policies(Committer& committer, TrustStatements& trust) : committer_(committer), trust_(trust) {}

  StatusOr<access::Policy> GetPolicy(const Actor& actor, const std::string& client);
  Status ChangePolicy(const Actor& actor, const std::string& client, const access::Policy& policy);
  StatusOr<std::string> ProposePolicy(const Actor& actor, const std::string& client,
                                      const access::Policy& policy, const std::string& note);
  Status AcceptProposal(const Actor& actor, const std::string& client, const std::string& proposal);
  struct PolicyProposal {
    std::string id;
    std::string proposed_by;
    access::Policy policy;
  };
  // The proposals still open, oldest first, for anyone who may see the client.
  StatusOr<std::vector<PolicyProposal>> ListProposals(const Actor& actor,
                                                      const std::string& client);

  // The policy in force, on a connection the caller holds: the trust chain's signed policy when
  // it has one, the stored one otherwise. Parsed once per text: every
  // request consults the policy, and it rarely changes (the text is compared, so a change made by
  // another process on the same folder is seen at once).
  StatusOr<access::Policy> Load(store::Database& db, const std::string& client) EXCLUDES(cache_mu_);

 private:
  // FailedPrecondition once the client has a trust chain: its policy changes only by signature.
  Status RequireUnchained(store::Database& db, const std::string& client);

  Committer& committer_;
  TrustStatements& trust_;
  Mutex cache_mu_;
  struct ParsedPolicy {
    std::string text;  // as stored
    access::Policy policy;
  };
  std::map<std::string, ParsedPolicy, std::less<>> cache_ GUARDED_BY(cache_mu_);
};

}  // namespace quartet::governance

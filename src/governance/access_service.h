// The provider–client access model, persisted in quartet.db, as one object per process made of its
// parts, each in its own file:
//   committer.h    the database and group commit: every change with its events in the client's log
//   permissions.h  roles, actors, and who may see which client
//   sessions.h     tokens, passwords, TOTP and browser sessions
//   directory.h    clients, people, teams, resources, owners' keys, on- and offboarding
//   policies.h     each client's policy and the provider's proposals
//   grants.h       requests, decisions, reviews, ends, revocations, expiry
//   outbox.h       e-mail and webhook notices, queued with the changes that cause them
//   trust_statements.h  each client's trust chain, signed by its owners, checked and kept
//   trust_links.h  new devices offered for an owner's existing device to sign into the chain
//   credentials.h  the client's credentials, sealed to its agent
// Callers authenticate people first (sessions); each part checks what each may do.
//
// Thread safety: share one per process; every part may be used from any thread.
#pragma once

#include <memory>

#include "base/clock.h"
#include "base/random.h"
#include "governance/committer.h"
#include "governance/credentials.h"
#include "governance/directory.h"
#include "governance/grants.h"
#include "governance/outbox.h"
#include "governance/permissions.h"
#include "governance/policies.h"
#include "governance/sessions.h"
#include "governance/trust_links.h"
#include "governance/trust_statements.h"
#include "store/data_folder.h"

namespace quartet::governance {

class AccessService {
 public:
  // `folder`, `clock` and `random` must outlive the service.
  static StatusOr<std::unique_ptr<AccessService>> Open(store::DataFolder& folder, Clock& clock,
                                                       Random& random);

  Committer& committer() { return *committer_; }
  Permissions& permissions() { return permissions_; }
  Sessions& sessions() { return sessions_; }
  Directory& directory() { return directory_; }
  Policies& policies() { return policies_; }
  Grants& grants() { return grants_; }
  Outbox& outbox() { return outbox_; }
  TrustStatements& trust() { return trust_; }
  Credentials& credentials() { return credentials_; }
  TrustLinks& trust_links() { return trust_links_; }

 private:
  explicit AccessService(std::unique_ptr<Committer> committer)
      : committer_(std::move(committer)),
        permissions_(*committer_),
        sessions_(*committer_),
        directory_(*committer_, sessions_),
        trust_(*committer_),
        trust_links_(*committer_, trust_),
        policies_(*committer_, trust_),
        grants_(*committer_, policies_, trust_),
        credentials_(*committer_, trust_),
        outbox_(*committer_) {}

  std::unique_ptr<Committer> committer_;
  Permissions permissions_;
  Sessions sessions_;
  Directory directory_;
  TrustStatements trust_;
  TrustLinks trust_links_;
  Policies policies_;
  Grants grants_;
  Credentials credentials_;
  Outbox outbox_;
};

}  // namespace quartet::governance

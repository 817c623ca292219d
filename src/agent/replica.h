// The agent's own reading of its client's log. The agent trusts nothing the server says about a
// grant: it replays every entry of the log (which it has checked against checkpoints it cosigned)
// through the same grant state machine the server runs (access/grant.h), with the policy, owners,
// owner keys and resources that the log itself records. Every grant event must be exactly the event
// the state machine produces: an approval must carry a valid signature of a registered owner key,
// a decision must be the one the policy in force makes, and so on. A grant whose entries break the
// rules is tainted and never opens a door; the breach is reported as a violation.
//
// Not thread-safe. The agent persists it through Export/Import of changed parts (agent_store.h).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "access/grant.h"
#include "access/policy.h"
#include "base/json.h"
#include "trust/chain.h"

namespace quartet::agent {

struct GrantRecord {
  access::Grant grant;
  // Events the state machine produced that the log has not shown yet (a change's later events).
  std::deque<std::string> expected;
  std::string tainted;  // why the grant broke the rules; empty if it did not
};

// A credential as the client's log records it (governance/credentials.h): the version stored last
// and its commitment, and who holds the version revealed last until a new version replaces it.
struct CredentialRecord {
  uint64_t version = 0;
  std::string commitment;
  bool exclusive = false;
  std::string rotate;   // where the agent rotates it; empty: by hand
  std::string held_by;  // the grant the last reveal was under, until the next version
  std::string holder;   // its technician
  uint64_t held_version = 0;
};

// The agent's own public keys, as the client's trust chain names the agent it confirmed.
struct AgentKeys {
  std::string witness_key;  // C2SP verifier key string
  std::string ssh_ca_key;   // authorized_keys form
  std::string sealing_key;  // vault/sealing_key.h; empty for an agent without one
};

class Replica {
 public:
  // With `founder_key_id`, only a genesis founded by that owner key starts the client's trust
  // chain (the key the owner named in the agent's enrolment code), and the agent must be confirmed
  // with that key's signature. `self` is the agent's own keys, which the owners confirm.
  explicit Replica(std::string client, std::string founder_key_id = "", AgentKeys self = {})
      : client_(std::move(client)),
        founder_key_id_(std::move(founder_key_id)),
        self_(std::move(self)) {}

  // Applies the log's entry at `index`. Never fails, whatever `entry` holds: a breach of the rules
  // (a malformed entry, a field of the wrong type, an event the state machine would not produce)
  // taints the grant it concerns or is recorded as a violation, and anything else is ignored. It
  // never crashes, throws or aborts; fuzz/replica_fuzzer.cc checks this.
  void Apply(uint64_t index, std::string_view entry);

  // Breaches found since the last call.
  std::vector<std::string> TakeViolations();

  const GrantRecord* FindGrant(const std::string& id) const;
  const CredentialRecord* FindCredential(const std::string& resource,
                                         const std::string& name) const;
  // Credentials (resource, name) revealed under a grant that is no longer live at `now`, or to a
  // technician since offboarded, and that the agent rotates (a target is set), by resource and
  // name; not those whose rotation the agent expects the log to show.
  std::vector<std::pair<std::string, std::string>> RotationsDue(int64_t now) const;
  // The agent is about to record the rotation of a credential to `version` with `commitment`:
  // only a `credential.rotated` entry it expected this way replaces a revealed version. Any other
  // is a breach (the server would be telling the agent that a revealed secret no longer works).
  // The agent revealed `version` under `grant`: the credential is held from now on, before the log
  // shows the reveal (an exclusive one has one holder even while the log lags or the server would
  // drop the entry).
  void NoteReveal(const std::string& resource, const std::string& name, const std::string& grant,
                  const std::string& technician, uint64_t version);
  void ExpectRotation(const std::string& resource, const std::string& name, uint64_t version,
                      const std::string& commitment);
  const std::string& client() const { return client_; }
  const trust::ChainState& chain() const { return chain_.state(); }

  // Whether the client's owners let this agent open doors: OK for a client without a trust chain
  // whose agent was enrolled with a code that named no owner key (the earlier rules); otherwise
  // only once the chain confirms this agent's own keys, with the signature of the owner key the
  // code named. FailedPrecondition says why not, in words for the owner.
  Status MayIssue() const;

  // Persistence: the small shared context (policy, owners, keys, resources) as one JSON text, and
  // each grant as its own; the names of grants changed since the last TakeChangedGrants.
  std::string ContextJson() const;
  // Moves whenever the context may have changed (never less often than it does): a context whose
  // revision stayed need not be serialised again.
  uint64_t context_revision() const { return context_revision_; }
  Status LoadContext(std::string_view json);
  static std::string GrantJson(const GrantRecord& record);
  Status LoadGrant(std::string_view json);
  std::set<std::string> TakeChangedGrants();

 private:
  // Why the entry breaks the rules, as an error; Apply records it as a violation.
  Status ApplyEvent(uint64_t index, std::string_view entry);
  void ApplyGrantEvent(uint64_t index, const std::string& kind, const std::string& grant_id,
                       std::string_view entry, const JsonObject& event);
  // Applies to `grant` the change that `event` records, appending the events the state machine
  // produces. An error says why the event breaks the rules.
  Status ChangeGrant(const std::string& kind, const JsonObject& event, access::Grant& grant,
                     std::vector<std::string>& produced) const;
  Status ReadContext(const JsonObject& value);
  Status ApplyCredentialEvent(const std::string& kind, const JsonObject& event);
  // Once the client has a trust chain (trust/chain.h), who is an owner and which keys are theirs
  // come from the chain alone; before, from the log's person and key events.
  bool Chained() const { return chain_.state().size > 0; }
  bool IsSelf(const std::string& witness_key, const std::string& ssh_ca_key) const;
  // The breach in an `agent.enrolled` event that names an agent the owners did not confirm.
  Status CheckEnrolledAgent(const JsonObject& event) const;
  bool IsOwner(const std::string& user) const;
  std::optional<access::OwnerKey> OwnerKeyOf(const std::string& owner,
                                             const std::string& key_id) const;
  void Taint(GrantRecord& record, uint64_t index, const std::string& why);
  void Violation(uint64_t index, const std::string& what);

  std::string client_;
  std::string founder_key_id_;
  AgentKeys self_;
  bool have_policy_ = false;
  access::Policy policy_;
  std::set<std::string> owners_;
  std::map<std::string, std::map<std::string, access::OwnerKey>>
      owner_keys_;  // owner -> key ID -> key
  struct Resource {
    access::ResourceKind kind;
    access::LabelSet labels;
  };
  std::map<std::string, Resource> resources_;
  // The provider staff who serve the client (relationship events) and those offboarded, as the log
  // says. An agent restored from a context stored before it tracked them does not check them.
  bool tracks_technicians_ = true;
  std::set<std::string> technicians_;
  std::set<std::string> offboarded_;
  trust::Chain chain_{client_};
  std::vector<std::string> trust_statements_;  // the chain's, as logged, for persistence
  bool self_enrolled_ = false;                 // the log showed this agent's own enrolment
  std::map<std::string, GrantRecord> grants_;  // map nodes stay put: FindGrant's pointers hold
  std::map<std::pair<std::string, std::string>, CredentialRecord> credentials_;  // resource, name
  std::set<std::string> expected_rotations_;  // "resource\nname\nversion\ncommitment"
  std::set<std::string> changed_;
  uint64_t context_revision_ = 0;
  std::vector<std::string> violations_;
};

}  // namespace quartet::agent

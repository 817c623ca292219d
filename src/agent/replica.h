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
  std::set<std::string> changed_;
  std::vector<std::string> violations_;
};

}  // namespace quartet::agent

// `quartet agent run`: the client's agent at work. It connects outbound only, to the server's agent
// routes (server/api/agent_routes.cc), and loops:
//
//   1. Ask for work (a long poll).
//   2. Witness: for a new checkpoint, check the log's signature, the consistency proof from the
//      last checkpoint it cosigned (c2sp.org/tlog-witness), then fetch the new entries itself,
//      hash them onto its stored right edge of the tree and require the checkpoint's root; replay
//      them (replica.h); store all of it in one transaction; cosign (tlog-cosignature/v1) and send
//      the cosignature. A checkpoint smaller than the last cosigned (rollback) or one that does not
//      extend it (fork) halts the agent for good: recorded locally first, then reported.
//   3. Certificates: sign an OpenSSH user certificate only for a grant that its own replica shows
//      live, untainted and an SSH login — everything it knows was checked against checkpoints it
//      cosigned. A grant the log has not shown yet waits; one still unknown after a while is
//      refused.
//   4. Reveals: open a credential sealed to it only for a live `reveal-credential` grant, checked
//      in the same way, and only the version whose commitment the log holds; an exclusive one has
//      one holder until it is rotated. The secret goes back sealed to the technician's one-time
//      key.
//   5. Rotations: once the grant a credential was revealed under is over, change it on its target
//      (rotation/rotator.h) and record the new version, sealed to itself. The new secret is stored
//      (agent.db, sealed) before the target changes, so that a crash loses nothing; a failed
//      attempt is recorded and retried, the wait doubling from `rotation_retry` to an hour.
//
// Errors of the network or the server are retried with exponential backoff (1 s doubling to 30 s).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agent/agent_store.h"
#include "agent/replica.h"
#include "agent/witness.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/random.h"
#include "client/api_client.h"
#include "rotation/rotator.h"

namespace quartet::agent {

struct AgentOptions {
  std::string server;  // overrides the enrolled server URL when not empty
  std::chrono::seconds poll_wait{20};
  // How long a certificate request for a grant the log does not show waits before it is refused.
  std::chrono::seconds unknown_grant_patience{30};
  // The first wait after a failed rotation; it doubles up to an hour.
  std::chrono::seconds rotation_retry{60};
  // How the agent changes credentials on their targets; empty members are filled with the real
  // ones (rotation/rotator.h).
  std::shared_ptr<rotation::Rotators> rotators;
};

class Agent {
 public:
  // `store` must outlive the agent.
  static StatusOr<std::unique_ptr<Agent>> Open(AgentStore& store, AgentOptions options,
                                               Clock& clock, Random& random);

  // Loops until `stop` is set; returns only then (errors are logged and retried).
  void Run(const std::atomic<bool>& stop);
  // One round: ask for work (waiting up to `wait`), witness, answer certificate requests.
  Status RunOnce(std::chrono::seconds wait);

  const WitnessState& witness() const { return state_; }
  const Replica& replica() const { return replica_; }

 private:
  Agent(AgentStore& store, AgentConfig config, ledger::NoteSigner witness_key, ssh::KeyPair ca,
        std::string sealing_key, client::ApiClient api, AgentOptions options, Clock& clock,
        Random& random)
      : store_(store),
        config_(std::move(config)),
        witness_key_(std::move(witness_key)),
        ca_(std::move(ca)),
        sealing_key_(std::move(sealing_key)),
        api_(std::move(api)),
        options_(options),
        clock_(clock),
        random_(random),
        replica_(FreshReplica()) {}

  // An empty replica of this agent's client, for its founder and its own keys.
  Replica FreshReplica() const;

  // `cosigned`: for an agent that has cosigned nothing yet, the latest checkpoint the log published
  // with a cosignature, which must be the agent's it replaces, if it replaces one.
  Status Witness(const std::string& add_checkpoint, const std::string& cosigned);
  // The first checkpoint of an agent that replaces another extends the last one the other
  // cosigned: the witness's view never starts again from nothing.
  Status CheckPredecessor(const ledger::Checkpoint& baseline, const std::string& note,
                          const WitnessCheck& check);
  Status HaltFor(const std::string& kind, const std::string& detail);
  Status FetchEntries(uint64_t begin, uint64_t end, uint64_t tree_size,
                      std::vector<std::string>& out);
  Status SendCosignature();
  Status DeliverAlarms();
  Status AnswerCertificateRequest(const JsonObject& request);
  Status AnswerRevealRequest(const JsonObject& request);
  // Begins the rotations the replica says are due, and takes each one under way a step further.
  Status Rotate();
  // `stored`: the server's sealed copies of the client's credentials, fetched once a round.
  Status AdvanceRotation(PendingRotation& rotation, std::optional<Json>& stored, int64_t now);
  // A short certificate of the agent's own, for logging in to rotate a credential (recorded in
  // agent.db; its key ID and serial go into the rotation's log entry).
  StatusOr<std::string> CertifyForRotation(const ssh::PublicKey& key, const std::string& user);
  // The replica's context, saved between witnessed checkpoints.
  Status SaveReplica() { return store_.CommitWitnessed(state_, replica_, {}); }
  // What the replica says of `grant_id` for request `id` of `technician`: the grant's record, or
  // why the request is refused, or neither while the request waits for the log to show the grant.
  struct GrantCheck {
    const GrantRecord* record = nullptr;
    std::string refusal;
  };
  GrantCheck CheckGrantFor(const std::string& id, const std::string& grant_id,
                           const std::string& technician, int64_t now);

  AgentStore& store_;
  const AgentConfig config_;
  const ledger::NoteSigner witness_key_;
  const ssh::KeyPair ca_;
  const std::string sealing_key_;  // its public half (vault/sealing_key.h); empty if it has none
  client::ApiClient api_;
  const AgentOptions options_;
  Clock& clock_;
  Random& random_;

  WitnessState state_;
  Replica replica_;
  std::string cosignature_;                    // the last cosignature line, until the server has it
  std::map<std::string, int64_t> first_seen_;  // requests for grants not yet in the log, by ID
  std::shared_ptr<rotation::Rotators> rotators_;
  IssuedCertificate rotation_certificate_;  // the last one CertifyForRotation issued
};

}  // namespace quartet::agent

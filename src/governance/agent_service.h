// The client's agent as the server sees it. The agent runs on the client's premises and connects
// outbound only; everything it does goes through here:
//
//   enrolment     an owner creates a one-time code; the agent redeems it with its public keys (the
//                 witness key and the SSH user CA), gets its own token, and its witness key becomes
//                 the log's witness. Both steps are log entries.
//   witnessing    the agent asks for work; when the log has grown past the size it last cosigned it
//                 receives a C2SP tlog-witness add-checkpoint body (old size, consistency proof,
//                 checkpoint) and answers with a tlog-cosignature/v1 line, which is checked here
//                 and published with the checkpoint.
//   certificates  a technician with a live SSH login grant asks for a certificate for a public key;
//                 the request waits until the agent, which checks the grant against the log itself,
//                 signs or refuses it. Issued and refused certificates are log entries.
//   alarms        the agent reports a rollback or fork of the log (and keeps its own record):
//                 logged and sent to the owners.
//
// The server holds no key that can sign a certificate; it only relays. The parts live in
// agent_enrolment.cc, agent_witnessing.cc and certificate_relay.cc; waits in long_poll.h.
//
// Thread safety: every method may be called from many threads; the waiting ones block the caller.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/random.h"
#include "governance/committer.h"
#include "governance/grants.h"
#include "governance/long_poll.h"
#include "governance/permissions.h"
#include "store/data_folder.h"
#include "vault/credential.h"

namespace quartet::governance {

inline constexpr int64_t kEnrolmentCodeSeconds = 24 * 3600;

struct CertificateRequest {
  std::string id;
  std::string client;
  std::string grant;
  std::string technician;
  std::string public_key;   // the technician's key, one authorized_keys line
  std::string state;        // "pending", "issued" or "refused"
  std::string certificate;  // when issued: the certificate line
  std::string reason;       // when refused
  int64_t created_at = 0;
};

// A technician's request to reveal a credential under a live grant (governance/reveal_relay.cc),
// and, for the agent, the credential's stored version as sealed to it.
struct RevealRequest {
  std::string id;
  std::string client;
  std::string grant;
  std::string technician;
  std::string resource;
  std::string name;
  std::string public_key;  // the technician's one-time X25519 key (vault/sealing_key.h)
  std::string state;       // "pending", "revealed" or "refused"
  uint64_t version = 0;    // revealed: the version the secret is of
  std::string sealed;      // revealed: {"enc","ciphertext"} of the secret sealed to public_key
  std::string reason;      // refused: why
  int64_t created_at = 0;
  // Pending, for the agent: the version stored now.
  vault::SealedCredential credential;
  std::string commitment;
};

// An agent's public keys as text: what it offers when it enrols and what the server shows of it.
struct AgentKeyTexts {
  std::string witness_key;  // C2SP verifier key string (tlog-cosignature/v1)
  std::string ssh_ca_key;   // ssh-ed25519 authorized_keys line
  std::string sealing_key;  // vault/sealing_key.h; empty for an agent made before custody
};

struct AgentView {
  bool enrolled = false;
  std::string name;
  std::string witness_key;  // C2SP verifier key string
  std::string ssh_ca_key;   // authorized_keys line
  std::string sealing_key;  // base64 X25519 key; empty if it has none
  int64_t enrolled_at = 0;
  int64_t last_seen = 0;
  uint64_t witnessed_size = 0;  // the largest checkpoint it cosigned
  uint64_t log_size = 0;        // the largest checkpoint the log signed
  int pending_certificates = 0;
  struct Alarm {
    int64_t at = 0;
    std::string kind;
    std::string detail;
  };
  std::vector<Alarm> alarms;  // newest first, at most 20
  // An agent enrolled to replace this one, waiting for the owners to confirm it.
  struct Replacement {
    std::string name;
    std::string witness_key;
    std::string ssh_ca_key;
    std::string sealing_key;
    int64_t enrolled_at = 0;
  };
  std::optional<Replacement> replacement;
};

class AgentService {
 public:
  // Where the latest checkpoint to offer the witness comes from: by default the store's latest;
  // a server passes the one whose tiles it already serves, so that the agent can fetch them.
  using CheckpointSource =
      std::function<StatusOr<std::optional<ledger::StoredCheckpoint>>(const std::string& tenant)>;

  // Changes commit through `committer`; `permissions` say who may see a client's agent and ask for
  // certificates; `grants` are read to check a certificate request; `trust` says which agent the
  // client's owners confirmed. All must outlive the service.
  static StatusOr<std::unique_ptr<AgentService>> Open(Committer& committer,
                                                      Permissions& permissions, Grants& grants,
                                                      TrustStatements& trust,
                                                      CheckpointSource source = nullptr);

  // An owner: a one-time enrolment code for their client's agent, valid for 24 hours.
  StatusOr<std::string> CreateEnrolmentCode(const Actor& actor, const std::string& client);

  struct Enrolment {
    std::string client;
    std::string token;    // the agent's own bearer token; shown once
    std::string log_key;  // the log's verifier key string
    std::string origin;   // the log's origin line
    // Set when the client's trust chain confirms another agent: the name of that agent, which
    // this one replaces once the owners confirm it (docs/agent.md, "Replacing the agent").
    std::string replaces;
  };
  // Redeems a code (once) for an agent with `keys` (a sealing key is optional, and checked).
  // Replaces an earlier agent of the same client, unless the
  // client's trust chain confirms that one: then the new agent waits, with a token that gets it
  // no work, until the owners confirm it in the chain (`agent.confirmed` with its keys), and only
  // then takes the place of the one before (PromoteReplacement). A later such enrolment replaces
  // the one waiting. Unauthenticated for an unknown, used or expired code.
  StatusOr<Enrolment> Enrol(std::string_view code, const std::string& name,
                            const AgentKeyTexts& keys);
  // Whose agent holds `token`: the client's, or one waiting for the owners to confirm it as the
  // replacement of that agent. Unauthenticated otherwise.
  struct Caller {
    std::string client;
    bool waiting = false;
  };
  StatusOr<Caller> AuthenticateAgent(std::string_view token);
  // In the transaction that adds an `agent.confirmed` statement to the client's chain (`state`,
  // after it): the agent waiting to replace the client's agent becomes its agent when the chain
  // now confirms its keys, its witness key the log's witness ("agent.enrolled", with the name of
  // the agent it replaces). Nothing otherwise.
  static Status PromoteReplacement(ChangeScope& scope, const trust::ChainState& state, int64_t now);

  struct Work {
    std::string add_checkpoint;  // a tlog-witness add-checkpoint body, or empty
    std::vector<CertificateRequest> certificate_requests;
    std::vector<RevealRequest> reveal_requests;
    // For an agent that has cosigned nothing yet: the latest checkpoint the log published with a
    // cosignature (that of the agent it replaces, if any), which its first checkpoint must extend.
    std::string cosigned_checkpoint;
  };
  // What the agent of `client` should do, given the size of the last checkpoint it cosigned. Waits
  // up to `wait` for something to do.
  StatusOr<Work> NextWork(const std::string& client, uint64_t witnessed_size,
                          std::chrono::milliseconds wait);
  // The agent's cosignature of the log's checkpoint of `size`: one tlog-cosignature/v1 signature
  // line. Unauthenticated if it does not verify with the agent's witness key.
  Status AddCosignature(const std::string& client, uint64_t size, std::string_view signature_line);
  // The agent found the log rolled back or forked: logged and sent to the owners.
  Status RaiseAlarm(const std::string& client, const std::string& kind, const std::string& detail);

  // A technician asks for a certificate for their live SSH login grant. Waits up to `wait` for the
  // agent's answer; returns the request in whatever state it is then.
  StatusOr<CertificateRequest> RequestCertificate(const Actor& actor, const std::string& client,
                                                  const std::string& grant,
                                                  const std::string& public_key,
                                                  std::chrono::milliseconds wait);
  // The request, waiting up to `wait` while it is pending. Only the technician who asked sees it.
  StatusOr<CertificateRequest> GetCertificateRequest(const Actor& actor, const std::string& client,
                                                     const std::string& id,
                                                     std::chrono::milliseconds wait);
  // The agent's answer: a certificate it signed (checked here against its CA key, the request's key
  // and grant), or a refusal with its reason. FailedPrecondition unless the request is pending.
  Status Fulfil(const std::string& client, const std::string& id, const std::string& certificate);
  Status Refuse(const std::string& client, const std::string& id, const std::string& reason);

  // A technician asks the agent to reveal the credential `name` of the resource of their live
  // `reveal-credential` grant (empty `name`: the resource's only credential) to `public_key`, a
  // one-time key their machine made. Waits up to `wait` for the agent's answer.
  StatusOr<RevealRequest> RequestReveal(const Actor& actor, const std::string& client,
                                        const std::string& grant, const std::string& name,
                                        const std::string& public_key,
                                        std::chrono::milliseconds wait);
  // The request, waiting up to `wait` while it is pending. Only the technician who asked sees it.
  StatusOr<RevealRequest> GetRevealRequest(const Actor& actor, const std::string& client,
                                           const std::string& id, std::chrono::milliseconds wait);
  // The agent's answer: the secret of `version` (the stored one) sealed to the request's key, with
  // `credential.revealed` logged in the same transaction; or a refusal. FailedPrecondition unless
  // the request is pending and `version` is the one stored.
  Status FulfilReveal(const std::string& client, const std::string& id, uint64_t version,
                      const std::string& sealed);
  Status RefuseReveal(const std::string& client, const std::string& id, const std::string& reason);

  // Ends every wait at once (the server is stopping); later waits return at once too.
  void Shutdown();
  // How many callers wait now (for tests and health).
  int waiting() { return poll_.waiting(); }

  // The agent's health, for the client's people, provider admins and technicians who serve it.
  StatusOr<AgentView> View(const Actor& actor, const std::string& client);

 private:
  AgentService(Committer& committer, Permissions& permissions, Grants& grants,
               TrustStatements& trust, std::unique_ptr<store::Database> db, CheckpointSource source)
      : committer_(committer),
        permissions_(permissions),
        grants_(grants),
        trust_(trust),
        folder_(committer.folder()),
        clock_(committer.clock()),
        random_(committer.random()),
        source_(std::move(source)),
        db_(std::move(db)) {}
  StatusOr<AgentView> LoadAgent(const std::string& client) REQUIRES(mu_);
  StatusOr<std::vector<CertificateRequest>> PendingRequests(const std::string& client)
      REQUIRES(mu_);
  StatusOr<CertificateRequest> LoadRequest(const std::string& client, const std::string& id)
      REQUIRES(mu_);
  // The grant `grant` of `client` if `actor` is the technician who holds it (PermissionDenied
  // naming what only that technician does), and whether it is approved and inside its window.
  StatusOr<GrantView> TechniciansGrant(const Actor& actor, const std::string& client,
                                       const std::string& grant, std::string_view what);
  Status CheckLive(const GrantView& view);
  StatusOr<std::vector<RevealRequest>> PendingReveals(const std::string& client) REQUIRES(mu_);
  StatusOr<RevealRequest> LoadReveal(const std::string& client, const std::string& id)
      REQUIRES(mu_);
  Status AnswerReveal(const RevealRequest& request, const std::string& state,
                      const std::string& text, uint64_t version, const std::string& event);
  StatusOr<std::string> AddCheckpointBody(const std::string& client, uint64_t witnessed_size,
                                          const ledger::StoredCheckpoint& latest);
  void Touch(const std::string& client, uint64_t witnessed_size);
  // Answers a pending request ("issued" with the certificate, or "refused" with the reason) and
  // logs `event` with it.
  Status Answer(const CertificateRequest& request, const std::string& state,
                const std::string& text, const std::string& event);

  // Set at construction.
  Committer& committer_;
  Permissions& permissions_;
  Grants& grants_;
  TrustStatements& trust_;
  store::DataFolder& folder_;
  Clock& clock_;
  Random& random_;
  const CheckpointSource source_;

  // A connection of its own for reads; writes go through committer_.Commit.
  Mutex mu_;
  std::unique_ptr<store::Database> db_ GUARDED_BY(mu_);
  // Signalled when a certificate request is made or answered. Long polls hold a server thread
  // each: at most 40 wait at once; the rest answer at once.
  LongPoll poll_{40};
};

}  // namespace quartet::governance

// The agent's data folder, on the client's machine:
//
//   DIR/agent.db            SQLite: what the agent has witnessed (the size, root and right edge of
//                           the last checkpoint it cosigned), its replica of the log (replica.h),
//                           the certificates it issued, rotations under way, and its alarms
//   DIR/keys/witness.key    its C2SP tlog-cosignature/v1 signer key      (mode 0600)
//   DIR/keys/ssh-ca         the client's SSH user CA, OpenSSH format      (mode 0600)
//   DIR/keys/sealing.key    its X25519 key that credentials are sealed to (mode 0600)
//   DIR/keys/agent.token    its bearer token for the server               (mode 0600)
//
// The folder is 0750: sshd's AuthorizedPrincipalsCommand may run as a user of the agent's group
// and read agent.db, never the keys.
//
// The keys and folders are reached through an injected FileSystem; agent.db is SQLite's, at the
// same path. Each key is written durably and whole before agent.db exists, so after a crash
// during Create the folder holds no agent and Create may run again (keeping keys already in place).
//
// Thread safety: one connection guarded by a mutex.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/replica.h"
#include "base/file_system.h"
#include "base/mutex.h"
#include "base/random.h"
#include "base/sha256.h"
#include "ledger/note.h"
#include "ssh/key.h"
#include "store/sqlite.h"
#include "vault/hpke.h"

namespace quartet::agent {

struct AgentConfig {
  std::string server;  // base URL
  std::string client;
  std::string name;
  std::string log_key;  // the log's verifier key string
  std::string origin;
  // The owner key that must found the client's trust chain, as the owner's enrolment code named it
  // (empty: any genesis, for agents enrolled without one).
  std::string founder_key_id;
};

struct WitnessState {
  uint64_t size = 0;
  Hash root{};
  std::vector<Hash> edge;  // the compact range of the first `size` entries
  std::string note;        // the last checkpoint cosigned, with both signatures
  std::string halted;      // why the agent refuses the log for good; empty while it trusts it
};

struct IssuedCertificate {
  uint64_t serial = 0;
  std::string grant;
  std::string key_id;
  std::string login;
  std::string fingerprint;
  int64_t valid_before = 0;
  int64_t issued_at = 0;
};

struct Alarm {
  int64_t id = 0;
  int64_t at = 0;
  std::string kind;
  std::string detail;
  bool delivered = false;
};

// A rotation of a credential that the agent has begun (agent.h): the new version, sealed to the
// agent itself, kept from before the target changes until the log records it.
struct PendingRotation {
  std::string resource;
  std::string name;
  uint64_t version = 0;  // the new version
  std::string grant;     // the grant whose reveal it ends
  std::string sealed;    // the new secret sealed to the agent: {"enc", "ciphertext"} in base64
  std::string commitment;
  bool applied = false;  // the target has the new secret
  int64_t attempts = 0;
  int64_t next_attempt = 0;  // Unix seconds; 0: at once
  std::string error;         // why the last attempt failed
};

class AgentStore {
 public:
  // Creates the folder, its keys (fresh, from `random`) and its configuration. AlreadyExists if the
  // folder holds an agent; an error, naming the path, if a permission cannot be set. `fs` must
  // outlive the store.
  static StatusOr<std::unique_ptr<AgentStore>> Create(const std::string& directory, Random& random,
                                                      FileSystem& fs = FileSystem::Posix());
  // Opens an existing folder. NotFound if it holds no agent.
  static StatusOr<std::unique_ptr<AgentStore>> Open(const std::string& directory,
                                                    FileSystem& fs = FileSystem::Posix());

  const std::string& directory() const { return directory_; }
  StatusOr<ledger::NoteSigner> WitnessKey() const;
  StatusOr<ssh::KeyPair> CertificateAuthority() const;
  // NotFound for an agent made before credential custody.
  StatusOr<vault::HpkeKeyPair> SealingKey() const;
  StatusOr<std::string> Token() const;
  // Writes the token, then the configuration. A token without a configuration (a crash between
  // the two) is replaced; once enrolled, AlreadyExists.
  Status SaveEnrolment(const AgentConfig& config, const std::string& token);
  StatusOr<AgentConfig> Config();

  // The witness state and the replica, as committed together by CommitWitnessed.
  StatusOr<WitnessState> LoadWitness();
  Status LoadReplica(Replica& replica);
  // One transaction: the new witness state, the replica's changed parts, and any new alarms.
  Status CommitWitnessed(const WitnessState& state, Replica& replica,
                         const std::vector<Alarm>& alarms);
  // Halts the agent for good and records why.
  Status Halt(const Alarm& alarm);

  // A fresh certificate serial (never 0, never reused).
  StatusOr<uint64_t> NextSerial();
  Status RecordCertificate(const IssuedCertificate& certificate);
  StatusOr<std::vector<IssuedCertificate>> Certificates();

  // Rotations begun and not yet recorded in the log, one per credential.
  Status SaveRotation(const PendingRotation& rotation);
  StatusOr<std::vector<PendingRotation>> Rotations();
  Status ForgetRotation(const std::string& resource, const std::string& name);

  StatusOr<std::vector<Alarm>> Alarms();
  Status MarkAlarmDelivered(int64_t id);

  // For sshd's AuthorizedPrincipalsCommand: the principal that the certificate with `serial` and
  // `key_id` may log in as `user` with at `now` — its grant's login, if the grant is live in the
  // replica and the agent has not halted — or nothing.
  StatusOr<std::optional<std::string>> PrincipalFor(const std::string& user,
                                                    const std::string& key_id, uint64_t serial,
                                                    int64_t now);
  // Serials of issued certificates, still within their validity, whose grant is no longer live: a
  // KRL for hosts that cannot ask the agent.
  StatusOr<std::vector<uint64_t>> RevokedSerials(int64_t now);

 private:
  AgentStore(std::string directory, FileSystem& fs, std::unique_ptr<store::Database> db)
      : directory_(std::move(directory)), fs_(fs), db_(std::move(db)) {}
  static StatusOr<std::unique_ptr<AgentStore>> OpenDatabase(const std::string& directory,
                                                            FileSystem& fs);
  Status WriteGrantRow(const std::string& id, const GrantRecord& record) REQUIRES(mu_);

  // Set at construction.
  const std::string directory_;
  FileSystem& fs_;

  Mutex mu_;
  std::unique_ptr<store::Database> db_ GUARDED_BY(mu_);
};

}  // namespace quartet::agent

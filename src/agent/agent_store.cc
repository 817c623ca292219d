#include "agent/agent_store.h"

#include <sodium.h>

#include <array>
#include <cstring>

#include "ledger/merkle.h"
#include "store/schema.h"
#include "vault/sealing_key.h"

namespace quartet::agent {
namespace {

// Version 1 of agent.db (docs/database.md).
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE IF NOT EXISTS config (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  server TEXT NOT NULL,
  client TEXT NOT NULL,
  name TEXT NOT NULL,
  log_key TEXT NOT NULL,
  origin TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS witness (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  size INTEGER NOT NULL,
  root BLOB NOT NULL,
  edge BLOB NOT NULL,
  note TEXT NOT NULL,
  halted TEXT NOT NULL DEFAULT '',
  context TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS grants (
  id TEXT PRIMARY KEY,
  record TEXT NOT NULL,
  technician TEXT NOT NULL,
  login TEXT NOT NULL,
  live_from INTEGER NOT NULL,
  live_until INTEGER NOT NULL,
  tainted TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS certificates (
  serial INTEGER PRIMARY KEY,
  grant_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  login TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  valid_before INTEGER NOT NULL,
  issued_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS serials (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  next INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS alarms (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  delivered INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO serials (id, next) VALUES (1, 1);
)sql";

// Version 2: the key ID of the owner whose enrolment code enrolled the agent; the client's trust
// chain must be founded by that key (empty for agents enrolled before).
constexpr std::string_view kVersion2 = R"sql(
ALTER TABLE config ADD COLUMN founder_key_id TEXT NOT NULL DEFAULT '';
)sql";

// Version 3: rotations of credentials the agent has begun and not yet seen through (agent.h). The
// new secret, sealed to the agent itself, is kept before the target changes: a crash never loses
// the password that now opens it.
constexpr std::string_view kVersion3 = R"sql(
CREATE TABLE rotations (
  resource TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  grant_id TEXT NOT NULL,
  sealed TEXT NOT NULL,
  commitment TEXT NOT NULL,
  applied INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (resource, name)
) WITHOUT ROWID;
)sql";

constexpr std::array<std::string_view, 3> kSteps = {kVersion1, kVersion2, kVersion3};
const store::Schema kAgentSchema{"the agent's database (agent.db)", kSteps};

std::string KeyPath(const std::string& directory, const char* name) {
  return directory + "/keys/" + name;
}

StatusOr<std::string> ReadTrimmed(FileSystem& fs, const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, fs.ReadFile(path));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

StatusOr<ledger::NoteSigner> ReadWitnessKey(FileSystem& fs, const std::string& directory) {
  ASSIGN_OR_RETURN(std::string text, ReadTrimmed(fs, KeyPath(directory, "witness.key")));
  return ledger::NoteSigner::Parse(text);
}

StatusOr<ssh::KeyPair> ReadCertificateAuthority(FileSystem& fs, const std::string& directory) {
  ASSIGN_OR_RETURN(std::string text, fs.ReadFile(KeyPath(directory, "ssh-ca")));
  return ssh::KeyPair::ParsePrivateKeyFile(text);
}

StatusOr<vault::HpkeKeyPair> ReadSealingKey(FileSystem& fs, const std::string& directory) {
  const std::string path = KeyPath(directory, "sealing.key");
  if (!fs.FileExists(path))
    return NotFoundError(
        "this agent has no sealing key (" + path +
        "): it was made before credential custody; replace it to hold credentials");
  ASSIGN_OR_RETURN(std::string text, fs.ReadFile(path));
  auto pair = vault::ParseSealingKeyFile(text);
  sodium_memzero(text.data(), text.size());
  return pair;
}

}  // namespace

StatusOr<std::unique_ptr<AgentStore>> AgentStore::OpenDatabase(const std::string& directory,
                                                               FileSystem& fs) {
  ASSIGN_OR_RETURN(auto db, store::Database::Open(directory + "/agent.db"));
  RETURN_IF_ERROR(fs.SetPermissions(directory + "/agent.db", 0640));
  RETURN_IF_ERROR(store::Migrate(*db, kAgentSchema));
  return std::unique_ptr<AgentStore>(new AgentStore(directory, fs, std::move(db)));
}

StatusOr<std::unique_ptr<AgentStore>> AgentStore::Create(const std::string& directory,
                                                         Random& random, FileSystem& fs) {
  if (fs.FileExists(directory + "/agent.db")) {
    return AlreadyExistsError(directory + " holds an agent already");
  }
  RETURN_IF_ERROR(fs.CreateDirectories(directory + "/keys"));
  RETURN_IF_ERROR(fs.SetPermissions(directory, 0750));
  RETURN_IF_ERROR(fs.SetPermissions(directory + "/keys", 0700));
  // A key already in place was written whole by a Create that a crash stopped before agent.db: no
  // one has seen it yet, and it is kept.
  if (!fs.FileExists(KeyPath(directory, "witness.key"))) {
    ASSIGN_OR_RETURN(ledger::NoteSigner witness,
                     ledger::NoteSigner::Generate("quartet-agent",
                                                  ledger::SignatureType::kCosignatureV1, random));
    RETURN_IF_ERROR(
        WriteSecretFile(fs, KeyPath(directory, "witness.key"), witness.SignerKeyString() + "\n"));
  }
  if (!fs.FileExists(KeyPath(directory, "ssh-ca"))) {
    const ssh::KeyPair ca = ssh::KeyPair::Generate(random);
    RETURN_IF_ERROR(WriteSecretFile(fs, KeyPath(directory, "ssh-ca"),
                                    ca.PrivateKeyFile("quartet-client-ca", random)));
  }
  if (!fs.FileExists(KeyPath(directory, "sealing.key"))) {
    vault::HpkeKeyPair sealing = vault::GenerateHpkeKeyPair(random);
    std::string file = vault::SealingKeyFile(sealing);
    Status written = WriteSecretFile(fs, KeyPath(directory, "sealing.key"), file);
    sodium_memzero(file.data(), file.size());
    sodium_memzero(sealing.private_key.data(), sealing.private_key.size());
    RETURN_IF_ERROR(written);
  }
  // The keys must read back before agent.db says that an agent lives here.
  RETURN_IF_ERROR(ReadWitnessKey(fs, directory).status());
  RETURN_IF_ERROR(ReadCertificateAuthority(fs, directory).status());
  RETURN_IF_ERROR(ReadSealingKey(fs, directory).status());
  return OpenDatabase(directory, fs);
}

StatusOr<std::unique_ptr<AgentStore>> AgentStore::Open(const std::string& directory,
                                                       FileSystem& fs) {
  if (!fs.FileExists(directory + "/agent.db")) {
    return NotFoundError(directory + " holds no agent (run 'quartet agent enrol' first)");
  }
  return OpenDatabase(directory, fs);
}

StatusOr<ledger::NoteSigner> AgentStore::WitnessKey() const {
  return ReadWitnessKey(fs_, directory_);
}

StatusOr<vault::HpkeKeyPair> AgentStore::SealingKey() const {
  return ReadSealingKey(fs_, directory_);
}

StatusOr<ssh::KeyPair> AgentStore::CertificateAuthority() const {
  return ReadCertificateAuthority(fs_, directory_);
}

StatusOr<std::string> AgentStore::Token() const {
  return ReadTrimmed(fs_, KeyPath(directory_, "agent.token"));
}

Status AgentStore::SaveEnrolment(const AgentConfig& config, const std::string& token) {
  const std::string token_path = KeyPath(directory_, "agent.token");
  // A token without a configuration is what a crash between the two writes left: no agent runs
  // with it, and the new enrolment's token replaces it.
  const bool enrolled = Config().status().code() != StatusCode::kFailedPrecondition;
  if (!enrolled && fs_.FileExists(token_path)) RETURN_IF_ERROR(fs_.RemoveFile(token_path));
  RETURN_IF_ERROR(WriteSecretFile(fs_, token_path, token + "\n"));
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(
      auto insert,
      db_->Prepare("INSERT OR REPLACE INTO config (id, server, client, name, log_key, origin, "
                   "founder_key_id) VALUES (1, ?, ?, ?, ?, ?, ?)"));
  insert->Bind(1, config.server)
      .Bind(2, config.client)
      .Bind(3, config.name)
      .Bind(4, config.log_key)
      .Bind(5, config.origin)
      .Bind(6, config.founder_key_id);
  return insert->Run();
}

StatusOr<AgentConfig> AgentStore::Config() {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare("SELECT server, client, name, log_key, origin, founder_key_id FROM config "
                   "WHERE id = 1"));
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return FailedPreconditionError("the agent is not enrolled");
  AgentConfig config{std::string(select->ColumnText(0)), std::string(select->ColumnText(1)),
                     std::string(select->ColumnText(2)), std::string(select->ColumnText(3)),
                     std::string(select->ColumnText(4)), std::string(select->ColumnText(5))};
  return config;
}

StatusOr<WitnessState> AgentStore::LoadWitness() {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto select,
                   db_->Prepare("SELECT size, root, edge, note, halted FROM witness WHERE id = 1"));
  ASSIGN_OR_RETURN(bool row, select->Step());
  WitnessState state;
  state.root = ledger::EmptyTreeRoot();
  if (row) {
    state.size = static_cast<uint64_t>(select->ColumnInt(0));
    ByteView root = select->ColumnBlob(1);
    ByteView edge = select->ColumnBlob(2);
    if (root.size() != 32 || edge.size() % 32 != 0) {
      return DataLossError("the agent's witness state is corrupt");
    }
    std::memcpy(state.root.data(), root.data(), 32);
    for (size_t offset = 0; offset < edge.size(); offset += 32) {
      Hash hash;
      std::memcpy(hash.data(), edge.data() + offset, 32);
      state.edge.push_back(hash);
    }
    state.note = std::string(select->ColumnText(3));
    state.halted = std::string(select->ColumnText(4));
  }
  return state;
}

Status AgentStore::LoadReplica(Replica& replica) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto context, db_->Prepare("SELECT context FROM witness WHERE id = 1"));
  ASSIGN_OR_RETURN(bool row, context->Step());
  std::string text = row ? std::string(context->ColumnText(0)) : std::string();
  context.Release();
  if (!text.empty()) RETURN_IF_ERROR(replica.LoadContext(text));
  ASSIGN_OR_RETURN(auto grants, db_->Prepare("SELECT record FROM grants"));
  Status status = Status::Ok();
  for (;;) {
    auto more = grants->Step();
    if (!more.ok()) {
      status = more.status();
      break;
    }
    if (!*more) break;
    status = replica.LoadGrant(grants->ColumnText(0));
    if (!status.ok()) break;
  }
  grants.Release();
  replica.TakeChangedGrants();
  return status;
}

Status AgentStore::WriteGrantRow(const std::string& id, const GrantRecord& record) {
  ASSIGN_OR_RETURN(
      auto upsert,
      db_->Prepare(
          "INSERT OR REPLACE INTO grants (id, record, technician, login, live_from, live_until, "
          "tainted) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  const access::Grant& grant = record.grant;
  const bool approved = grant.state() == access::GrantState::kApproved;
  // live_from/live_until: the window while the grant is approved; an empty window otherwise.
  upsert->Bind(1, id)
      .Bind(2, Replica::GrantJson(record))
      .Bind(3, grant.request().technician)
      .Bind(4, grant.request().login)
      .Bind(5, approved ? grant.window_start() : int64_t{0})
      .Bind(6, approved ? grant.window_end() : int64_t{0})
      .Bind(7, record.tainted);
  return upsert->Run();
}

Status AgentStore::CommitWitnessed(const WitnessState& state, Replica& replica,
                                   const std::vector<Alarm>& alarms) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto transaction,
                   store::Transaction::Begin(*db_, store::TransactionMode::kImmediate));
  std::string edge;
  for (const Hash& hash : state.edge)
    edge.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  ASSIGN_OR_RETURN(
      auto upsert,
      db_->Prepare("INSERT INTO witness (id, size, root, edge, note, halted, context) "
                   "VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET size = ?1, "
                   "root = ?2, edge = ?3, note = ?4, halted = ?5, context = ?6"));
  upsert->Bind(1, static_cast<int64_t>(state.size))
      .BindBlob(2, state.root)
      .BindBlob(3, ByteView(reinterpret_cast<const uint8_t*>(edge.data()), edge.size()))
      .Bind(4, state.note)
      .Bind(5, state.halted)
      .Bind(6, replica.ContextJson());
  RETURN_IF_ERROR(upsert->Run());
  for (const std::string& id : replica.TakeChangedGrants()) {
    const GrantRecord* record = replica.FindGrant(id);
    if (record != nullptr) RETURN_IF_ERROR(WriteGrantRow(id, *record));
  }
  ASSIGN_OR_RETURN(auto insert,
                   db_->Prepare("INSERT INTO alarms (at, kind, detail) VALUES (?, ?, ?)"));
  for (const Alarm& alarm : alarms) {
    insert->Bind(1, alarm.at).Bind(2, alarm.kind).Bind(3, alarm.detail);
    RETURN_IF_ERROR(insert->Run());
  }
  return transaction->Commit();
}

Status AgentStore::Halt(const Alarm& alarm) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto transaction,
                   store::Transaction::Begin(*db_, store::TransactionMode::kImmediate));
  ASSIGN_OR_RETURN(
      auto halt,
      db_->Prepare(
          "INSERT INTO witness (id, size, root, edge, note, halted) VALUES (1, 0, ?1, x'', '', ?2) "
          "ON CONFLICT (id) DO UPDATE SET halted = ?2 WHERE halted = ''"));
  halt->BindBlob(1, ledger::EmptyTreeRoot()).Bind(2, alarm.kind + ": " + alarm.detail);
  RETURN_IF_ERROR(halt->Run());
  ASSIGN_OR_RETURN(auto insert,
                   db_->Prepare("INSERT INTO alarms (at, kind, detail) VALUES (?, ?, ?)"));
  insert->Bind(1, alarm.at).Bind(2, alarm.kind).Bind(3, alarm.detail);
  RETURN_IF_ERROR(insert->Run());
  return transaction->Commit();
}

StatusOr<uint64_t> AgentStore::NextSerial() {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(
      auto bump,
      db_->Prepare("UPDATE serials SET next = next + 1 WHERE id = 1 RETURNING next - 1"));
  ASSIGN_OR_RETURN(bool row, bump->Step());
  if (!row) return DataLossError("the agent's serial counter is missing");
  const uint64_t serial = static_cast<uint64_t>(bump->ColumnInt(0));
  RETURN_IF_ERROR(bump->Run());
  return serial;
}

Status AgentStore::RecordCertificate(const IssuedCertificate& certificate) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(
      auto insert,
      db_->Prepare(
          "INSERT INTO certificates (serial, grant_id, key_id, login, fingerprint, valid_before, "
          "issued_at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  insert->Bind(1, static_cast<int64_t>(certificate.serial))
      .Bind(2, certificate.grant)
      .Bind(3, certificate.key_id)
      .Bind(4, certificate.login)
      .Bind(5, certificate.fingerprint)
      .Bind(6, certificate.valid_before)
      .Bind(7, certificate.issued_at);
  return insert->Run();
}

StatusOr<std::vector<IssuedCertificate>> AgentStore::Certificates() {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare("SELECT serial, grant_id, key_id, login, fingerprint, valid_before, issued_at "
                   "FROM certificates ORDER BY serial"));
  std::vector<IssuedCertificate> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    out.push_back({static_cast<uint64_t>(select->ColumnInt(0)), std::string(select->ColumnText(1)),
                   std::string(select->ColumnText(2)), std::string(select->ColumnText(3)),
                   std::string(select->ColumnText(4)), select->ColumnInt(5), select->ColumnInt(6)});
  }
  return out;
}

Status AgentStore::SaveRotation(const PendingRotation& rotation) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(
      auto upsert,
      db_->Prepare("INSERT OR REPLACE INTO rotations (resource, name, version, grant_id, sealed, "
                   "commitment, applied, attempts, next_attempt, error) VALUES (?, ?, ?, ?, ?, ?, "
                   "?, ?, ?, ?)"));
  upsert->Bind(1, rotation.resource)
      .Bind(2, rotation.name)
      .Bind(3, static_cast<int64_t>(rotation.version))
      .Bind(4, rotation.grant)
      .Bind(5, rotation.sealed)
      .Bind(6, rotation.commitment)
      .Bind(7, int64_t{rotation.applied})
      .Bind(8, rotation.attempts)
      .Bind(9, rotation.next_attempt)
      .Bind(10, rotation.error);
  return upsert->Run();
}

StatusOr<std::vector<PendingRotation>> AgentStore::Rotations() {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto select,
                   db_->Prepare("SELECT resource, name, version, grant_id, sealed, commitment, "
                                "applied, attempts, next_attempt, error FROM rotations ORDER BY "
                                "resource, name"));
  std::vector<PendingRotation> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    out.push_back({std::string(select->ColumnText(0)), std::string(select->ColumnText(1)),
                   static_cast<uint64_t>(select->ColumnInt(2)), std::string(select->ColumnText(3)),
                   std::string(select->ColumnText(4)), std::string(select->ColumnText(5)),
                   select->ColumnInt(6) != 0, select->ColumnInt(7), select->ColumnInt(8),
                   std::string(select->ColumnText(9))});
  }
  return out;
}

Status AgentStore::ForgetRotation(const std::string& resource, const std::string& name) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto remove,
                   db_->Prepare("DELETE FROM rotations WHERE resource = ? AND name = ?"));
  remove->Bind(1, resource).Bind(2, name);
  return remove->Run();
}

StatusOr<std::vector<Alarm>> AgentStore::Alarms() {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto select,
                   db_->Prepare("SELECT id, at, kind, detail, delivered FROM alarms ORDER BY id"));
  std::vector<Alarm> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    out.push_back({select->ColumnInt(0), select->ColumnInt(1), std::string(select->ColumnText(2)),
                   std::string(select->ColumnText(3)), select->ColumnInt(4) != 0});
  }
  return out;
}

Status AgentStore::MarkAlarmDelivered(int64_t id) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto update, db_->Prepare("UPDATE alarms SET delivered = 1 WHERE id = ?"));
  update->Bind(1, id);
  return update->Run();
}

StatusOr<std::optional<std::string>> AgentStore::PrincipalFor(const std::string& user,
                                                              const std::string& key_id,
                                                              uint64_t serial, int64_t now) {
  MutexLock lock(mu_);
  // Everything must hold: a certificate this agent issued with that serial and key ID, its grant
  // live now in the agent's own reading of the log, untainted, for this login, and the agent not
  // halted by a rewritten log. The agent's own certificates for rotating a credential have no
  // grant: they hold for their few minutes.
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare("SELECT c.login FROM certificates c LEFT JOIN grants g ON g.id = c.grant_id "
                   "WHERE c.serial = ?1 AND c.key_id = ?2 AND c.login = ?3 "
                   "AND NOT EXISTS (SELECT 1 FROM witness WHERE halted != '') AND ("
                   "(g.login = ?3 AND g.tainted = '' AND g.live_from <= ?4 AND ?4 < g.live_until) "
                   "OR (c.grant_id = '' AND c.key_id LIKE 'rotation:%' AND ?4 < c.valid_before))"));
  select->Bind(1, static_cast<int64_t>(serial)).Bind(2, key_id).Bind(3, user).Bind(4, now);
  ASSIGN_OR_RETURN(bool row, select->Step());
  std::optional<std::string> principal;
  if (row) principal = std::string(select->ColumnText(0));
  return principal;
}

StatusOr<std::vector<uint64_t>> AgentStore::RevokedSerials(int64_t now) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare("SELECT c.serial FROM certificates c LEFT JOIN grants g ON g.id = c.grant_id "
                   "WHERE c.valid_before > ?1 AND NOT (c.grant_id = '' AND c.key_id LIKE "
                   "'rotation:%') AND (g.id IS NULL OR g.tainted != '' OR "
                   "NOT (g.live_from <= ?1 AND ?1 < g.live_until) OR "
                   "EXISTS (SELECT 1 FROM witness WHERE halted != '')) ORDER BY c.serial"));
  select->Bind(1, now);
  std::vector<uint64_t> serials;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    serials.push_back(static_cast<uint64_t>(select->ColumnInt(0)));
  }
  return serials;
}

}  // namespace quartet::agent

#include "store/server_schema.h"

#include <array>

namespace quartet::store {
namespace {

// Version 1: every table as it stood when versions began to be kept. Also what a data folder made
// before then has, so it arrives here unchanged.
constexpr std::string_view kVersion1 = R"sql(
-- The logs: one per client (ledger/, store/sqlite_log_store.h).
CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL UNIQUE,
  origin TEXT NOT NULL,
  verifier_key TEXT NOT NULL,
  size INTEGER NOT NULL DEFAULT 0
);
-- Each append is one row: its entries [first_idx, first_idx + count) encoded as in a tlog-tiles
-- entry bundle (each entry prefixed by its length as a big-endian uint16). One row per batch
-- instead of one per entry is what lets appends run at the disk's speed.
CREATE TABLE IF NOT EXISTS entry_runs (
  log_id INTEGER NOT NULL,
  first_idx INTEGER NOT NULL,
  count INTEGER NOT NULL CHECK (count > 0),
  data BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS entry_runs_by_index ON entry_runs (log_id, first_idx);
CREATE TABLE IF NOT EXISTS checkpoints (
  log_id INTEGER NOT NULL,
  size INTEGER NOT NULL,
  root BLOB NOT NULL,
  note TEXT NOT NULL,
  PRIMARY KEY (log_id, size)
) WITHOUT ROWID;
-- The log's witness (the client's agent) and the checkpoints it cosigned, notes with both signatures.
CREATE TABLE IF NOT EXISTS witnesses (
  log_id INTEGER PRIMARY KEY,
  verifier_key TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cosigned_checkpoints (
  log_id INTEGER NOT NULL,
  size INTEGER NOT NULL,
  root BLOB NOT NULL,
  note TEXT NOT NULL,
  PRIMARY KEY (log_id, size)
) WITHOUT ROWID;
-- Entries and checkpoints are history: nothing may rewrite or remove them.
CREATE TRIGGER IF NOT EXISTS entries_immutable BEFORE UPDATE ON entry_runs
  BEGIN SELECT RAISE(ABORT, 'log entries are immutable'); END;
CREATE TRIGGER IF NOT EXISTS entries_permanent BEFORE DELETE ON entry_runs
  BEGIN SELECT RAISE(ABORT, 'log entries are permanent'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_immutable BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_permanent BEFORE DELETE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'checkpoints are permanent'); END;
CREATE TRIGGER IF NOT EXISTS cosigned_immutable BEFORE UPDATE ON cosigned_checkpoints
  BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
CREATE TRIGGER IF NOT EXISTS cosigned_permanent BEFORE DELETE ON cosigned_checkpoints
  BEGIN SELECT RAISE(ABORT, 'checkpoints are permanent'); END;
-- Governance: clients, people, resources, relationships, grants, sessions, the outbox.
CREATE TABLE IF NOT EXISTS clients (
  tenant TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  policy TEXT NOT NULL,
  webhook_url TEXT,
  webhook_secret TEXT
);
CREATE TABLE IF NOT EXISTS notifications (
  id INTEGER PRIMARY KEY,
  client TEXT NOT NULL,
  channel TEXT NOT NULL,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  secret TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (delivered_at, next_attempt_at);
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  client TEXT REFERENCES clients (tenant),
  active INTEGER NOT NULL DEFAULT 1,
  password_hash TEXT,
  totp_secret BLOB,
  totp_last_step INTEGER NOT NULL DEFAULT -1,
  email TEXT
);
CREATE TABLE IF NOT EXISTS resources (
  client TEXT NOT NULL REFERENCES clients (tenant),
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  labels INTEGER NOT NULL,
  PRIMARY KEY (client, name)
);
CREATE TABLE IF NOT EXISTS relationships (
  client TEXT NOT NULL REFERENCES clients (tenant),
  technician TEXT NOT NULL REFERENCES users (name),
  PRIMARY KEY (client, technician)
);
CREATE TABLE IF NOT EXISTS teams (
  name TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS team_members (
  team TEXT NOT NULL REFERENCES teams (name),
  technician TEXT NOT NULL REFERENCES users (name),
  PRIMARY KEY (team, technician)
);
CREATE TABLE IF NOT EXISTS team_relationships (
  client TEXT NOT NULL REFERENCES clients (tenant),
  team TEXT NOT NULL REFERENCES teams (name),
  PRIMARY KEY (client, team)
);
CREATE TABLE IF NOT EXISTS owner_keys (
  client TEXT NOT NULL,
  owner TEXT NOT NULL REFERENCES users (name),
  key_id TEXT NOT NULL,
  public_key BLOB NOT NULL,
  PRIMARY KEY (client, owner, key_id)
);
CREATE TABLE IF NOT EXISTS grants (
  client TEXT NOT NULL REFERENCES clients (tenant),
  id TEXT NOT NULL,
  technician TEXT NOT NULL,
  state TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  request TEXT NOT NULL,
  progress TEXT NOT NULL,
  PRIMARY KEY (client, id)
);
CREATE TABLE IF NOT EXISTS tokens (
  digest BLOB PRIMARY KEY,
  user TEXT NOT NULL REFERENCES users (name),
  expires_at INTEGER NOT NULL,
  csrf_digest BLOB
);
CREATE TABLE IF NOT EXISTS policy_proposals (
  client TEXT NOT NULL REFERENCES clients (tenant),
  id TEXT NOT NULL,
  policy TEXT NOT NULL,
  proposed_by TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open',
  PRIMARY KEY (client, id)
);
CREATE INDEX IF NOT EXISTS grants_by_time ON grants (client, requested_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS grants_by_client_state ON grants (client, state, requested_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS grants_by_state ON grants (state, client);
CREATE INDEX IF NOT EXISTS grants_by_technician ON grants (technician, state);
-- The clients' agents as the server sees them (governance/agent_service.h).
CREATE TABLE IF NOT EXISTS agent_enrolment_codes (
  digest BLOB PRIMARY KEY,
  client TEXT NOT NULL,
  created_by TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS agents (
  client TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  witness_key TEXT NOT NULL,
  ssh_ca_key TEXT NOT NULL,
  token_digest BLOB NOT NULL UNIQUE,
  enrolled_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL DEFAULT 0,
  witnessed_size INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS certificate_requests (
  client TEXT NOT NULL,
  id TEXT NOT NULL,
  grant_id TEXT NOT NULL,
  technician TEXT NOT NULL,
  public_key TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  certificate TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (client, id)
);
CREATE INDEX IF NOT EXISTS certificate_requests_pending ON certificate_requests (client, state);
CREATE TABLE IF NOT EXISTS agent_alarms (
  id INTEGER PRIMARY KEY,
  client TEXT NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL
);
)sql";

// Version 2: each client's trust chain (trust/chain.h), one signed statement a row, in order. Each is
// also an entry of the client's log ("trust.statement"), committed with its row.
constexpr std::string_view kVersion2 = R"sql(
CREATE TABLE trust_statements (
  client TEXT NOT NULL REFERENCES clients (tenant),
  seq INTEGER NOT NULL,
  statement TEXT NOT NULL,
  PRIMARY KEY (client, seq)
) WITHOUT ROWID;
)sql";

// Version 3: one-time invitations, with which the people of a client choose their own password and
// receive their own second factor. Only the code's SHA-256 digest is kept.
constexpr std::string_view kVersion3 = R"sql(
CREATE TABLE invitations (
  digest BLOB PRIMARY KEY,
  user TEXT NOT NULL REFERENCES users (name),
  expires_at INTEGER NOT NULL
);
CREATE INDEX invitations_user ON invitations (user);
)sql";

// Version 4: devices being linked to a trust chain (governance/trust_links.h), each the new
// device's half-signed statement under a one-time code (its SHA-256 kept), until it is claimed or
// expires.
constexpr std::string_view kVersion4 = R"sql(
CREATE TABLE trust_links (
  digest BLOB PRIMARY KEY,
  client TEXT NOT NULL REFERENCES clients (tenant),
  offered_by TEXT NOT NULL,
  key_id TEXT NOT NULL,
  statement TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Version 5: the owners' acknowledgements of each use of the recovery key (a `recovered` statement
// of the trust chain, by its position): every dashboard of the client shows the alarm until one.
constexpr std::string_view kVersion5 = R"sql(
CREATE TABLE trust_recovery_acknowledgements (
  client TEXT NOT NULL REFERENCES clients (tenant),
  seq INTEGER NOT NULL,
  acknowledged_by TEXT NOT NULL,
  acknowledged_at INTEGER NOT NULL,
  PRIMARY KEY (client, seq)
) WITHOUT ROWID;
)sql";

// Version 6: statements of a trust chain that some owners signed and more must
// (governance/trust_statements.h), each under the first 16 hex digits of its body's SHA-256 with
// every signature gathered so far, until enough owners signed it or the chain moved past it; and an
// agent enrolled to replace the one the chain confirms, waiting for the owners to confirm it
// (governance/agent_service.h).
constexpr std::string_view kVersion6 = R"sql(
CREATE TABLE trust_pending (
  client TEXT NOT NULL REFERENCES clients (tenant),
  id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  statement TEXT NOT NULL,
  proposed_by TEXT NOT NULL,
  proposed_at INTEGER NOT NULL,
  PRIMARY KEY (client, id)
) WITHOUT ROWID;
CREATE TABLE agent_replacements (
  client TEXT PRIMARY KEY REFERENCES clients (tenant),
  name TEXT NOT NULL,
  witness_key TEXT NOT NULL,
  ssh_ca_key TEXT NOT NULL,
  token_digest BLOB NOT NULL UNIQUE,
  enrolled_at INTEGER NOT NULL
);
)sql";

// Version 7: who may read a client's published log besides its owners, auditors and agent: read
// tokens the owners make for outside verifiers (only each token's SHA-256 kept), and the logs open
// to anyone — those their owners chose to publish, and logs of no client made open by
// `quartet log init --open`.
constexpr std::string_view kVersion7 = R"sql(
CREATE TABLE log_read_tokens (
  digest BLOB PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  client TEXT NOT NULL REFERENCES clients (tenant),
  name TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX log_read_tokens_client ON log_read_tokens (client);
CREATE TABLE public_logs (
  client TEXT PRIMARY KEY,
  published_by TEXT NOT NULL,
  published_at INTEGER NOT NULL
);
)sql";

// Version 8: credential custody (governance/credentials.h). The agent's sealing key, as it enrolled
// with it (empty for agents enrolled before), and each credential's latest version, sealed to it,
// with its last reveal and rotation.
constexpr std::string_view kVersion8 = R"sql(
ALTER TABLE agents ADD COLUMN sealing_key TEXT NOT NULL DEFAULT '';
ALTER TABLE agent_replacements ADD COLUMN sealing_key TEXT NOT NULL DEFAULT '';
CREATE TABLE credentials (
  client TEXT NOT NULL REFERENCES clients (tenant),
  resource TEXT NOT NULL,
  name TEXT NOT NULL,
  username TEXT NOT NULL,
  exclusive INTEGER NOT NULL,
  rotate TEXT NOT NULL,
  version INTEGER NOT NULL,
  enc BLOB NOT NULL,
  ciphertext BLOB NOT NULL,
  sealed_to TEXT NOT NULL,
  commitment TEXT NOT NULL,
  stored_by TEXT NOT NULL,
  stored_at INTEGER NOT NULL,
  revealed_version INTEGER NOT NULL DEFAULT 0,
  revealed_to TEXT NOT NULL DEFAULT '',
  revealed_grant TEXT NOT NULL DEFAULT '',
  revealed_at INTEGER NOT NULL DEFAULT 0,
  rotated_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (client, resource, name)
) WITHOUT ROWID;
CREATE TABLE reveal_requests (
  client TEXT NOT NULL,
  id TEXT NOT NULL,
  grant_id TEXT NOT NULL,
  technician TEXT NOT NULL,
  resource TEXT NOT NULL,
  name TEXT NOT NULL,
  public_key TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  version INTEGER NOT NULL DEFAULT 0,
  sealed TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (client, id)
) WITHOUT ROWID;
CREATE INDEX reveal_requests_pending ON reveal_requests (client, state);
)sql";

// Version 9: why the agent's last attempt to rotate a credential failed, and when (empty and 0
// once it succeeds).
constexpr std::string_view kVersion9 = R"sql(
ALTER TABLE credentials ADD COLUMN rotation_error TEXT NOT NULL DEFAULT '';
ALTER TABLE credentials ADD COLUMN rotation_failed_at INTEGER NOT NULL DEFAULT 0;
)sql";

constexpr std::array<std::string_view, 9> kSteps = {kVersion1, kVersion2, kVersion3,
                                                    kVersion4, kVersion5, kVersion6,
                                                    kVersion7, kVersion8, kVersion9};

}  // namespace

const Schema& ServerSchema() {
  static const Schema schema{"the server's database (quartet.db)", kSteps};
  return schema;
}

}  // namespace quartet::store

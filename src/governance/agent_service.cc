#include "governance/agent_service.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "governance/event.h"
#include "identity/token.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/tiles.h"
#include "ledger/witness.h"
#include "ssh/certificate.h"
#include "ssh/key.h"
#include "store/sqlite_log_store.h"

namespace quartet::governance {
namespace {

using Json = nlohmann::json;

constexpr auto kPollInterval = std::chrono::milliseconds(50);
// Long polls hold a server thread each: at most this many wait at once; the rest answer at once.
constexpr int kMaxWaiting = 40;

bool IsPrintableName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string Clip(std::string_view text, size_t limit) { return std::string(text.substr(0, limit)); }

struct ScopeExit {
  std::function<void()> run;
  ~ScopeExit() { run(); }
};

}  // namespace

StatusOr<std::unique_ptr<AgentService>> AgentService::Open(Committer& committer,
                                                           Permissions& permissions, Grants& grants,
                                                           CheckpointSource source) {
  store::DataFolder& folder = committer.folder();
  if (source == nullptr) {
    source = [&folder](const std::string& tenant) {
      return folder.logs().LatestCheckpoint(tenant);
    };
  }
  // The folder brought the schema up to date when it opened (store/server_schema.h).
  ASSIGN_OR_RETURN(auto db, store::Database::Open(folder.path() + "/quartet.db"));
  return std::unique_ptr<AgentService>(
      new AgentService(committer, permissions, grants, std::move(db), std::move(source)));
}

void AgentService::Shutdown() {
  {
    MutexLock lock(signal_mu_);
    shutting_down_ = true;
    ++generation_;
  }
  signal_.notify_all();
}

std::chrono::milliseconds AgentService::TakeWaitSlot(std::chrono::milliseconds wait) {
  MutexLock lock(signal_mu_);
  if (wait.count() == 0 || waiting_ >= kMaxWaiting) return std::chrono::milliseconds(0);
  ++waiting_;
  return wait;
}

void AgentService::ReleaseWaitSlot(std::chrono::milliseconds granted) {
  if (granted.count() == 0) return;
  MutexLock lock(signal_mu_);
  --waiting_;
}

void AgentService::Notify() {
  {
    MutexLock lock(signal_mu_);
    ++generation_;
  }
  signal_.notify_all();
}

StatusOr<std::string> AgentService::CreateEnrolmentCode(const Actor& actor,
                                                        const std::string& client) {
  if (actor.role == Role::kOwner && actor.client != client) return NotFoundError("no such client");
  if (actor.role != Role::kOwner)
    return PermissionDeniedError("only an owner of the client enrols its agent");
  const identity::IssuedToken code = identity::NewToken(random_, "qe_");
  const int64_t now = clock_.NowUnixSeconds();
  const int64_t expires_at = now + kEnrolmentCodeSeconds;
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(
        auto insert,
        scope.db.Prepare(
            "INSERT INTO agent_enrolment_codes (digest, client, created_by, expires_at) "
            "VALUES (?, ?, ?, ?)"));
    insert->BindBlob(1, code.digest).Bind(2, client).Bind(3, actor.user).Bind(4, expires_at);
    RETURN_IF_ERROR(insert->Run());
    scope.events.push_back(
        Event("agent.invited", client, now, {{"by", actor.user}, {"expires_at", expires_at}}));
    return Status::Ok();
  }));
  return code.token;
}

StatusOr<AgentService::Enrolment> AgentService::Enrol(std::string_view code,
                                                      const std::string& name,
                                                      const std::string& witness_key,
                                                      const std::string& ssh_ca_key) {
  if (!IsPrintableName(name))
    return InvalidArgumentError("an agent needs a name of 1 to 64 printable characters");
  ASSIGN_OR_RETURN(ledger::NoteVerifier witness, ledger::NoteVerifier::Parse(witness_key));
  if (witness.type() != ledger::SignatureType::kCosignatureV1) {
    return InvalidArgumentError("the witness key must be a tlog-cosignature/v1 key");
  }
  ASSIGN_OR_RETURN(ssh::PublicKey ca, ssh::ParsePublicKey(ssh_ca_key));
  const Hash digest = identity::TokenDigest(code);
  const int64_t now = clock_.NowUnixSeconds();
  std::string client;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(auto select,
                     db_->Prepare("SELECT client FROM agent_enrolment_codes WHERE digest = ? AND "
                                  "used = 0 AND expires_at > ?"));
    select->BindBlob(1, digest).Bind(2, now);
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (row) client = std::string(select->ColumnText(0));
  }
  if (client.empty()) return UnauthenticatedError("unknown, used or expired enrolment code");
  ASSIGN_OR_RETURN(ledger::LogConfig log, folder_.logs().GetLog(client));
  const identity::IssuedToken token = identity::NewToken(random_, "qa_");
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    // Spent in the same transaction that enrols, so that a code enrols at most one agent.
    ASSIGN_OR_RETURN(
        auto spend, scope.db.Prepare(
                        "UPDATE agent_enrolment_codes SET used = 1 WHERE digest = ? AND used = 0"));
    spend->BindBlob(1, digest);
    RETURN_IF_ERROR(spend->Run());
    if (sqlite3_changes(scope.db.handle()) == 0)
      return UnauthenticatedError("unknown, used or expired enrolment code");
    ASSIGN_OR_RETURN(
        auto insert,
        scope.db.Prepare(
            "INSERT OR REPLACE INTO agents (client, name, witness_key, ssh_ca_key, token_digest, "
            "enrolled_at) VALUES (?, ?, ?, ?, ?, ?)"));
    insert->Bind(1, client)
        .Bind(2, name)
        .Bind(3, witness_key)
        .Bind(4, ssh_ca_key)
        .BindBlob(5, token.digest)
        .Bind(6, now);
    RETURN_IF_ERROR(insert->Run());
    RETURN_IF_ERROR(store::SqliteLogStore::SetWitnessInTransaction(scope.db, client, witness_key));
    scope.events.push_back(Event("agent.enrolled", client, now,
                                 {{"name", name},
                                  {"witness_key", witness_key},
                                  {"ssh_ca_key", ssh::FormatPublicKey(ca, "")},
                                  {"ssh_ca_fingerprint", ssh::Fingerprint(ca)}}));
    return Status::Ok();
  }));
  return Enrolment{client, token.token, log.verifier_key, log.origin};
}

StatusOr<std::string> AgentService::AuthenticateAgent(std::string_view token) {
  const Hash digest = identity::TokenDigest(token);
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(auto select, db_->Prepare("SELECT client FROM agents WHERE token_digest = ?"));
  select->BindBlob(1, digest);
  ASSIGN_OR_RETURN(bool row, select->Step());
  std::string client = row ? std::string(select->ColumnText(0)) : std::string();
  select.Release();
  if (client.empty()) return UnauthenticatedError("unknown agent token");
  return client;
}

StatusOr<AgentView> AgentService::LoadAgent(const std::string& client) {
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare("SELECT name, witness_key, ssh_ca_key, enrolled_at, last_seen, witnessed_size "
                   "FROM agents WHERE client = ?"));
  select->Bind(1, client);
  ASSIGN_OR_RETURN(bool row, select->Step());
  AgentView view;
  if (row) {
    view.enrolled = true;
    view.name = std::string(select->ColumnText(0));
    view.witness_key = std::string(select->ColumnText(1));
    view.ssh_ca_key = std::string(select->ColumnText(2));
    view.enrolled_at = select->ColumnInt(3);
    view.last_seen = select->ColumnInt(4);
    view.witnessed_size = static_cast<uint64_t>(select->ColumnInt(5));
  }
  return view;
}

StatusOr<std::vector<CertificateRequest>> AgentService::PendingRequests(const std::string& client) {
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare(
          "SELECT id, grant_id, technician, public_key, created_at FROM certificate_requests "
          "WHERE client = ? AND state = 'pending' ORDER BY created_at, id LIMIT 100"));
  select->Bind(1, client);
  std::vector<CertificateRequest> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    CertificateRequest request;
    request.id = std::string(select->ColumnText(0));
    request.client = client;
    request.grant = std::string(select->ColumnText(1));
    request.technician = std::string(select->ColumnText(2));
    request.public_key = std::string(select->ColumnText(3));
    request.state = "pending";
    request.created_at = select->ColumnInt(4);
    out.push_back(std::move(request));
  }
  return out;
}

StatusOr<CertificateRequest> AgentService::LoadRequest(const std::string& client,
                                                       const std::string& id) {
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare(
          "SELECT grant_id, technician, public_key, state, certificate, reason, created_at "
          "FROM certificate_requests WHERE client = ? AND id = ?"));
  select->Bind(1, client).Bind(2, id);
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return NotFoundError("no such certificate request");
  CertificateRequest request{id,
                             client,
                             std::string(select->ColumnText(0)),
                             std::string(select->ColumnText(1)),
                             std::string(select->ColumnText(2)),
                             std::string(select->ColumnText(3)),
                             std::string(select->ColumnText(4)),
                             std::string(select->ColumnText(5)),
                             select->ColumnInt(6)};
  return request;
}

void AgentService::Touch(const std::string& client, uint64_t witnessed_size) {
  MutexLock lock(mu_);
  auto update = db_->Prepare(
      "UPDATE agents SET last_seen = ?, witnessed_size = max(witnessed_size, ?) WHERE client = ?");
  if (!update.ok()) return;
  (*update)
      ->Bind(1, clock_.NowUnixSeconds())
      .Bind(2, static_cast<int64_t>(witnessed_size))
      .Bind(3, client);
  (void)(*update)->Run();
}

StatusOr<std::string> AgentService::AddCheckpointBody(const std::string& client,
                                                      uint64_t witnessed_size,
                                                      const ledger::StoredCheckpoint& latest) {
  // A log smaller than what the witness cosigned has no proof to offer; the witness refuses it.
  ledger::AddCheckpointRequest request{witnessed_size, {}, latest.note};
  if (witnessed_size > 0 && witnessed_size < latest.size) {
    const std::string directory = folder_.LogDirectory(client);
    ledger::TileNodeReader reader(latest.size, [&](const ledger::TileId& id) {
      return folder_.fs().ReadFile(directory + "/" + id.Path());
    });
    ASSIGN_OR_RETURN(request.proof, ledger::ConsistencyProof(reader, witnessed_size, latest.size));
  }
  return request.Format();
}

StatusOr<AgentService::Work> AgentService::NextWork(const std::string& client,
                                                    uint64_t witnessed_size,
                                                    std::chrono::milliseconds wait) {
  Touch(client, 0);
  Work work;
  // New checkpoints are published by another thread about ten times a second: look again soon.
  RETURN_IF_ERROR(Poll(wait, kPollInterval, [&]() -> StatusOr<bool> {
    work = Work();
    ASSIGN_OR_RETURN(auto latest, source_(client));
    if (latest.has_value() && latest->size != witnessed_size) {
      ASSIGN_OR_RETURN(work.add_checkpoint, AddCheckpointBody(client, witnessed_size, *latest));
    }
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(work.certificate_requests, PendingRequests(client));
    return !work.add_checkpoint.empty() || !work.certificate_requests.empty();
  }));
  return work;
}

Status AgentService::Poll(std::chrono::milliseconds wait, std::chrono::milliseconds interval,
                          const std::function<StatusOr<bool>()>& look) {
  wait = TakeWaitSlot(wait);
  const ScopeExit release{[&] { ReleaseWaitSlot(wait); }};
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    uint64_t generation;
    bool shutting_down;
    {
      MutexLock lock(signal_mu_);
      generation = generation_;
      shutting_down = shutting_down_;
    }
    ASSIGN_OR_RETURN(bool done, look());
    const auto now = std::chrono::steady_clock::now();
    if (done || now >= deadline || shutting_down) return Status::Ok();
    MutexLock lock(signal_mu_);
    signal_.wait_for(signal_mu_,
                     std::min<std::chrono::steady_clock::duration>(interval, deadline - now),
                     [&]() REQUIRES(signal_mu_) { return generation_ != generation; });
  }
}

Status AgentService::AddCosignature(const std::string& client, uint64_t size,
                                    std::string_view signature_line) {
  if (signature_line.size() > 1024 || !signature_line.ends_with('\n') ||
      signature_line.find('\n') != signature_line.size() - 1) {
    return InvalidArgumentError("a cosignature is one signature line");
  }
  AgentView agent;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(agent, LoadAgent(client));
  }
  if (!agent.enrolled) return FailedPreconditionError("the client has no agent");
  ASSIGN_OR_RETURN(auto checkpoint, folder_.logs().CheckpointOfSize(client, size));
  if (!checkpoint.has_value()) return NotFoundError("the log signed no checkpoint of that size");
  ASSIGN_OR_RETURN(ledger::LogConfig log, folder_.logs().GetLog(client));
  ASSIGN_OR_RETURN(ledger::NoteVerifier log_key, ledger::NoteVerifier::Parse(log.verifier_key));
  ASSIGN_OR_RETURN(ledger::NoteVerifier witness_key,
                   ledger::NoteVerifier::Parse(agent.witness_key));
  // The published note: the log's signed checkpoint with the witness's line added.
  std::string cosigned = checkpoint->note + std::string(signature_line);
  std::vector<ledger::VerifiedSignature> verified;
  const ledger::NoteVerifier keys[] = {log_key, witness_key};
  auto opened = ledger::OpenNote(cosigned, keys, &verified);
  if (!opened.ok())
    return UnauthenticatedError("the cosignature does not verify: " + opened.status().message());
  const bool witnessed =
      std::any_of(verified.begin(), verified.end(), [&](const ledger::VerifiedSignature& v) {
        return v.name == witness_key.name() && v.key_id == witness_key.key_id();
      });
  if (!witnessed) return UnauthenticatedError("the cosignature is not the agent's");
  Status added =
      folder_.logs().AddCosignedCheckpoint(client, {checkpoint->size, checkpoint->root, cosigned});
  if (!added.ok()) {
    // The same checkpoint cosigned twice (a retry) is fine; an older one is not published.
    ASSIGN_OR_RETURN(auto latest, folder_.logs().LatestCosignedCheckpoint(client));
    if (!latest.has_value() || latest->size < size) return added;
  }
  Touch(client, size);
  return Status::Ok();
}

Status AgentService::RaiseAlarm(const std::string& client, const std::string& kind,
                                const std::string& detail) {
  static constexpr std::string_view kKinds[] = {"rollback", "fork", "bad-checkpoint",
                                                "rule-violation"};
  if (std::find(std::begin(kKinds), std::end(kKinds), kind) == std::end(kKinds)) {
    return InvalidArgumentError("unknown alarm kind");
  }
  const std::string text = Clip(detail, 2000);
  const int64_t now = clock_.NowUnixSeconds();
  return committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(
        auto insert,
        scope.db.Prepare(
            "INSERT INTO agent_alarms (client, at, kind, detail) VALUES (?, ?, ?, ?)"));
    insert->Bind(1, client).Bind(2, now).Bind(3, kind).Bind(4, text);
    RETURN_IF_ERROR(insert->Run());
    scope.events.push_back(Event("agent.alarm", client, now, {{"alarm", kind}, {"detail", text}}));
    scope.notices.push_back(
        {"[Quartet] ALARM: your agent refused the log of " + client + " (" + kind + ")",
         "Your agent, which checks the log of every access to your systems, found that the log "
         "was " +
             std::string(kind == "rollback" ? "rolled back"
                         : kind == "fork"   ? "rewritten (forked)"
                                            : "not valid") +
             ".\nIt will not cosign it or issue any access until this is resolved.\n\nDetail: " +
             text + "\n",
         Json{{"event", "agent.alarm"}, {"client", client}, {"alarm", kind}, {"detail", text}}
             .dump()});
    return Status::Ok();
  });
}

StatusOr<CertificateRequest> AgentService::RequestCertificate(const Actor& actor,
                                                              const std::string& client,
                                                              const std::string& grant,
                                                              const std::string& public_key,
                                                              std::chrono::milliseconds wait) {
  ASSIGN_OR_RETURN(GrantView view, grants_.GetGrant(actor, client, grant));
  const access::GrantRequest& r = view.request;
  if (r.technician != actor.user)
    return PermissionDeniedError("only the technician who holds the grant gets its certificate");
  if (r.kind != access::ResourceKind::kSshHost || r.action != access::Action::kLogin ||
      r.login.empty()) {
    return FailedPreconditionError("the grant is not an SSH login");
  }
  const int64_t now = clock_.NowUnixSeconds();
  const access::GrantProgress& p = view.progress;
  if (p.state != access::GrantState::kApproved || now < p.window_start || now >= p.window_end) {
    return FailedPreconditionError("the grant is not live");
  }
  ASSIGN_OR_RETURN(ssh::PublicKey key, ssh::ParsePublicKey(public_key));
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(AgentView agent, LoadAgent(client));
    if (!agent.enrolled)
      return FailedPreconditionError("the client has no agent to sign certificates");
  }
  Bytes id_bytes(8);
  random_.Fill(id_bytes);
  const std::string id = "c" + HexEncode(id_bytes);
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(
        auto insert,
        scope.db.Prepare(
            "INSERT INTO certificate_requests (client, id, grant_id, technician, public_key, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)"));
    insert->Bind(1, client)
        .Bind(2, id)
        .Bind(3, grant)
        .Bind(4, actor.user)
        .Bind(5, ssh::FormatPublicKey(key, ""))
        .Bind(6, now);
    return insert->Run();
  }));
  Notify();
  return GetCertificateRequest(actor, client, id, wait);
}

StatusOr<CertificateRequest> AgentService::GetCertificateRequest(const Actor& actor,
                                                                 const std::string& client,
                                                                 const std::string& id,
                                                                 std::chrono::milliseconds wait) {
  RETURN_IF_ERROR(permissions_.CheckCanSee(actor, client));
  CertificateRequest request;
  // Answers are signalled: no need to look between signals.
  RETURN_IF_ERROR(Poll(wait, wait, [&]() -> StatusOr<bool> {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(request, LoadRequest(client, id));
    if (request.technician != actor.user) return NotFoundError("no such certificate request");
    return request.state != "pending";
  }));
  return request;
}

Status AgentService::Fulfil(const std::string& client, const std::string& id,
                            const std::string& certificate) {
  CertificateRequest request;
  AgentView agent;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(request, LoadRequest(client, id));
    ASSIGN_OR_RETURN(agent, LoadAgent(client));
  }
  if (request.state != "pending") return FailedPreconditionError("the request is " + request.state);
  ASSIGN_OR_RETURN(ssh::Certificate cert, ssh::ParseCertificate(certificate));
  ASSIGN_OR_RETURN(ssh::PublicKey ca, ssh::ParsePublicKey(agent.ssh_ca_key));
  ASSIGN_OR_RETURN(ssh::PublicKey subject, ssh::ParsePublicKey(request.public_key));
  if (!(cert.ca == ca))
    return InvalidArgumentError("the certificate is not signed by the client's CA");
  if (!(cert.subject == subject))
    return InvalidArgumentError("the certificate is not for the requested key");
  if (cert.key_id != "grant-" + request.grant + ":" + request.technician) {
    return InvalidArgumentError("the certificate's key ID does not name the grant");
  }
  return Answer(request, "issued", certificate,
                Event("certificate.issued", client, clock_.NowUnixSeconds(),
                      {{"grant", request.grant},
                       {"request", id},
                       {"technician", request.technician},
                       {"serial", std::to_string(cert.serial)},
                       {"key_id", cert.key_id},
                       {"principals", cert.principals},
                       {"valid_after", cert.valid_after},
                       {"valid_before", cert.valid_before},
                       {"fingerprint", ssh::Fingerprint(cert.subject)},
                       {"ca_fingerprint", ssh::Fingerprint(cert.ca)}}));
}

Status AgentService::Answer(const CertificateRequest& request, const std::string& state,
                            const std::string& text, const std::string& event) {
  // Only a pending request is answered, once: the update and its event commit together.
  RETURN_IF_ERROR(committer_.Commit(request.client, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(auto update,
                     scope.db.Prepare("UPDATE certificate_requests SET state = ?1, "
                                      "certificate = CASE ?1 WHEN 'issued' THEN ?2 ELSE '' END, "
                                      "reason = CASE ?1 WHEN 'refused' THEN ?2 ELSE '' END "
                                      "WHERE client = ?3 AND id = ?4 AND state = 'pending'"));
    update->Bind(1, state).Bind(2, text).Bind(3, request.client).Bind(4, request.id);
    RETURN_IF_ERROR(update->Run());
    if (sqlite3_changes(scope.db.handle()) == 0) {
      return FailedPreconditionError("the request was answered already");
    }
    scope.events.push_back(event);
    return Status::Ok();
  }));
  Notify();
  return Status::Ok();
}

Status AgentService::Refuse(const std::string& client, const std::string& id,
                            const std::string& reason) {
  CertificateRequest request;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(request, LoadRequest(client, id));
  }
  if (request.state != "pending") return FailedPreconditionError("the request is " + request.state);
  const std::string text = Clip(reason.empty() ? "refused" : reason, 500);
  return Answer(request, "refused", text,
                Event("certificate.refused", client, clock_.NowUnixSeconds(),
                      {{"grant", request.grant},
                       {"request", id},
                       {"technician", request.technician},
                       {"reason", text}}));
}

StatusOr<AgentView> AgentService::View(const Actor& actor, const std::string& client) {
  RETURN_IF_ERROR(permissions_.CheckCanSee(actor, client));
  AgentView view;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(view, LoadAgent(client));
    ASSIGN_OR_RETURN(
        auto count,
        db_->Prepare(
            "SELECT count(*) FROM certificate_requests WHERE client = ? AND state = 'pending'"));
    count->Bind(1, client);
    ASSIGN_OR_RETURN(bool row, count->Step());
    view.pending_certificates = row ? static_cast<int>(count->ColumnInt(0)) : 0;
    count.Release();
    ASSIGN_OR_RETURN(auto alarms,
                     db_->Prepare("SELECT at, kind, detail FROM agent_alarms WHERE client = ? "
                                  "ORDER BY id DESC LIMIT 20"));
    alarms->Bind(1, client);
    for (;;) {
      ASSIGN_OR_RETURN(bool more, alarms->Step());
      if (!more) break;
      view.alarms.push_back({alarms->ColumnInt(0), std::string(alarms->ColumnText(1)),
                             std::string(alarms->ColumnText(2))});
    }
  }
  ASSIGN_OR_RETURN(auto latest, folder_.logs().LatestCheckpoint(client));
  if (latest.has_value()) view.log_size = latest->size;
  return view;
}

}  // namespace quartet::governance

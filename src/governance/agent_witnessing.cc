#include <algorithm>

#include "base/json.h"
#include "governance/agent_service.h"
#include "governance/event.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/tiles.h"
#include "ledger/witness.h"
#include "store/sqlite_log_store.h"

namespace quartet::governance {

namespace {

// New checkpoints are published by another thread about ten times a second: look again this often.
constexpr auto kPollInterval = std::chrono::milliseconds(50);

}  // namespace

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
  RETURN_IF_ERROR(poll_.Wait(wait, kPollInterval, [&]() -> StatusOr<bool> {
    work = Work();
    ASSIGN_OR_RETURN(auto latest, source_(client));
    if (latest.has_value() && latest->size != witnessed_size) {
      ASSIGN_OR_RETURN(work.add_checkpoint, AddCheckpointBody(client, witnessed_size, *latest));
    }
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(work.certificate_requests, PendingRequests(client));
    ASSIGN_OR_RETURN(work.reveal_requests, PendingReveals(client));
    return !work.add_checkpoint.empty() || !work.certificate_requests.empty() ||
           !work.reveal_requests.empty();
  }));
  if (witnessed_size == 0 && !work.add_checkpoint.empty()) {
    ASSIGN_OR_RETURN(auto cosigned, folder_.logs().LatestCosignedCheckpoint(client));
    if (cosigned.has_value()) work.cosigned_checkpoint = cosigned->note;
  }
  return work;
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
  const std::string text = detail.substr(0, 2000);
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
         CanonicalJsonOf(
             {{"event", "agent.alarm"}, {"client", client}, {"alarm", kind}, {"detail", text}})});
    return Status::Ok();
  });
}

}  // namespace quartet::governance

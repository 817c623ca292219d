#include "governance/agent_service.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace quartet::governance {

StatusOr<std::unique_ptr<AgentService>> AgentService::Open(Committer& committer,
                                                           Permissions& permissions, Grants& grants,
                                                           TrustStatements& trust,
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
      new AgentService(committer, permissions, grants, trust, std::move(db), std::move(source)));
}

void AgentService::Shutdown() { poll_.Shutdown(); }

StatusOr<AgentView> AgentService::LoadAgent(const std::string& client) {
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare("SELECT name, witness_key, ssh_ca_key, enrolled_at, last_seen, witnessed_size, "
                   "sealing_key FROM agents WHERE client = ?"));
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
    view.sealing_key = std::string(select->ColumnText(6));
  }
  select.Release();
  ASSIGN_OR_RETURN(auto waiting,
                   db_->Prepare("SELECT name, witness_key, ssh_ca_key, sealing_key, enrolled_at "
                                "FROM agent_replacements WHERE client = ?"));
  waiting->Bind(1, client);
  ASSIGN_OR_RETURN(bool replacement, waiting->Step());
  if (replacement) {
    view.replacement = AgentView::Replacement{
        std::string(waiting->ColumnText(0)), std::string(waiting->ColumnText(1)),
        std::string(waiting->ColumnText(2)), std::string(waiting->ColumnText(3)),
        waiting->ColumnInt(4)};
  }
  return view;
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

#include "server/log_publisher.h"

#include <spdlog/spdlog.h>

namespace quartet::server {

Status LogPublisher::Start() {
  ASSIGN_OR_RETURN(lock_, folder_.LockIntegration(store::FileLock::Wait::kNo));
  RETURN_IF_ERROR(PublishOnce());
  publisher_ = std::thread([this] { PublishLoop(); });
  scrubber_ = std::thread([this] { tiles_.Scrub([this] { return Stopping(); }); });
  return Status::Ok();
}

bool LogPublisher::Stopping() {
  MutexLock lock(stop_mu_);
  return stop_;
}

void LogPublisher::Stop() {
  {
    MutexLock lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (publisher_.joinable()) publisher_.join();
  if (scrubber_.joinable()) scrubber_.join();
}

void LogPublisher::PublishLoop() {
  for (;;) {
    {
      MutexLock lock(stop_mu_);
      stop_cv_.wait_for(stop_mu_, interval_, [this]() REQUIRES(stop_mu_) { return stop_; });
      if (stop_) return;
    }
    Status status = PublishOnce();
    if (!status.ok()) spdlog::error("publishing: {}", status.ToString());
  }
}

Status LogPublisher::PublishOnce() {
  ASSIGN_OR_RETURN(auto logs, folder_.logs().ListLogs());
  Status first_error;
  for (const ledger::LogConfig& config : logs) {
    auto& integrator = integrators_[config.tenant];
    Status status;
    if (integrator == nullptr) {
      auto signer = folder_.LogSigner(config.tenant);
      status = signer.status();
      if (status.ok()) {
        integrator = std::make_unique<ledger::Integrator>(
            folder_.logs(), folder_.fs(), config.tenant, folder_.LogDirectory(config.tenant),
            std::move(*signer));
        status = integrator->Open();
      }
    }
    if (status.ok()) status = integrator->IntegrateOnce().status();
    if (status.ok()) status = tiles_.Refresh(config.tenant);
    if (!status.ok()) {
      integrator.reset();  // opened afresh, with recovery, next time
      status = status.WithContext("log '" + config.tenant + "'");
      if (first_error.ok()) first_error = status;
    }
  }
  return first_error;
}

}  // namespace quartet::server

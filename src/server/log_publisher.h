// Publishing: a background thread integrates new durable entries of every log (including entries
// appended by other processes) and publishes checkpoints, about ten times a second, and another
// reads and checks every published tile once (a scrub), so that damage is reported at start-up
// rather than when a client first asks.
//
// Thread safety: Start and Stop from one thread; PublishOnce before Start or from the publisher.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "base/mutex.h"
#include "ledger/integrator.h"
#include "server/verified_tiles.h"
#include "store/data_folder.h"

namespace quartet::server {

class LogPublisher {
 public:
  // `folder` and `tiles` must outlive the publisher.
  LogPublisher(store::DataFolder& folder, VerifiedTiles& tiles, std::chrono::milliseconds interval)
      : folder_(folder), tiles_(tiles), interval_(interval) {}
  ~LogPublisher() { Stop(); }
  LogPublisher(const LogPublisher&) = delete;
  LogPublisher& operator=(const LogPublisher&) = delete;

  // Takes the data folder's integration lock and starts the threads. Unavailable if another
  // process publishes this folder.
  Status Start();
  void Stop();
  // Integrates and publishes every log once, now, and refreshes the served views.
  Status PublishOnce();

 private:
  void PublishLoop();
  bool Stopping();

  store::DataFolder& folder_;
  VerifiedTiles& tiles_;
  const std::chrono::milliseconds interval_;
  std::unique_ptr<store::FileLock> lock_;
  std::map<std::string, std::unique_ptr<ledger::Integrator>> integrators_;
  std::thread publisher_;
  std::thread scrubber_;
  Mutex stop_mu_;
  std::condition_variable_any stop_cv_;
  bool stop_ GUARDED_BY(stop_mu_) = false;
};

}  // namespace quartet::server

// Waiting for something to happen, for callers that hold a thread while they wait (an agent's long
// poll for work, a technician waiting for a certificate): a caller looks, and between looks sleeps
// until signalled or an interval passes. A bounded number of callers may wait at once; the others
// look once and return.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>

#include "base/mutex.h"
#include "base/status.h"

namespace quartet::governance {

class LongPoll {
 public:
  explicit LongPoll(int max_waiting) : max_waiting_(max_waiting) {}

  // Calls `look` until it says done (or fails), `wait` is over, or Shutdown(); between looks, sleeps
  // until Notify() or `interval` passes. When `max_waiting` callers wait already, looks once.
  Status Wait(std::chrono::milliseconds wait, std::chrono::milliseconds interval,
              const std::function<StatusOr<bool>()>& look) EXCLUDES(mu_);
  // Something happened: every waiter looks again now.
  void Notify() EXCLUDES(mu_);
  // Ends every wait at once; later waits look once and return.
  void Shutdown() EXCLUDES(mu_);

  // How many callers wait now.
  int waiting() EXCLUDES(mu_);

 private:
  // The wait the caller may make (zero when all places are taken); given back with Release.
  std::chrono::milliseconds Take(std::chrono::milliseconds wait) EXCLUDES(mu_);
  void Release(std::chrono::milliseconds granted) EXCLUDES(mu_);

  const int max_waiting_;
  Mutex mu_;
  std::condition_variable_any signal_;
  uint64_t generation_ GUARDED_BY(mu_) = 0;
  bool shutting_down_ GUARDED_BY(mu_) = false;
  int waiting_ GUARDED_BY(mu_) = 0;
};

}  // namespace quartet::governance

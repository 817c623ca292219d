#include "governance/long_poll.h"

#include <algorithm>

namespace quartet::governance {

std::chrono::milliseconds LongPoll::Take(std::chrono::milliseconds wait) {
  MutexLock lock(mu_);
  if (wait.count() <= 0 || waiting_ >= max_waiting_) return std::chrono::milliseconds(0);
  ++waiting_;
  return wait;
}

void LongPoll::Release(std::chrono::milliseconds granted) {
  if (granted.count() == 0) return;
  MutexLock lock(mu_);
  --waiting_;
}

int LongPoll::waiting() {
  MutexLock lock(mu_);
  return waiting_;
}

void LongPoll::Notify() {
  {
    MutexLock lock(mu_);
    ++generation_;
  }
  signal_.notify_all();
}

void LongPoll::Shutdown() {
  {
    MutexLock lock(mu_);
    shutting_down_ = true;
    ++generation_;
  }
  signal_.notify_all();
}

Status LongPoll::Wait(std::chrono::milliseconds wait, std::chrono::milliseconds interval,
                      const std::function<StatusOr<bool>()>& look) {
  wait = Take(wait);
  struct Releaser {
    LongPoll& poll;
    std::chrono::milliseconds granted;
    ~Releaser() { poll.Release(granted); }
  } const releaser{*this, wait};
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    uint64_t generation;
    bool shutting_down;
    {
      MutexLock lock(mu_);
      generation = generation_;
      shutting_down = shutting_down_;
    }
    ASSIGN_OR_RETURN(bool done, look());
    const auto now = std::chrono::steady_clock::now();
    if (done || now >= deadline || shutting_down) return Status::Ok();
    MutexLock lock(mu_);
    signal_.wait_for(mu_, std::min<std::chrono::steady_clock::duration>(interval, deadline - now),
                     [&]() REQUIRES(mu_) { return generation_ != generation; });
  }
}

}  // namespace quartet::governance

// Sign-in throttling: slows password and TOTP guessing per key, where a key names what is being
// guessed at or from ("account:alice", "ip:192.0.2.1").
//
// Per key: the first `free_failures` failures cost nothing; each further one locks the key for a
// delay that starts at `first_delay` and doubles, up to `max_delay`. A key's failures are forgotten
// once `window` has passed with no failure and no lockout, and on RecordSuccess. So with the
// defaults, five typos are free, a sixth failure locks for 1 s, a seventh for 2 s, and a guesser
// settles at one attempt per 15 minutes.
//
// Usage: before checking credentials, Check every key that applies (account and client address);
// afterwards record the outcome on each. Prefer not to clear the address's key on success: an
// attacker signing in to their own account between guesses would otherwise reset it.
//
// Memory is bounded: at most `max_keys` keys are tracked (the least recently failed is forgotten
// first) and keys are held as SHA-256 digests, so long or personal key text is not kept.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <map>
#include <string_view>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/sha256.h"
#include "base/status.h"
#include "base/thread_annotations.h"

namespace quartet::identity {

// Values below a field's minimum are raised to it: free_failures 0, durations 1 s (max_delay at
// least first_delay), max_keys 1.
struct ThrottleOptions {
  int free_failures = 5;
  std::chrono::seconds window = std::chrono::minutes(15);
  std::chrono::seconds first_delay = std::chrono::seconds(1);
  std::chrono::seconds max_delay = std::chrono::minutes(15);
  size_t max_keys = 100'000;
};

class SignInThrottle {
 public:
  // `clock` must outlive the throttle.
  explicit SignInThrottle(Clock& clock, ThrottleOptions options = {});
  SignInThrottle(const SignInThrottle&) = delete;
  SignInThrottle& operator=(const SignInThrottle&) = delete;

  // OK unless `key` is locked out; then Unavailable with "retry after N seconds" in the message
  // (N rounded up). The message names neither the key nor the failure count.
  Status Check(std::string_view key) EXCLUDES(mu_);

  // How long `key` stays locked out from now (zero when it is not): for a Retry-After.
  std::chrono::seconds LockedFor(std::string_view key) EXCLUDES(mu_);

  // Counts a failed attempt against `key`, locking it if it is past its free failures.
  void RecordFailure(std::string_view key) EXCLUDES(mu_);

  // Forgets `key`'s failures and any lockout.
  void RecordSuccess(std::string_view key) EXCLUDES(mu_);

 private:
  using TimePoint = std::chrono::system_clock::time_point;

  struct Entry {
    int failures = 0;
    TimePoint locked_until;             // the last failure's time if it locked nothing
    std::list<Hash>::iterator recency;  // position in recency_
  };

  bool Expired(const Entry& entry, TimePoint now) const;
  std::chrono::seconds DelayAfter(int failures) const;
  // Finds `id`, dropping it if expired. Returns entries_.end() when absent.
  std::map<Hash, Entry>::iterator FindLive(const Hash& id, TimePoint now) REQUIRES(mu_);
  // Makes room (expired keys first, then the least recently failed) and inserts a fresh entry.
  std::map<Hash, Entry>::iterator Insert(const Hash& id, TimePoint now) REQUIRES(mu_);
  void Erase(std::map<Hash, Entry>::iterator position) REQUIRES(mu_);

  Clock& clock_;
  const ThrottleOptions options_;
  Mutex mu_;
  std::map<Hash, Entry> entries_ GUARDED_BY(mu_);
  std::list<Hash> recency_ GUARDED_BY(mu_);  // least recently failed first
};

}  // namespace quartet::identity

#include "identity/throttle.h"

#include <algorithm>
#include <string>

namespace quartet::identity {
namespace {

using std::chrono::seconds;

// Beyond this the delay is long capped; counting on would only risk overflow.
constexpr int kMaxCountedFailures = 1'000'000;

ThrottleOptions Normalized(ThrottleOptions options) {
  options.free_failures = std::max(options.free_failures, 0);
  options.window = std::max(options.window, seconds(1));
  options.first_delay = std::max(options.first_delay, seconds(1));
  options.max_delay = std::max(options.max_delay, options.first_delay);
  options.max_keys = std::max<size_t>(options.max_keys, 1);
  return options;
}

std::string RetryAfterMessage(std::chrono::system_clock::duration remaining) {
  const int64_t wait = std::max<int64_t>(std::chrono::ceil<seconds>(remaining).count(), 1);
  return "too many failed sign-in attempts; retry after " + std::to_string(wait) +
         (wait == 1 ? " second" : " seconds");
}

}  // namespace

SignInThrottle::SignInThrottle(Clock& clock, ThrottleOptions options)
    : clock_(clock), options_(Normalized(options)) {}

Status SignInThrottle::Check(std::string_view key) {
  const TimePoint now = clock_.Now();
  const Hash id = Sha256::Of(key);
  MutexLock lock(mu_);
  const auto position = FindLive(id, now);
  if (position == entries_.end() || now >= position->second.locked_until) return Status::Ok();
  return UnavailableError(RetryAfterMessage(position->second.locked_until - now));
}

std::chrono::seconds SignInThrottle::LockedFor(std::string_view key) {
  const TimePoint now = clock_.Now();
  const Hash id = Sha256::Of(key);
  MutexLock lock(mu_);
  const auto position = FindLive(id, now);
  if (position == entries_.end() || now >= position->second.locked_until)
    return std::chrono::seconds(0);
  // Rounded up, as the message says it.
  return std::chrono::ceil<std::chrono::seconds>(position->second.locked_until - now);
}

void SignInThrottle::RecordFailure(std::string_view key) {
  const TimePoint now = clock_.Now();
  const Hash id = Sha256::Of(key);
  MutexLock lock(mu_);
  auto position = FindLive(id, now);
  if (position == entries_.end()) {
    position = Insert(id, now);
  } else {
    recency_.splice(recency_.end(), recency_, position->second.recency);
  }
  Entry& entry = position->second;
  entry.failures = std::min(entry.failures + 1, kMaxCountedFailures);
  // Never shortens a lockout, even if the wall clock stepped back.
  entry.locked_until = std::max(entry.locked_until, now + DelayAfter(entry.failures));
}

void SignInThrottle::RecordSuccess(std::string_view key) {
  const Hash id = Sha256::Of(key);
  MutexLock lock(mu_);
  const auto position = entries_.find(id);
  if (position != entries_.end()) Erase(position);
}

bool SignInThrottle::Expired(const Entry& entry, TimePoint now) const {
  return now >= entry.locked_until + options_.window;
}

std::chrono::seconds SignInThrottle::DelayAfter(int failures) const {
  if (failures <= options_.free_failures) return seconds(0);
  seconds delay = options_.first_delay;
  for (int doubling = failures - options_.free_failures - 1;
       doubling > 0 && delay < options_.max_delay; --doubling) {
    delay *= 2;
  }
  return std::min(delay, options_.max_delay);
}

std::map<Hash, SignInThrottle::Entry>::iterator SignInThrottle::FindLive(const Hash& id,
                                                                         TimePoint now) {
  const auto position = entries_.find(id);
  if (position == entries_.end() || !Expired(position->second, now)) return position;
  Erase(position);
  return entries_.end();
}

std::map<Hash, SignInThrottle::Entry>::iterator SignInThrottle::Insert(const Hash& id,
                                                                       TimePoint now) {
  // The front is the least recently failed key, usually also the first to expire.
  while (!recency_.empty() && Expired(entries_.find(recency_.front())->second, now)) {
    Erase(entries_.find(recency_.front()));
  }
  while (entries_.size() >= options_.max_keys) Erase(entries_.find(recency_.front()));
  const auto position = entries_.emplace(id, Entry{}).first;
  position->second.locked_until = now;
  position->second.recency = recency_.insert(recency_.end(), id);
  return position;
}

void SignInThrottle::Erase(std::map<Hash, Entry>::iterator position) {
  recency_.erase(position->second.recency);
  entries_.erase(position);
}

}  // namespace quartet::identity

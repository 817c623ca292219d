// Rate limits on what costs a client: grant requests, policy proposals and the owners' e-mails they
// cause (server/api). A token bucket per key ("grant:ana:acme", "grant:acme"): a rule's burst may
// be spent at once, then one more each `per_token`. Keys are held as SHA-256 digests; at most
// `max_keys` are kept (full buckets are forgotten first, then all). Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string_view>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/sha256.h"
#include "base/thread_annotations.h"

namespace quartet::identity {

class RateLimiter {
 public:
  struct Rule {
    int burst = 1;
    std::chrono::seconds per_token{1};
  };

  // A limiter that is not `enabled` lets everything through (benchmarks of a server's throughput).
  explicit RateLimiter(Clock& clock, bool enabled = true, size_t max_keys = 100'000)
      : clock_(clock), enabled_(enabled), max_keys_(max_keys) {}
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one from `key`'s bucket: zero when there was one, else how long until there is one (and
  // nothing is taken).
  std::chrono::seconds Take(std::string_view key, Rule rule) EXCLUDES(mu_);
  // What Take would answer, taking nothing.
  std::chrono::seconds Peek(std::string_view key, Rule rule) EXCLUDES(mu_);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::system_clock::time_point at;
  };
  std::chrono::seconds Use(std::string_view key, Rule rule, bool take) EXCLUDES(mu_);

  Clock& clock_;
  const bool enabled_;
  const size_t max_keys_;
  Mutex mu_;
  std::map<Hash, Bucket> buckets_ GUARDED_BY(mu_);
};

}  // namespace quartet::identity

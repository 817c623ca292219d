#include "identity/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace quartet::identity {

std::chrono::seconds RateLimiter::Take(std::string_view key, Rule rule) {
  return Use(key, rule, /*take=*/true);
}

std::chrono::seconds RateLimiter::Peek(std::string_view key, Rule rule) {
  return Use(key, rule, /*take=*/false);
}

std::chrono::seconds RateLimiter::Use(std::string_view key, Rule rule, bool take) {
  if (!enabled_) return std::chrono::seconds(0);
  const auto now = clock_.Now();
  const Hash id = Sha256::Of(key);
  const double burst = std::max(rule.burst, 1);
  const double per_token = static_cast<double>(std::max<int64_t>(rule.per_token.count(), 1));
  MutexLock lock(mu_);
  auto it = buckets_.find(id);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      std::erase_if(buckets_, [&](const auto& entry) {
        const double seconds = std::chrono::duration<double>(now - entry.second.at).count();
        return entry.second.tokens + seconds / per_token >= burst;
      });
      if (buckets_.size() >= max_keys_) buckets_.clear();
    }
    it = buckets_.emplace(id, Bucket{burst, now}).first;
  }
  Bucket& bucket = it->second;
  const double elapsed = std::max(0.0, std::chrono::duration<double>(now - bucket.at).count());
  bucket.tokens = std::min(burst, bucket.tokens + elapsed / per_token);
  bucket.at = now;
  if (bucket.tokens >= 1) {
    if (take) bucket.tokens -= 1;
    return std::chrono::seconds(0);
  }
  return std::chrono::seconds(static_cast<int64_t>(std::ceil((1 - bucket.tokens) * per_token)));
}

}  // namespace quartet::identity

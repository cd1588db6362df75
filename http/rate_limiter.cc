#include "http/rate_limiter.h"

#include <algorithm>

namespace locus::http {

bool RateLimiter::Allow(const std::string& client, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxClients) Prune(now);
    it = buckets_.emplace(client, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
  b.updated = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void RateLimiter::Prune(Clock::time_point now) {
  // A bucket that would be full by now carries no information: forget it.
  std::erase_if(buckets_, [&](const auto& entry) {
    const Bucket& b = entry.second;
    return b.tokens + std::chrono::duration<double>(now - b.updated).count() * rate_ >= burst_;
  });
  // Under a flood of distinct addresses nothing may be full: start over rather than grow.
  if (buckets_.size() >= kMaxClients) buckets_.clear();
}

}  // namespace locus::http

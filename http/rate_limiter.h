// Per-client request rate limit: one token bucket per client address, refilled at `rate_per_s`
// up to `burst`. Thread-safe (one mutex; a check is a map lookup). Bounded memory: when more
// than kMaxClients addresses are tracked, buckets that are full again are dropped.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace locus::http {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxClients = 10000;

  RateLimiter(double rate_per_s, double burst) : rate_(rate_per_s), burst_(burst) {}

  // Takes one token for `client`; false when its bucket is empty (answer 429).
  bool Allow(const std::string& client, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  void Prune(Clock::time_point now);

  const double rate_;
  const double burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace locus::http

// A lock-free latency histogram with Prometheus-style cumulative buckets: answers on any path
// (requests topic, HTTP) observe into it, /metrics reads it.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace locus {

// Request latencies in seconds. Observe() is lock-free and thread-safe; Read() gives a view
// whose buckets may lag the count by in-flight observations (Prometheus tolerates that).
class LatencyHistogram {
 public:
  // Upper bounds (seconds) of the buckets; +Inf is implied.
  static constexpr std::array<double, 13> kBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  struct View {
    std::array<uint64_t, kBounds.size()> cumulative{};  // observations <= each bound
    uint64_t count = 0;
    double sum = 0;
  };

  void Observe(double seconds);
  View Read() const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

}  // namespace locus

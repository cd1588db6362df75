#include "src/engine/latency_histogram.h"

namespace locus {

void LatencyHistogram::Observe(double seconds) {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(seconds, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

LatencyHistogram::View LatencyHistogram::Read() const {
  View v;
  uint64_t running = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    v.cumulative[i] = running;
  }
  running += buckets_[kBounds.size()].load(std::memory_order_relaxed);
  // The count is the sum of the buckets read, so _count == the +Inf bucket always holds.
  v.count = running;
  v.sum = sum_.load(std::memory_order_relaxed);
  return v;
}

}  // namespace locus

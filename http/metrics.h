// Prometheus text exposition (format 0.0.4) for GET /metrics: a small writer of metric
// families, and the lock-free latency histogram the HTTP server fills per route.
// No client library: the format is a few lines of text, and tests parse it with the official
// Python parser (prometheus_client) to prove it is well formed.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locus::http {

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

using Labels = std::vector<std::pair<std::string, std::string>>;

// Writes families in the order they are started. Not thread-safe (one per scrape).
class MetricsWriter {
 public:
  // Starts a family: its # HELP and # TYPE lines. `type`: counter, gauge or histogram.
  void Family(std::string_view name, std::string_view type, std::string_view help);
  // One sample of the current family (counters: `name` ends in _total).
  void Sample(std::string_view name, const Labels& labels, double value);
  // The _bucket, _sum and _count samples of one histogram series.
  void Histogram(std::string_view name, const Labels& labels, const LatencyHistogram::View& view);
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

// A label value escaped for the text format (backslash, double quote, newline).
std::string EscapeLabelValue(std::string_view value);
// A sample value as the text format writes it (integers without a fraction, +Inf, NaN).
std::string FormatValue(double value);

}  // namespace locus::http

// Prometheus text exposition (format 0.0.4) for GET /metrics: a small writer of metric
// families (the latency histograms it writes are src/engine/latency_histogram.h).
// No client library: the format is a few lines of text, and tests parse it with the official
// Python parser (prometheus_client) to prove it is well formed.
#pragma once

#include "src/engine/latency_histogram.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locus::http {

using LatencyHistogram = locus::LatencyHistogram;

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

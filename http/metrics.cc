#include "http/metrics.h"

#include <cmath>
#include <cstdio>

namespace locus::http {

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
  } else {
    std::snprintf(buf, sizeof buf, "%.9g", value);
  }
  return buf;
}

namespace {

void AppendLabels(std::string& out, const Labels& labels) {
  if (labels.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    out += EscapeLabelValue(value);
    out += '"';
  }
  out += '}';
}

}  // namespace

void MetricsWriter::Family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void MetricsWriter::Sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  AppendLabels(out_, labels);
  out_ += ' ';
  out_ += FormatValue(value);
  out_ += '\n';
}

void MetricsWriter::Histogram(std::string_view name, const Labels& labels,
                              const LatencyHistogram::View& view) {
  const std::string bucket = std::string(name) + "_bucket";
  for (size_t i = 0; i < LatencyHistogram::kBounds.size(); ++i) {
    Labels with_le = labels;
    with_le.emplace_back("le", FormatValue(LatencyHistogram::kBounds[i]));
    Sample(bucket, with_le, static_cast<double>(view.cumulative[i]));
  }
  Labels inf = labels;
  inf.emplace_back("le", "+Inf");
  Sample(bucket, inf, static_cast<double>(view.count));
  Sample(std::string(name) + "_sum", labels, view.sum);
  Sample(std::string(name) + "_count", labels, static_cast<double>(view.count));
}

}  // namespace locus::http

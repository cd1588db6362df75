// Output of `locus eval`: the metrics table for people, metrics.json for programs, and an SVG
// plot (HR@K per method for K = 1..10, and locus's HR@10 over the replay).
#pragma once

#include "src/core/status.h"
#include "src/eval/replay.h"

#include <ostream>
#include <string>

namespace locus::eval {

void PrintTable(const ReplayResult& result, std::ostream& out);
// {"dataset", "queries", "ceiling", "methods": {NAME: {"all": {...}, "warm": {...},
// "novel": {...}}}, ...}
std::string MetricsJson(const ReplayResult& result);
std::string PlotSvg(const ReplayResult& result);
// Writes DIR/metrics.json and DIR/plot.svg (creating DIR).
Status WriteReport(const ReplayResult& result, const std::string& dir);

}  // namespace locus::eval

#include "src/eval/report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace locus::eval {
namespace {

using Json = nlohmann::ordered_json;

double R4(double v) { return std::round(v * 10000) / 10000; }

Json MetricsOf(const Metrics& m) {
  Json j;
  j["n"] = m.n;
  j["HR@1"] = R4(m.HR(1));
  j["HR@5"] = R4(m.HR(5));
  j["HR@10"] = R4(m.HR(10));
  j["NDCG@10"] = R4(m.NDCG());
  j["MRR@10"] = R4(m.MRR());
  // With one relevant venue per query Recall@K = HR@K and Precision@K = HR@K / K.
  j["Recall@10"] = R4(m.HR(10));
  j["Precision@10"] = R4(m.HR(10) / 10);
  return j;
}

std::string Fmt(const char* f, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

void PrintTable(const ReplayResult& r, std::ostream& out) {
  out << "dataset " << r.dataset << ": " << r.rows << " check-ins, " << r.users << " users, "
      << r.venues << " venues, " << r.activities << " activities\n";
  out << r.queries << " queries (warm " << r.warm << ", novel " << r.novel << "); ceiling "
      << Fmt("%.4f", r.ceiling) << "; cold venue " << Fmt("%.4f", r.cold_venue) << "; cold user "
      << Fmt("%.4f", r.cold_user) << "; mean candidates " << Fmt("%.0f", r.mean_candidates)
      << "\n\n";
  out << "| method | HR@1 | HR@5 | HR@10 | NDCG@10 | MRR@10 | warm HR@10 | warm NDCG@10 | novel "
         "HR@10 | novel NDCG@10 | seconds |\n";
  out << "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const MethodResult& m : r.methods) {
    out << "| " << m.name << " | " << Fmt("%.4f", m.all.HR(1)) << " | " << Fmt("%.4f", m.all.HR(5))
        << " | " << Fmt("%.4f", m.all.HR(10)) << " | " << Fmt("%.4f", m.all.NDCG()) << " | "
        << Fmt("%.4f", m.all.MRR()) << " | " << Fmt("%.4f", m.warm.HR(10)) << " | "
        << Fmt("%.4f", m.warm.NDCG()) << " | " << Fmt("%.4f", m.novel.HR(10)) << " | "
        << Fmt("%.4f", m.novel.NDCG()) << " | " << Fmt("%.1f", m.seconds) << " |\n";
  }
  for (const MethodResult& m : r.methods) {
    if (!m.notes.empty()) out << "\n" << m.name << ": " << m.notes << "\n";
  }
  out << "\nreplay took " << Fmt("%.1f", r.seconds) << " s ("
      << Fmt("%.0f", r.seconds > 0 ? static_cast<double>(r.queries) / r.seconds : 0)
      << " queries/s for all methods together)\n";
}

std::string MetricsJson(const ReplayResult& r) {
  Json j;
  j["dataset"] = r.dataset;
  j["queries"] = r.queries;
  j["ceiling"] = R4(r.ceiling);
  j["warm_queries"] = r.warm;
  j["novel_queries"] = r.novel;
  j["cold_venue_share"] = R4(r.cold_venue);
  j["cold_user_share"] = R4(r.cold_user);
  j["mean_candidates"] = std::round(r.mean_candidates * 10) / 10;
  j["checkins"] = r.rows;
  j["users"] = r.users;
  j["venues"] = r.venues;
  j["activities"] = r.activities;
  j["seconds"] = std::round(r.seconds * 100) / 100;
  Json methods = Json::object();
  for (const MethodResult& m : r.methods) {
    Json e;
    e["all"] = MetricsOf(m.all);
    e["warm"] = MetricsOf(m.warm);
    e["novel"] = MetricsOf(m.novel);
    e["seconds"] = std::round(m.seconds * 100) / 100;
    e["queries_per_s"] = m.seconds > 0 ? std::round(static_cast<double>(r.queries) / m.seconds) : 0;
    methods[m.name] = std::move(e);
  }
  j["methods"] = std::move(methods);
  return j.dump(2);
}

std::string PlotSvg(const ReplayResult& r) {
  static const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                  "#9467bd", "#8c564b", "#e377c2"};
  std::ostringstream s;
  const int w = 900, h = 380, pad = 50, panel = 380;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='" << h
    << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' "
       "fill='white'/>\n";
  // Left panel: HR@K for K = 1..10.
  auto x1 = [&](int k) { return pad + (k - 1) * (panel - pad) / 9.0; };
  auto y = [&](double v) { return h - pad - v * (h - 2 * pad); };
  s << "<text x='" << pad << "' y='20'>HR@K per method (" << r.dataset << ")</text>\n";
  for (int t = 0; t <= 10; t += 2) {
    s << "<text x='10' y='" << y(t / 10.0) + 4 << "'>" << Fmt("%.1f", t / 10.0) << "</text>"
      << "<line x1='" << pad << "' x2='" << panel << "' y1='" << y(t / 10.0) << "' y2='"
      << y(t / 10.0) << "' stroke='#ddd'/>\n";
  }
  for (int k = 1; k <= 10; ++k) {
    s << "<text x='" << x1(k) - 3 << "' y='" << h - pad + 16 << "'>" << k << "</text>\n";
  }
  for (size_t m = 0; m < r.methods.size(); ++m) {
    const char* c = kColors[m % 7];
    s << "<polyline fill='none' stroke='" << c << "' stroke-width='2' points='";
    for (int k = 1; k <= 10; ++k) s << x1(k) << "," << y(r.methods[m].all.HR(k)) << " ";
    s << "'/>\n<text x='" << panel + 10 << "' y='" << 40 + 16 * m << "' fill='" << c << "'>"
      << r.methods[m].name << " " << Fmt("%.3f", r.methods[m].all.HR(10)) << "</text>\n";
  }
  // Right panel: HR@10 of locus over the replay (windows of 250 queries).
  const int left = panel + 140, right = w - 20;
  for (const MethodResult& m : r.methods) {
    if (m.name != "locus" || m.rolling_hr10.empty()) continue;
    s << "<text x='" << left << "' y='20'>locus HR@10 over the replay (250-query windows)</text>\n";
    const size_t n = m.rolling_hr10.size();
    s << "<polyline fill='none' stroke='#d62728' stroke-width='2' points='";
    for (size_t i = 0; i < n; ++i) {
      const double x = left + (n > 1 ? (right - left) * static_cast<double>(i) / (n - 1) : 0);
      s << x << "," << y(m.rolling_hr10[i]) << " ";
    }
    s << "'/>\n";
    for (int t = 0; t <= 10; t += 2) {
      s << "<line x1='" << left << "' x2='" << right << "' y1='" << y(t / 10.0) << "' y2='"
        << y(t / 10.0) << "' stroke='#eee'/>\n";
    }
  }
  s << "</svg>\n";
  return s.str();
}

Status WriteReport(const ReplayResult& r, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Error("cannot create " + dir + ": " + ec.message());
  for (const auto& [name, text] :
       {std::pair{std::string("metrics.json"), MetricsJson(r)}, {"plot.svg", PlotSvg(r)}}) {
    std::ofstream f(dir + "/" + name, std::ios::binary);
    f << text;
    if (!f) return Status::Error("cannot write " + dir + "/" + name);
  }
  return Status::Ok();
}

}  // namespace locus::eval

// locus_snapshot_bench: what MySQL snapshots cost (run by bench/snapshot_bench.sh; a
// benchmark, never a test).
//
//   locus_snapshot_bench DATA --database DB [--seconds S] [--runs N] [--interval S]
//
// 1. Full snapshot: applies every check-in of DATA (the dev data, read in place) to a fresh
//    engine through its ingest path, then writes snapshots of it: wall time, split into
//    reading the state and the MySQL transaction, and rows written per table.
// 2. Ingestion with and without snapshots: the engine ingests DATA's events over and over
//    (each pass shifted in time, with new event ids, so the state keeps the dev data's shape)
//    for S seconds, once with no snapshots and once with PeriodicSnapshots every --interval
//    seconds on the same store, alternating N times. Events go through Engine::HandleEvent
//    (JSON decode + apply) and Flush when due, exactly as the Kafka loop drives them.
//    Reported per run: events per wall second, events per CPU second of the ingest thread
//    (robust to other processes on a shared machine) and the load average.
//
// Prints plain "key: value" lines; MySQL connection from LOCUS_MYSQL_* (defaults: the
// project's server, 127.0.0.1:3307, user locus).
#include "snapshot/periodic.h"
#include "snapshot/snapshotter.h"
#include "src/codec/messages.h"
#include "src/core/checkin.h"
#include "src/engine/engine.h"
#include "src/io/line_reader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdlib.h>
#include <string>
#include <unordered_set>
#include <vector>

namespace locus {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

struct Data {
  std::vector<std::pair<std::string, std::string>> places;  // id, JSON
  std::vector<Event> events;                                // in time order
  TimeMs span = 0;
};

Data Load(const std::string& path) {
  auto reader = LineReader::Open(path);
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.error().c_str());
    std::exit(2);
  }
  std::vector<Checkin> rows;
  for (std::string line; (*reader)->Next(line);) {
    if (auto c = ParseCheckinLine(line)) rows.push_back(std::move(*c));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Checkin& a, const Checkin& b) { return a.ts < b.ts; });
  Data d;
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Checkin& c = rows[i];
    if (seen.insert(c.venue).second) {
      Place p{PlaceId(c.venue),
              c.activity + " " + c.venue.substr(0, 8),
              c.position,
              {ActivityId(c.activity)},
              {}};
      d.places.emplace_back(c.venue, EncodePlace(p));
    }
    Event e;
    e.event_id = "bench-" + std::to_string(i);
    e.type = EventType::kVisit;
    e.user = UserId(c.user);
    e.place = PlaceId(c.venue);
    e.activity = ActivityId(c.activity);
    e.ts = c.ts;
    e.position = c.position;
    d.events.push_back(std::move(e));
  }
  if (!rows.empty()) d.span = rows.back().ts - rows.front().ts;
  return d;
}

// A fresh engine on a temporary directory, removed on destruction.
struct TempEngine {
  std::string dir;
  std::unique_ptr<Engine> engine;
  int64_t offset = 0;

  TempEngine() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "locus_bench_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::exit(1);
    dir = tmpl;
    auto store = StateStore::Open(dir + "/state");
    auto e = store.ok() ? Engine::Open(EngineOptions{}, std::move(*store))
                        : Result<std::unique_ptr<Engine>>(store.status());
    if (!e.ok()) {
      std::fprintf(stderr, "%s\n", e.error().c_str());
      std::exit(1);
    }
    engine = std::move(*e);
  }
  ~TempEngine() {
    engine.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  void Flush() {
    auto r = engine->Flush();
    if (!r.ok()) {
      std::fprintf(stderr, "flush: %s\n", r.error().c_str());
      std::exit(1);
    }
  }
  void Places(const Data& d) {
    int64_t n = 0;
    for (const auto& [id, json] : d.places) engine->HandlePlace("locus.places", 0, n++, id, json);
    Flush();
  }
  // The ingest path: decode + apply, flush when due (size or age), as the Kafka loop does.
  void Event(const std::string& json) {
    engine->HandleEvent("locus.events", 0, offset++, json);
    if (engine->FlushDue()) Flush();
  }
  snapshot::ViewSource views() const {
    const StateStore* s = &engine->store();
    return [s] { return s->ConsistentView(); };
  }
};

snapshot::SnapshotterOptions Destination(const std::string& database) {
  snapshot::SnapshotterOptions o;
  o.mysql.host = Env("LOCUS_MYSQL_HOST", "127.0.0.1");
  o.mysql.port = std::stoi(Env("LOCUS_MYSQL_PORT", "3307"));
  o.mysql.socket = Env("LOCUS_MYSQL_SOCKET", "");
  o.mysql.user = Env("LOCUS_MYSQL_USER", "locus");
  o.mysql.password = Env("LOCUS_MYSQL_PASSWORD", "locus");
  o.mysql.database = database;
  o.mysql.keep_snapshots = 48;
  o.content.model_version = RecommendOptions{}.model_version;
  return o;
}

void FullSnapshot(const Data& d, const std::string& database, int repeats) {
  TempEngine e;
  e.Places(d);
  const auto start = Clock::now();
  for (const Event& ev : d.events) e.Event(EncodeEvent(ev));
  e.Flush();
  std::printf("full_data_events: %zu\nfull_data_places: %zu\n", d.events.size(), d.places.size());
  std::printf("full_data_ingest_s: %.3f\n", Since(start));

  snapshot::Snapshotter snapshotter(Destination(database));
  auto migrated = snapshotter.Prepare();
  if (!migrated.ok()) {
    std::fprintf(stderr, "%s\n", migrated.error().c_str());
    std::exit(1);
  }
  // Rows per table, from the content itself.
  auto view = e.engine->store().ConsistentView();
  auto c = snapshot::BuildContent(*view, {});
  view.reset();
  if (c.ok()) {
    std::printf(
        "snapshot_rows_by_table: snapshots=1 snapshot_offsets=%zu places=%zu activities=%zu "
        "activity_place_scores=%zu place_neighbours=%zu user_activity_stats=%zu "
        "user_place_history=%zu engine_stats=%zu daily_leaders=%zu\n",
        c->offsets.size(), c->places.size(), c->activities.size(), c->scores.size(),
        c->neighbours.size(), c->user_stats.size(), c->user_places.size(), c->engine_stats.size(),
        c->leaders.size());
  }
  for (int i = 0; i < repeats; ++i) {
    const auto t = Clock::now();
    auto w = snapshotter.Snapshot(e.views());
    if (!w.ok()) {
      std::fprintf(stderr, "%s\n", w.error().c_str());
      std::exit(1);
    }
    std::printf("full_snapshot: id=%lld rows=%lld wall_s=%.3f state_s=%.3f mysql_s=%.3f\n",
                static_cast<long long>(w->id), static_cast<long long>(w->rows), Since(t),
                w->build_seconds, w->write_seconds);
  }
}

// CPU seconds used by the calling thread.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct RunResult {
  double events_per_s = 0;
  // Events per CPU second of the ingest thread: what the ingest path itself costs, without
  // the time other processes on a shared machine take from it.
  double events_per_cpu_s = 0;
  double load = 0;  // 1-minute load average at the end
  int64_t events = 0;
  int64_t snapshots = 0;
  int64_t failures = 0;
};

RunResult Ingest(const Data& d, double seconds, double interval_s, const std::string& database) {
  TempEngine e;
  e.Places(d);
  std::unique_ptr<snapshot::PeriodicSnapshots> snapshots;
  if (interval_s > 0) {
    snapshots = snapshot::PeriodicSnapshots::Start(Destination(database), e.views(),
                                                   {.interval_s = interval_s});
  }
  RunResult r;
  const auto start = Clock::now();
  const double cpu_start = ThreadCpuSeconds();
  for (int pass = 0; Since(start) < seconds; ++pass) {
    const TimeMs shift = static_cast<TimeMs>(pass) * (d.span + 86'400'000);
    for (Event ev : d.events) {
      ev.ts += shift;
      ev.event_id += "-" + std::to_string(pass);
      e.Event(EncodeEvent(ev));
      if (++r.events % 1024 == 0 && Since(start) >= seconds) break;
    }
  }
  e.Flush();
  r.events_per_s = static_cast<double>(r.events) / Since(start);
  r.events_per_cpu_s = static_cast<double>(r.events) / (ThreadCpuSeconds() - cpu_start);
  double load[1] = {0};
  if (getloadavg(load, 1) == 1) r.load = load[0];
  if (snapshots) {
    snapshots->Stop();
    r.snapshots = snapshots->counters().snapshots_written;
    r.failures = snapshots->counters().snapshot_failures;
  }
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty()      ? 0
         : v.size() % 2 ? v[v.size() / 2]
                        : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

int Main(int argc, char** argv) {
  std::string data, database;
  double seconds = 20, interval = 5;
  int runs = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--database") {
      database = next();
    } else if (a == "--seconds") {
      seconds = std::stod(next());
    } else if (a == "--runs") {
      runs = std::stoi(next());
    } else if (a == "--interval") {
      interval = std::stod(next());
    } else {
      data = a;
    }
  }
  if (data.empty() || database.empty()) {
    std::fprintf(stderr, "usage: %s DATA --database DB [--seconds S] [--runs N] [--interval S]\n",
                 argv[0]);
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  const Data d = Load(data);
  FullSnapshot(d, database, 3);

  std::vector<double> off, on, off_cpu, on_cpu;
  for (int run = 0; run < runs; ++run) {
    for (const bool with : {false, true}) {
      const RunResult r = Ingest(d, seconds, with ? interval : 0, database);
      (with ? on : off).push_back(r.events_per_s);
      (with ? on_cpu : off_cpu).push_back(r.events_per_cpu_s);
      char mode[32];
      std::snprintf(mode, sizeof mode, with ? "every_%gs" : "off", interval);
      std::printf(
          "ingest_run: %d snapshots=%s events=%lld events_per_s=%.0f "
          "events_per_ingest_cpu_s=%.0f snapshots_written=%lld failures=%lld "
          "load_avg_1m=%.2f\n",
          run + 1, mode, static_cast<long long>(r.events), r.events_per_s, r.events_per_cpu_s,
          static_cast<long long>(r.snapshots), static_cast<long long>(r.failures), r.load);
      std::fflush(stdout);
    }
  }
  const double a = Median(off), b = Median(on);
  std::printf("ingest_median_events_per_s_without_snapshots: %.0f\n", a);
  std::printf("ingest_median_events_per_s_with_snapshots_every_%gs: %.0f\n", interval, b);
  std::printf("ingest_ratio_with_over_without: %.3f\n", a > 0 ? b / a : 0);
  const double ca = Median(off_cpu), cb = Median(on_cpu);
  std::printf("ingest_median_events_per_ingest_cpu_s: without=%.0f with=%.0f ratio=%.3f\n", ca, cb,
              ca > 0 ? cb / ca : 0);
  return 0;
}

}  // namespace
}  // namespace locus

int main(int argc, char** argv) { return locus::Main(argc, argv); }

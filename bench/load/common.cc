#include "bench/load/common.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

namespace locus::bench {

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

Args::Args(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) {
      std::fprintf(stderr, "bad argument %s (expected --name value)\n", a.c_str());
      std::exit(2);
    }
    values_[a.substr(2)] = argv[++i];
  }
}
int64_t Args::Int(const std::string& name, int64_t fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : static_cast<int64_t>(std::stod(it->second));
}
double Args::Double(const std::string& name, double fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : std::stod(it->second);
}
std::string Args::Str(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

Latency Summarize(std::vector<double> ms) {
  Latency l;
  l.n = ms.size();
  if (ms.empty()) return l;
  std::sort(ms.begin(), ms.end());
  // Nearest rank.
  auto at = [&ms](double q) {
    const size_t r = static_cast<size_t>(std::ceil(q * static_cast<double>(ms.size())));
    return ms[std::min(ms.size() - 1, r == 0 ? 0 : r - 1)];
  };
  l.p50 = at(0.50), l.p99 = at(0.99), l.p999 = at(0.999), l.max = ms.back();
  double sum = 0;
  for (double v : ms) sum += v;
  l.mean = sum / static_cast<double>(ms.size());
  return l;
}

int64_t PeakRssBytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<int64_t>(u.ru_maxrss) * 1024;
}

int64_t CurrentRssBytes() {
  std::ifstream f("/proc/self/statm");
  int64_t pages = 0, rss = 0;
  f >> pages >> rss;
  return rss * sysconf(_SC_PAGESIZE);
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec)) n += it->file_size(ec);
  }
  return n;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "locus_load_XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  path = tmpl;
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::unique_ptr<Workload> MakeWorkload(const Args& args, int64_t places, int64_t users,
                                       int64_t events, int activities) {
  WorkloadOptions o;
  o.places = places;
  o.users = users;
  o.events = events;
  o.activities = activities;
  o.seed = static_cast<uint64_t>(args.Int("seed", 42));
  o.categories_path = args.Str("categories", o.categories_path);
  auto w = Workload::Create(o);
  if (!w.ok()) {
    std::fprintf(stderr, "%s\n", w.error().c_str());
    std::exit(2);
  }
  return std::move(*w);
}

void MixAnswer(const Answer& a, uint64_t& digest) {
  auto mix = [&](const void* data, size_t n) {
    for (size_t b = 0; b < n; ++b) {
      digest = (digest ^ static_cast<const unsigned char*>(data)[b]) * 0x100000001B3ULL;
    }
  };
  for (const ScoredPlace& item : a.items) {
    mix(item.place.str().data(), item.place.str().size());
    mix(&item.score, sizeof item.score);
    const double d = item.distance_km.value_or(-1);
    mix(&d, sizeof d);
    for (const std::string& reason : item.reasons) mix(reason.data(), reason.size() + 1);
  }
}

namespace {
// This process's CPU seconds (user + system) and minor page faults so far.
std::pair<double, int64_t> ProcessUsage() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto seconds = [](const timeval& v) {
    return static_cast<double>(v.tv_sec) + static_cast<double>(v.tv_usec) * 1e-6;
  };
  return {seconds(u.ru_utime) + seconds(u.ru_stime), static_cast<int64_t>(u.ru_minflt)};
}
}  // namespace

TimedRestart RestartAndAnswer(const std::string& state, const std::string& activity) {
  TimedRestart r;
  const auto [cpu_before, faults_before] = ProcessUsage();
  const auto t = Clock::now();
  auto store = StateStore::Open(state, /*read_only=*/false, /*defer_compactions=*/true);
  if (!store.ok()) Check(store.status(), "reopening the store");
  r.open_s = Since(t);
  auto engine = Engine::Open(EngineOptions{}, std::move(*store));
  if (!engine.ok()) Check(engine.status(), "loading the engine");
  r.engine = std::move(*engine);
  r.load_s = Since(t);
  Query q;
  q.request_id = "restart";
  q.activity_text = activity;
  q.user = UserId(Workload::UserName(0));
  q.k = 10;
  r.first = r.engine->Recommend(q);
  r.ready_s = Since(t);
  const auto [cpu_ready, faults_ready] = ProcessUsage();
  r.ready_cpu_s = cpu_ready - cpu_before;
  r.ready_page_faults = faults_ready - faults_before;
  r.ready_rss_gib = static_cast<double>(CurrentRssBytes()) / kGiB;
  if (Status s = r.engine->CompleteLoad(); !s.ok()) Check(s, "reading the rows");
  r.rows_s = Since(t);
  return r;
}

std::string LoadBreakdownJson(const Engine& engine) {
  JsonLine parts, entries;
  engine.WithModel([&](const Model& m) {
    for (const auto& [part, seconds] : m.load_parts()) parts.Add(part, seconds);
  });
  for (Space space : kAllSpaces)
    entries.Add(SpaceName(space), static_cast<double>(engine.store().EntriesHint(space)));
  return JsonLine().Raw("parts", parts.str()).Raw("entries", entries.str()).str();
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.message().c_str());
    std::exit(1);
  }
}

std::unique_ptr<Engine> OpenEngine(const std::string& dir) {
  auto store = StateStore::Open(dir);
  if (!store.ok()) Check(store.status(), "opening the store");
  auto e = Engine::Open(EngineOptions{}, std::move(*store));
  if (!e.ok()) Check(e.status(), "opening the engine");
  return std::move(*e);
}

void JsonLine::Key(const std::string& key) {
  if (!body_.empty()) body_ += ",";
  body_ += "\"" + key + "\":";
}
JsonLine& JsonLine::Add(const std::string& key, double v) {
  Key(key);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", std::isfinite(v) ? v : 0.0);
  body_ += buf;
  return *this;
}
JsonLine& JsonLine::Add(const std::string& key, int64_t v) {
  Key(key);
  body_ += std::to_string(v);
  return *this;
}
JsonLine& JsonLine::Add(const std::string& key, const std::string& v) {
  Key(key);
  body_ += "\"" + v + "\"";  // callers pass plain text without quotes or backslashes
  return *this;
}
JsonLine& JsonLine::Add(const std::string& key, bool v) {
  Key(key);
  body_ += v ? "true" : "false";
  return *this;
}
JsonLine& JsonLine::Raw(const std::string& key, const std::string& json) {
  Key(key);
  body_ += json;
  return *this;
}

std::string MachineJson() {
  double load[1] = {0};
  getloadavg(load, 1);
  return JsonLine()
      .Add("cpus", static_cast<int64_t>(std::thread::hardware_concurrency()))
      .Add("load_avg_1m", load[0])
      .str();
}

}  // namespace locus::bench

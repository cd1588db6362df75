// locus_bench_gen: writes a seeded benchmark workload (bench/workload/workload.h) to files
// (run by bench/gen; a benchmark tool, never a test).
//
//   locus_bench_gen --out DIR [--places N] [--users N] [--events N] [--activities N]
//                   [--seed S] [--format kafka|tsv] [--categories FILE]
//
// kafka: DIR/places.kafka and DIR/events.kafka, one message a line as KEY<TAB>JSON (kcat -K
//        '\t'), values valid per schemas/place.schema.json and schemas/event.schema.json;
// tsv:   DIR/checkins.tsv, the 8-column check-in format of shared/data (what `locus import`
//        reads); every event is a row (the format has no click/visit type).
#include "bench/workload/workload.h"
#include "src/codec/messages.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>

namespace locus::bench {
namespace {

// "Tue Apr 03 18:00:09 +0000 2012", as the Foursquare files write times.
std::string CheckinTime(TimeMs ts) {
  const std::time_t t = static_cast<std::time_t>(ts / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S +0000 %Y", &tm);
  return buf;
}

std::string CategoryId(const std::string& name) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%024zx", std::hash<std::string>{}(name));
  return buf;
}

int Main(int argc, char** argv) {
  WorkloadOptions o;
  std::string out, format = "kafka";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--out")
      out = next();
    else if (a == "--places")
      o.places = std::stoll(next());
    else if (a == "--users")
      o.users = std::stoll(next());
    else if (a == "--events")
      o.events = std::stoll(next());
    else if (a == "--activities")
      o.activities = std::stoi(next());
    else if (a == "--seed")
      o.seed = std::stoull(next());
    else if (a == "--format")
      format = next();
    else if (a == "--categories")
      o.categories_path = next();
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (out.empty() || (format != "kafka" && format != "tsv")) {
    std::fprintf(stderr,
                 "usage: %s --out DIR [--places N] [--users N] [--events N] [--activities N] "
                 "[--seed S] [--format kafka|tsv] [--categories FILE]\n",
                 argv[0]);
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  auto w = Workload::Create(o);
  if (!w.ok()) {
    std::fprintf(stderr, "%s\n", w.error().c_str());
    return 2;
  }
  std::filesystem::create_directories(out);
  const auto& places = (*w)->places();
  if (format == "kafka") {
    std::FILE* pf = std::fopen((out + "/places.kafka").c_str(), "w");
    std::FILE* ef = std::fopen((out + "/events.kafka").c_str(), "w");
    if (!pf || !ef) return 1;
    for (const Place& p : places)
      std::fprintf(pf, "%s\t%s\n", p.id.str().c_str(), EncodePlace(p).c_str());
    for (int64_t i = 0; i < o.events; ++i) {
      const Event e = (*w)->Next();
      std::fprintf(ef, "%s\t%s\n", e.user.str().c_str(), EncodeEvent(e).c_str());
    }
    if (std::fclose(pf) != 0 || std::fclose(ef) != 0) return 1;
  } else {
    std::FILE* f = std::fopen((out + "/checkins.tsv").c_str(), "w");
    if (!f) return 1;
    for (int64_t i = 0; i < o.events; ++i) {
      const Event e = (*w)->Next();
      const Place& p = places[static_cast<size_t>(std::stoll(e.place.str().substr(1)))];
      const std::string& act = p.activities[0].str();
      std::fprintf(f, "%s\t%s\t%s\t%s\t%.8f\t%.8f\t0\t%s\n", e.user.str().c_str() + 1,
                   p.id.str().c_str(), CategoryId(act).c_str(), act.c_str(), p.position.lat,
                   p.position.lon, CheckinTime(e.ts).c_str());
    }
    if (std::fclose(f) != 0) return 1;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "{\"places\":%zu,\"users\":%lld,\"events\":%lld,\"activities\":%zu,\"cities\":%lld,"
      "\"format\":\"%s\",\"seconds\":%.2f}\n",
      places.size(), static_cast<long long>(o.users), static_cast<long long>(o.events),
      (*w)->activities().size(), static_cast<long long>((*w)->city_count()), format.c_str(), s);
  return 0;
}

}  // namespace
}  // namespace locus::bench

int main(int argc, char** argv) { return locus::bench::Main(argc, argv); }

// Helpers shared by the end-to-end load tools (bench/load): arguments, clocks, percentiles,
// memory, temporary directories, the workload and a fresh engine, and the one JSON line each
// tool prints. Benchmark code: failures end the process with a message (exit 1 or 2).
#pragma once

#include "bench/workload/workload.h"
#include "src/engine/engine.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace locus::bench {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t);
double Ms(Clock::duration d);

// --name value pairs.
class Args {
 public:
  Args(int argc, char** argv, int first);
  int64_t Int(const std::string& name, int64_t fallback) const;
  double Double(const std::string& name, double fallback) const;
  std::string Str(const std::string& name, const std::string& fallback) const;

 private:
  std::map<std::string, std::string> values_;
};

struct Latency {
  double p50 = 0, p99 = 0, p999 = 0, mean = 0, max = 0;
  size_t n = 0;
};
Latency Summarize(std::vector<double> ms);

int64_t PeakRssBytes();     // of this process, so far
int64_t CurrentRssBytes();  // of this process, now
uint64_t DirBytes(const std::string& dir);
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
struct TempDir {
  std::string path;
  TempDir();
  ~TempDir();
};

std::unique_ptr<Workload> MakeWorkload(const Args& args, int64_t places, int64_t users,
                                       int64_t events, int activities = 0);
std::unique_ptr<Engine> OpenEngine(const std::string& dir);
void Check(const Status& s, const char* what);
// A restart timed as the issue defines "ready": the store opened (RocksDB recovery), the
// engine loaded from it, and one in-process recommend of `activity` for user 0 answered.
// Times in seconds from the start; load_s and ready_s include what came before them.
struct TimedRestart {
  std::unique_ptr<Engine> engine;
  Answer first;
  double open_s = 0, load_s = 0, ready_s = 0;
  // The process's CPU time (user + system, every thread) and minor page faults from the start
  // until ready: what the load costs, less sensitive to a shared host than its wall time.
  double ready_cpu_s = 0;
  int64_t ready_page_faults = 0;
  // The resident size when ready: set beside the page faults, it tells the pages kept from
  // those touched and given back (temporaries).
  double ready_rss_gib = 0;
  // From the start until the rows the open left in the store are read (Engine::CompleteLoad):
  // where the engine's loop would start reading events.
  double rows_s = 0;
};
TimedRestart RestartAndAnswer(const std::string& state, const std::string& activity);
// {"parts": {part: seconds} of the model's load (Model::load_parts), "entries": {space: the
// store's estimate of its entries}}: where a restart's time goes.
std::string LoadBreakdownJson(const Engine& engine);
// FNV-1a over an answer's place ids, scores (bits), distances and reasons, into `digest`
// (start from 0xCBF29CE484222325): equal digests mean a change left the answers as they were.
void MixAnswer(const Answer& a, uint64_t& digest);

// Builds one JSON object line: {"k": v, ...}.
class JsonLine {
 public:
  JsonLine& Add(const std::string& key, double v);
  JsonLine& Add(const std::string& key, int64_t v);
  JsonLine& Add(const std::string& key, const std::string& v);
  JsonLine& Add(const std::string& key, bool v);
  JsonLine& Raw(const std::string& key, const std::string& json);
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void Key(const std::string& key);
  std::string body_;
};

// Load / CPU context of a run on a shared machine.
std::string MachineJson();

}  // namespace locus::bench

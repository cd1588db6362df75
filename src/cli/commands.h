// The `locus` subcommands as functions (main.cc parses flags; tests call these directly).
// Each returns a process exit code: 0 success, 1 runtime failure, 2 bad usage or config.
#pragma once

#include "src/config/config.h"

#include <atomic>
#include <optional>
#include <ostream>
#include <string>

namespace locus::cli {

// Set by SIGINT/SIGTERM; long-running commands poll it.
std::atomic<bool>& StopFlag();
void InstallSignalHandlers();

struct ServeArgs {
  std::string config_path;
  std::string bootstrap;  // overrides kafka.bootstrap_servers
  std::string data_dir;   // overrides state.data_dir
  double exit_when_idle_s = -1;
  // HOST:PORT of the HTTP API, overriding http.listen ("" turns it off; port 0: any free
  // port). The URL is printed on stdout as "http: URL".
  std::optional<std::string> http;
  // Folder of the web page; empty: web/ of the source tree the binary was built from.
  std::string web_dir;
};
int Serve(const ServeArgs& args);

int Broker(const std::string& config_path, int brokers);

struct ImportArgs {
  std::string config_path;
  std::string file;
  std::string bootstrap;
  int64_t max_lag = 20000;
  double wait_s = 0;
  bool progress = true;
};
int Import(const ImportArgs& args);

struct RecommendArgs {
  std::string config_path;
  std::string bootstrap;
  std::string activity;
  std::string user;
  std::optional<double> lat, lon, radius_km;
  int k = 10;
  int timeout_ms = 30000;
};
int RecommendCmd(const RecommendArgs& args);

// Writes every state entry of `data_dir` in a stable order to `out`. Learned parameters
// (blend weights) depend on the order events from different partitions arrived in, so they
// are printed only with `learned` (the rest is a function of the events alone).
int StateDump(const std::string& data_dir, std::ostream& out, bool learned = false);

struct SnapshotArgs {
  std::string config_path;
  std::string data_dir;  // a state directory no engine holds open
};
// Writes one snapshot of `data_dir` to the configured MySQL (applying migrations first) and
// prints its id and size. `locus serve` snapshots by itself every mysql.snapshot_interval_s.
int Snapshot(const SnapshotArgs& args);

struct EvalArgs {
  std::string config_path;
  std::string data;
  std::string out = "var/eval";
  // Comma-separated method names; empty: pop, pop_near, user_hist and locus.
  std::string methods;
  bool progress = true;
};
// Protocol NV-A on a check-in file: prints the table, writes DIR/metrics.json and a plot.
int Eval(const EvalArgs& args);

struct GenCityArgs {
  std::string out;
  uint64_t seed = 7;
  int places = 2000;
  int users = 300;
  int checkins = 20000;
};
int GenCity(const GenCityArgs& args);

}  // namespace locus::cli
